using System.Net;
using Hooks.CatchUp;
using Hooks.Hosting;
using Hooks.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the consumer's catch-up poller (docs/catch-up.md).</summary>
public static class WebHooksCatchUpBuilderExtensions
{
    /// <summary>
    /// Catches up from one producer's event feed: a background poller reads the subscription's events at start-up,
    /// every <see cref="WebHookCatchUpOptions.Interval"/> (5 minutes) and at once when a push shows a gap in
    /// <c>webhook-sequence</c>, hands them to the receiver's pipeline (deduplicated with its pushes), and keeps its
    /// cursor in the app's cursor store (<c>UseSqlite</c>/<c>UsePostgres</c> keep it across restarts). Call it once per
    /// feed; the receiver named by <see cref="WebHookCatchUpOptions.ReceiverName"/> must be added with
    /// <c>AddReceiver</c>. Also registers the <c>hooks-catch-up</c> health check.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="configure">The feed: <see cref="WebHookCatchUpOptions.FeedUrl"/>, <see cref="WebHookCatchUpOptions.SubscriptionId"/>, <see cref="WebHookCatchUpOptions.Secret"/>.</param>
    public static WebHooksBuilder AddCatchUp(this WebHooksBuilder builder, Action<WebHookCatchUpOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        var first = !services.Any(s => s.ServiceType == typeof(WebHookCatchUpRegistration));
        var name = "hooks-catch-up-" + services.Count(s => s.ServiceType == typeof(WebHookCatchUpRegistration)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        services.AddOptions<WebHookCatchUpOptions>(name).Configure(configure).Validate(Valid,
            "WebHookCatchUpOptions: FeedUrl must be an absolute http(s) URL without a query; SubscriptionId 1 to 256 printable characters; " +
            "Secret a whsec_ secret; Interval, RequestTimeout, InSyncThreshold and MaxBackoff positive; PageSize 1 to 1000; ReceiverName set.").ValidateOnStart();
        services.AddSingleton(new WebHookCatchUpRegistration(name));
        if (!first)
        {
            return builder;
        }
        services.TryAddSingleton<WebHookCatchUpFeeds>();
        services.TryAddSingleton<WebHookCatchUpHealthCheck>();
        services.AddHostedService(sp => new WebHookCatchUpService(sp.GetRequiredService<WebHookCatchUpFeeds>(),
            sp.GetService<Hooks.Receiving.WebHookMessageProcessor>() ?? throw new InvalidOperationException(
                "AddCatchUp hands events to a receiver: add it with services.AddWebHooks().AddReceiver(o => o.Secrets.Add(\"whsec_…\"))."),
            sp.GetRequiredService<IWebHookCursorStore>(), sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<WebHookCatchUpService>>()));
        services.AddHttpClient(WebHookCatchUpService.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The signature covers the target: a redirect is refused, never followed.
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });
        services.AddHealthChecks().Add(new HealthCheckRegistration(WebHookCatchUpHealthCheck.Name,
            sp => sp.GetRequiredService<WebHookCatchUpHealthCheck>(), failureStatus: null, tags: ["hooks"]));
        return builder;
    }

    private static bool Valid(WebHookCatchUpOptions o) =>
        o.FeedUrl is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(url.Query) &&
        o.SubscriptionId is { Length: > 0 and <= WebHookRequestVerifier.MaxSubscriptionIdLength } id && WebHookVerifier.IsWellFormedId(id) &&
        WebHookSecret.TryParse(o.Secret, out _) &&
        !string.IsNullOrWhiteSpace(o.ReceiverName) &&
        o.Interval > TimeSpan.Zero && o.RequestTimeout > TimeSpan.Zero && o.InSyncThreshold > TimeSpan.Zero &&
        (o.MaxBackoff is null || o.MaxBackoff > TimeSpan.Zero) &&
        o.PageSize is >= 1 and <= WebHookFeedClient.MaxLimit;
}
