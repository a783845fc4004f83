using System.Globalization;
using Hooks;
using Hooks.Receiving;
using Hooks.ReverseHttp;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Subscriptions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the producer's Reverse HTTP upgrade endpoint (docs/reverse-http.md).</summary>
public static class ReverseHttpEndpointRouteBuilderExtensions
{
    /// <summary>The tokens of the <c>Upgrade</c> header accepted, preferred first.</summary>
    public static readonly IReadOnlyList<string> Protocols = ["PTTH/1.0", "PTTH/0.9"];

    /// <summary>
    /// Maps <c>POST {pattern}</c>, where a consumer holding a <c>ptth://</c> subscription's secret opens a reversed
    /// connection: a signed <c>Upgrade: PTTH/1.0</c> request answered with <c>101 Switching Protocols</c>, after which
    /// this producer sends that subscription's deliveries down the connection as HTTP/1.1 requests. Refusals: 401
    /// (missing, invalid or replayed proof), 403 (the subscription is not delivered over reversed connections), 400
    /// (a body), 426 (no upgrade to PTTH), 429 with <c>Retry-After</c> (connection limits). The request stays open as
    /// long as the connection does.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route, <c>/webhooks/ptth</c> by default.</param>
    public static IEndpointConventionBuilder MapReverseHttp(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/ptth")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<ReversedConnections>() is null)
        {
            throw new InvalidOperationException("MapReverseHttp needs the producer: call services.AddWebHooks().AddProducer() first.");
        }
        return endpoints.MapPost(pattern, (RequestDelegate)UpgradeAsync).WithDisplayName("Reverse HTTP upgrade");
    }

    private static async Task UpgradeAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Hooks.ReverseHttp");
        var request = http.Request;
        var upgrade = http.Features.Get<IHttpUpgradeFeature>();

        if (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
        {
            await RefuseAsync(http, logger, StatusCodes.Status400BadRequest, "Bad Request", "The upgrade request must have no body.").ConfigureAwait(false);
            return;
        }
        var protocol = Protocol(request.Headers.Upgrade);
        if (protocol is null || upgrade is not { IsUpgradableRequest: true })
        {
            http.Response.Headers.Upgrade = string.Join(", ", Protocols);
            http.Response.Headers.Connection = "Upgrade";
            await RefuseAsync(http, logger, StatusCodes.Status426UpgradeRequired, "Upgrade Required",
                "Send Upgrade: PTTH/1.0 (or PTTH/0.9) with Connection: Upgrade.").ConfigureAwait(false);
            return;
        }

        var verifier = services.GetRequiredService<WebHookRequestVerifier>();
        var (proof, subscription) = await verifier.VerifyAsync(http, ReadOnlyMemory<byte>.Empty, http.RequestAborted).ConfigureAwait(false);
        var options = services.GetRequiredService<IOptions<WebHookReverseHttpOptions>>().Value;
        switch (proof)
        {
            case WebHookRequestProof.Valid:
                break;
            case WebHookRequestProof.Busy:
                http.Response.Headers.RetryAfter = RetryAfter(options);
                await RefuseAsync(http, logger, StatusCodes.Status429TooManyRequests, "Too Many Requests",
                    "Too many signed requests are being remembered; try again later.").ConfigureAwait(false);
                return;
            default:
                await RefuseAsync(http, logger, StatusCodes.Status401Unauthorized, "Unauthorized",
                    proof == WebHookRequestProof.Replayed
                        ? "The request's proof was used before; sign each request afresh."
                        : "The request does not prove possession of an active secret of the named subscription.").ConfigureAwait(false);
                return;
        }
        if (!WebHookReverseHttpAddress.IsReversed(subscription!.PendingUrl ?? subscription.Url))
        {
            await RefuseAsync(http, logger, StatusCodes.Status403Forbidden, "Forbidden",
                "The subscription's URL is not a ptth:// URL: its deliveries do not go over reversed connections.").ConfigureAwait(false);
            return;
        }
        var connections = services.GetRequiredService<ReversedConnections>();
        if (connections.IsFull(subscription.Id))
        {
            http.Response.Headers.RetryAfter = RetryAfter(options);
            await RefuseAsync(http, logger, StatusCodes.Status429TooManyRequests, "Too Many Requests",
                "The limit of reversed connections is reached; try again later.").ConfigureAwait(false);
            return;
        }

        http.Response.Headers.Upgrade = protocol;
        http.Response.Headers.Connection = "Upgrade";
        var stream = await upgrade.UpgradeAsync().ConfigureAwait(false);
        var connection = connections.TryAdd(subscription.Id, stream);
        if (connection is null)
        {
            return; // a limit was reached meanwhile: ending the request closes the connection
        }
        ReverseHttpLog.Opened(logger, subscription.Id, connection.Id, protocol);
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using (stopping.Register(static c => ((ReversedConnection)c!).Close(), connection))
        using (http.RequestAborted.Register(static c => ((ReversedConnection)c!).Close(), connection))
        {
            // Hand the connection to the delivery handler now, so a consumer's close is seen even while nothing is sent.
            if (connections.TryAcquire(connection))
            {
                _ = services.GetRequiredService<ReverseHttpPinger>().PingAsync(connection, stopping);
            }
            if (subscription.Status == WebHookSubscriptionStatus.Pending || subscription.PendingUrl is not null)
            {
                // Intent verification travels over the reversed connection, now that there is one.
                _ = VerifyIntentAsync(services.GetRequiredService<WebHookSubscriptionService>(), subscription, stopping);
            }
            // The endpoint stays running while the connection is in use: returning would end it.
            await connection.Closed.ConfigureAwait(false);
        }
        ReverseHttpLog.Closed(logger, subscription.Id, connection.Id);
    }

    private static async Task VerifyIntentAsync(WebHookSubscriptionService service, WebHookSubscription subscription, CancellationToken cancellationToken)
    {
        try
        {
            await service.VerifyAsync(subscription, enabling: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
        }
    }

    private static string? Protocol(Microsoft.Extensions.Primitives.StringValues values)
    {
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }
            foreach (var range in value.AsSpan().Split(','))
            {
                var token = value.AsSpan()[range].Trim();
                foreach (var accepted in Protocols)
                {
                    if (token.Equals(accepted, StringComparison.OrdinalIgnoreCase))
                    {
                        return accepted;
                    }
                }
            }
        }
        return null;
    }

    private static string RetryAfter(WebHookReverseHttpOptions options) =>
        Math.Max(1, (long)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static Task RefuseAsync(HttpContext http, ILogger logger, int status, string title, string detail)
    {
        ReverseHttpLog.Refused(logger, status, detail);
        return Problem.WriteAsync(http, status, title, detail);
    }
}
