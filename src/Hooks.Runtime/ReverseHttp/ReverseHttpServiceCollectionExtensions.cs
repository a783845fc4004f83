using System.Net;
using System.Net.Http;
using Hooks.Hosting;
using Hooks.ReverseHttp;
using Hooks.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures the producer's side of Reverse HTTP.</summary>
public static class ReverseHttpServiceCollectionExtensions
{
    /// <summary>
    /// Adjusts <see cref="WebHookReverseHttpOptions"/> (connection limits, liveness, the signed-request tolerance).
    /// Delivery over reversed connections is part of <c>AddProducer</c>; map the upgrade endpoint with
    /// <c>MapReverseHttp</c>.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="configure">Adjusts the options.</param>
    public static WebHooksBuilder AddReverseHttp(this WebHooksBuilder builder, Action<WebHookReverseHttpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure(configure);
        return builder;
    }

    /// <summary>What the producer needs to deliver over reversed connections; called by <c>AddProducer</c>.</summary>
    internal static void AddReverseHttpDelivery(IServiceCollection services, TimeSpan connectTimeout)
    {
        services.AddOptions<WebHookReverseHttpOptions>().Validate(o =>
            o.MaxConnectionsPerSubscription >= 1 && o.MaxConnections >= 1 && o.RetryAfter >= TimeSpan.Zero &&
            o.PingInterval > TimeSpan.Zero && o.PingTimeout > TimeSpan.Zero && o.RequestTolerance >= TimeSpan.Zero &&
            o.MaxRememberedNonces >= 1,
            "WebHookReverseHttpOptions: limits must be at least 1, intervals positive.").ValidateOnStart();
        services.TryAddSingleton<ReversedConnections>();
        services.TryAddSingleton<WebHookRequestVerifier>();
        services.TryAddSingleton<ReverseHttpPinger>();
        services.AddHostedService(sp => sp.GetRequiredService<ReverseHttpPinger>());
        services.AddHttpClient(ReversedConnections.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                AutomaticDecompression = DecompressionMethods.None,
                // Each reversed connection has an authority of its own: one pooled connection per authority, kept
                // until either side closes it (liveness is the pinger's).
                MaxConnectionsPerServer = 1,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = connectTimeout,
                MaxResponseHeadersLength = 64, // KiB
                ConnectCallback = sp.GetRequiredService<ReversedConnections>().ConnectAsync,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
    }
}
