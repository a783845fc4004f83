using System.Net;
using System.Net.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.ReverseHttp;

/// <summary>
/// Liveness on the producer's side: every connection idle for <see cref="WebHookReverseHttpOptions.PingInterval"/>
/// is sent <c>OPTIONS / HTTP/1.1</c>; any complete response proves it alive, none within
/// <see cref="WebHookReverseHttpOptions.PingTimeout"/> closes it. A busy connection needs no ping: its attempt has
/// a timeout of its own. The pings also keep the consumer's side from taking an idle connection for dead.
/// </summary>
internal sealed class ReverseHttpPinger(ReversedConnections connections, TimeProvider time, IOptions<WebHookReverseHttpOptions> options,
    ILogger<ReverseHttpPinger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        // Looked at twice per interval: an idle connection is pinged within 1.5 intervals of its last use.
        using var timer = new PeriodicTimer(o.PingInterval / 2, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var connection in connections.AcquireIdle(o.PingInterval))
                {
                    _ = PingAsync(connection, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Pings a connection this caller marked busy, then releases it (or closes it when it did not answer).</summary>
    public async Task PingAsync(ReversedConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, connection.RequestUri(PingUrl)) { Version = HttpVersion.Version11 };
            using var timeout = new CancellationTokenSource(options.Value.PingTimeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            using var response = await connections.Invoker.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                ReverseHttpLog.PingFailed(logger, connection.SubscriptionId, connection.Id);
            }
            connection.Close();
        }
        finally
        {
            connections.Release(connection);
        }
    }

    private static readonly Uri PingUrl = new("ptth://ping/");
}
