using System.Net.Http;
using Hooks.Delivery;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

using Hooks;
using Hooks.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the producer (outbox publisher, dispatcher, subscriptions) to a <see cref="WebHooksBuilder"/>.</summary>
public static class WebHooksProducerBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="IWebHookPublisher"/>, the background dispatcher, the SSRF-guarded <c>Hooks.Delivery</c> HTTP
    /// client and the subscription services. The store is <see cref="InMemoryWebHookStore"/> unless another
    /// <see cref="IWebHookStore"/> is registered. Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="configure">Adjusts the options.</param>
    public static WebHooksBuilder AddProducer(this WebHooksBuilder builder, Action<WebHookProducerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<WebHookProducerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        options.ValidateOnStart();
        if (services.Any(s => s.ServiceType == typeof(WebHookDeliveryService)))
        {
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebHookProducerOptions>, WebHookProducerOptionsValidator>());
        services.AddMetrics(); // the dispatcher's backlog gauge is on the app's own meter
        services.TryAddSingleton<IWebHookStore>(_ => new InMemoryWebHookStore());
        services.AddSingleton<WebHookDeliverySignal>();
        services.TryAddSingleton<IWebHookNotifier, InProcessWebHookNotifier>();
        services.AddSingleton<WebHookSender>();
        services.AddSingleton<WebHookPublisher>();
        services.AddSingleton<IWebHookPublisher>(sp => sp.GetRequiredService<WebHookPublisher>());
        services.AddSingleton<WebHookSubscriptionService>();
        // The management API's shapes, for an OpenAPI document (AddOpenApi) to describe them without reflection; last in
        // the chain, so the app's own types keep their settings.
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Add(SubscriptionJsonContext.Default);
            o.SerializerOptions.TypeInfoResolverChain.Add(EventCatalogJsonContext.Default);
        });
        services.AddSingleton<WebHookIntentVerifier>();
        services.AddSingleton(sp => new WebHookAddressGuard(sp.GetRequiredService<IOptions<WebHookProducerOptions>>().Value.AllowedNetworks));
        services.AddSingleton<WebHookDeliveryService>();
        services.AddHostedService(sp => sp.GetRequiredService<WebHookDeliveryService>());
        services.AddHostedService<WebHookRetentionService>();
        services.AddHostedService<InMemoryStoreProductionWarning>();

        services.AddHttpClient(WebHookSender.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var o = sp.GetRequiredService<IOptions<WebHookProducerOptions>>().Value;
                var guard = sp.GetRequiredService<WebHookAddressGuard>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseCookies = false,
                    UseProxy = false, // a proxy would connect on our behalf and bypass the address check
                    AutomaticDecompression = System.Net.DecompressionMethods.None,
                    PooledConnectionLifetime = o.PooledConnectionLifetime,
                    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
                    ConnectTimeout = o.ConnectTimeout,
                    MaxResponseHeadersLength = 64, // KiB
                    MaxConnectionsPerServer = int.MaxValue,
                    ConnectCallback = guard.ConnectAsync,
                };
            })
            // The handler rotates its own connections (PooledConnectionLifetime); the factory need not recycle it.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The default loggers write URLs, which may carry tokens in their query.
            .RemoveAllLoggers();
        ReverseHttpServiceCollectionExtensions.AddReverseHttpDelivery(services, TimeSpan.FromSeconds(10));
        return builder;
    }
}

/// <summary>Checks <see cref="WebHookProducerOptions"/> when the host starts.</summary>
internal sealed class WebHookProducerOptionsValidator : IValidateOptions<WebHookProducerOptions>
{
    public ValidateOptionsResult Validate(string? name, WebHookProducerOptions options)
    {
        var failures = new List<string>();
        if (options.RetrySchedule.Count == 0) failures.Add("RetrySchedule needs at least one entry.");
        if (options.RetrySchedule.Any(d => d < TimeSpan.Zero)) failures.Add("RetrySchedule entries cannot be negative.");
        if (options.RetryJitter is < 0 or > 1 || double.IsNaN(options.RetryJitter)) failures.Add("RetryJitter must be between 0 and 1.");
        if (options.RequestTimeout <= TimeSpan.Zero) failures.Add("RequestTimeout must be positive.");
        if (options.ConnectTimeout <= TimeSpan.Zero) failures.Add("ConnectTimeout must be positive.");
        if (options.MaxRetryAfter < TimeSpan.Zero) failures.Add("MaxRetryAfter cannot be negative.");
        if (options.MaxConcurrency < 1) failures.Add("MaxConcurrency must be at least 1.");
        if (options.MaxSubscriptionsPerTenant < 1) failures.Add("MaxSubscriptionsPerTenant must be at least 1 (or null for no limit).");
        if (options.MaxConcurrencyPerSubscription < 1) failures.Add("MaxConcurrencyPerSubscription must be at least 1.");
        if (options.LeaseBatchSize < 1) failures.Add("LeaseBatchSize must be at least 1.");
        if (options.LeaseDuration <= options.RequestTimeout) failures.Add("LeaseDuration must be longer than RequestTimeout.");
        if (options.PollInterval <= TimeSpan.Zero) failures.Add("PollInterval must be positive.");
        if (options.DisableAfterFailingFor <= TimeSpan.Zero) failures.Add("DisableAfterFailingFor must be positive.");
        if (options.Retention <= TimeSpan.Zero) failures.Add("Retention must be positive.");
        if (options.PurgeInterval <= TimeSpan.Zero) failures.Add("PurgeInterval must be positive.");
        if (options.SecretRotationOverlap < TimeSpan.Zero) failures.Add("SecretRotationOverlap cannot be negative.");
        if (options.MaxUrlLength is < 16 or > 65536) failures.Add("MaxUrlLength must be between 16 and 65536.");
        if (string.IsNullOrWhiteSpace(options.UserAgent)) failures.Add("UserAgent is required.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
