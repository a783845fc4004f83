using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

using Hooks;
using Hooks.Hosting;
using Hooks.Infrastructure;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Hooks to an application's services.</summary>
public static class WebHooksServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Hooks core services (clock, event catalog) and everything the Hooks source generator registered for
    /// the loaded assemblies: event types and consumer handlers. Safe to call more than once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder for producer, consumer and storage features.</returns>
    public static WebHooksBuilder AddWebHooks(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = new WebHooksBuilder(services);
        if (services.Any(s => s.ServiceType == typeof(WebHooksMarker)))
        {
            return builder;
        }
        services.AddSingleton<WebHooksMarker>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WebHookEventCatalog>();
        // Every OpenAPI document the app adds (AddOpenApi) lists the event catalog under webhooks; inert without one.
        services.ConfigureAll<OpenApiOptions>(o => o.AddDocumentTransformer(new WebHookCatalogDocumentTransformer()));
        // The Problem Details our endpoints declare, for that document under Native AOT; last, so the app's own win.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(WebHookProblemJsonContext.Default));
        WebHookRegistry.Apply(builder);
        return builder;
    }

    /// <summary>Marks a service collection that AddWebHooks already configured.</summary>
    private sealed class WebHooksMarker;
}
