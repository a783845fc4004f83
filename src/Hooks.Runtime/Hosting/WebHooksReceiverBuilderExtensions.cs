using Hooks.Receiving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Hooks;
using Hooks.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds webhook receivers (the consumer side) to Hooks.</summary>
public static class WebHooksReceiverBuilderExtensions
{
    /// <summary>The name of the receiver configured without a name, and mapped without one.</summary>
    public const string DefaultReceiverName = "default";

    /// <summary>Adds the default receiver.</summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="configure">Sets the producer's secrets and the limits.</param>
    public static WebHooksBuilder AddReceiver(this WebHooksBuilder builder, Action<WebHookReceiverOptions> configure) =>
        builder.AddReceiver(DefaultReceiverName, configure);

    /// <summary>
    /// Adds a named receiver: one producer's secrets and limits. An app receiving from several producers adds one
    /// receiver per producer and maps each at its own path (<c>app.MapWebHooks("/hooks/github", "github")</c>).
    /// Options are validated when the app starts.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="name">The receiver's name.</param>
    /// <param name="configure">Sets the producer's secrets and the limits.</param>
    public static WebHooksBuilder AddReceiver(this WebHooksBuilder builder, string name, Action<WebHookReceiverOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);

        var services = builder.Services;
        services.AddOptions<WebHookReceiverOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebHookReceiverOptions>, WebHookReceiverOptionsValidator>());
        services.TryAddSingleton<IWebHookIdempotencyStore>(sp => new InMemoryWebHookIdempotencyStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<WebHookReceivers>();
        services.TryAddSingleton<Hooks.CatchUp.IWebHookCursorStore, Hooks.CatchUp.InMemoryWebHookCursorStore>();
        // Messages from sources other than a mapped endpoint (the catch-up feed) go through the same pipeline.
        services.TryAddSingleton(sp => new WebHookDispatchers(sp.GetServices<Hooks.Infrastructure.IWebHookDispatcher>()));
        services.TryAddSingleton(sp => new WebHookMessageProcessor(sp.GetRequiredService<WebHookReceivers>(),
            sp.GetRequiredService<WebHookDispatchers>(), sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new WebHookReceiverName(name));
        return builder;
    }
}
