using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Hosting;

/// <summary>
/// Configures Hooks in dependency injection: returned by <see cref="WebHooksServiceCollectionExtensions.AddWebHooks"/>;
/// producer, consumer and storage features add extension methods to it.
/// </summary>
public sealed class WebHooksBuilder
{
    internal WebHooksBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection Hooks registers into.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers an event type so the producer can list it, validate subscription filters against it and publish it.
    /// Generated code calls this for every <c>[WebHookEvent]</c> type; calling it twice for one type is harmless.
    /// </summary>
    /// <typeparam name="TEvent">The event type.</typeparam>
    public WebHooksBuilder AddEvent<TEvent>() where TEvent : IWebHookEvent<TEvent>
    {
        var descriptor = WebHookEventDescriptor.Of<TEvent>();
        foreach (var service in Services)
        {
            if (service.ServiceType == typeof(WebHookEventDescriptor) && Equals(service.ImplementationInstance, descriptor))
            {
                return this;
            }
        }
        Services.AddSingleton(descriptor);
        return this;
    }
}
