using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Channels;
using Hooks.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Hooks.ReverseHttp;

/// <summary>
/// The consumer's listener: instead of accepting on a socket, each of <see cref="WebHookReverseHttpClientOptions.Connections"/>
/// dialers opens a connection to the producer, upgrades it with a signed request, and hands the reversed stream to
/// Kestrel as an accepted connection; when it closes, the dialer opens another, with capped jittered backoff while
/// dialling fails. Unbinding stops the dialers and ends <see cref="AcceptAsync"/>; disposing closes every connection.
/// </summary>
internal sealed class ReverseHttpListener : IConnectionListener
{
    private readonly WebHookReverseHttpClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _accepted = Channel.CreateUnbounded<ConnectionContext>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<ReverseHttpConnection, byte> _open = new();
    private readonly HttpMessageInvoker _client;
    private readonly WebHookSecret _secret;
    private readonly Uri _producer;
    private readonly string _subscriptionId;
    private Task[] _dialers = [];

    public ReverseHttpListener(EndPoint endpoint, WebHookReverseHttpClientOptions options, TimeProvider time, ILogger logger)
    {
        EndPoint = endpoint;
        _options = options;
        _time = time;
        _logger = logger;
        _producer = options.ProducerUrl ?? throw new InvalidOperationException("WebHookReverseHttpClientOptions.ProducerUrl is required.");
        _subscriptionId = options.SubscriptionId ?? throw new InvalidOperationException("WebHookReverseHttpClientOptions.SubscriptionId is required.");
        _secret = WebHookSecret.Parse(options.Secret);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            // Every upgrade takes its connection out of the pool; nothing is kept idle.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1),
        };
        options.ConfigureHandler?.Invoke(handler);
        _client = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public EndPoint EndPoint { get; }

    /// <summary>The connections open now.</summary>
    public int OpenCount => _open.Count;

    public void Start()
    {
        _dialers = new Task[Math.Max(1, _options.Connections)];
        for (var i = 0; i < _dialers.Length; i++)
        {
            _dialers[i] = Task.Run(DialLoopAsync);
        }
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await _accepted.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_accepted.Reader.TryRead(out var connection))
                {
                    return connection;
                }
            }
        }
        catch (ChannelClosedException)
        {
        }
        return null; // unbound
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _stopping.Cancel();
        _accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        while (_accepted.Reader.TryRead(out var never))
        {
            await never.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var connection in _open.Keys)
        {
            connection.Close();
        }
        try
        {
            await Task.WhenAll(_dialers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _client.Dispose();
        _stopping.Dispose();
    }

    private async Task DialLoopAsync()
    {
        var stopping = _stopping.Token;
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            ReverseHttpConnection? connection = null;
            TimeSpan? retryAfter = null;
            try
            {
                (connection, retryAfter) = await DialAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                var delay = Backoff(failures++);
                ReverseHttpLog.DialFailed(_logger, _producer, ex is HttpRequestException { HttpRequestError: var e and not HttpRequestError.Unknown }
                    ? e.ToString() : ex.GetType().Name, delay);
                if (!await DelayAsync(delay, stopping).ConfigureAwait(false)) return;
                continue;
            }
            if (connection is null)
            {
                var delay = Backoff(failures++);
                if (retryAfter is { } wait && wait > delay)
                {
                    delay = wait > _options.MaxReconnectDelay * 6 ? _options.MaxReconnectDelay * 6 : wait;
                }
                if (!await DelayAsync(delay, stopping).ConfigureAwait(false)) return;
                continue;
            }

            failures = 0;
            _open[connection] = 0;
            if (!_accepted.Writer.TryWrite(connection))
            {
                _open.TryRemove(connection, out _);
                connection.Close();
                return;
            }
            await connection.Closed.ConfigureAwait(false);
            _open.TryRemove(connection, out _);
            // Dial again at once, as after a failure: within the first delay.
            if (!await DelayAsync(Backoff(0), stopping).ConfigureAwait(false)) return;
        }
    }

    private async Task<(ReverseHttpConnection? Connection, TimeSpan? RetryAfter)> DialAsync(CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _producer)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Upgrade", _options.Protocol);
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        WebHookRequestSigner.Sign(request, _subscriptionId, _secret, default, _time.GetUtcNow());
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
        var response = await _client.SendAsync(request, linked.Token).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols || !Echoes(response))
        {
            var status = (int)response.StatusCode;
            var retryAfter = response.Headers.RetryAfter?.Delta;
            response.Dispose();
            ReverseHttpLog.DialRefused(_logger, _producer, status, Backoff(0));
            return (null, retryAfter);
        }
        var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        ReverseHttpLog.Dialled(_logger, _producer);
        return (new ReverseHttpConnection(response, stream, EndPoint, _options.IdleTimeout, _time, _logger, _producer), null);
    }

    private bool Echoes(HttpResponseMessage response)
    {
        foreach (var product in response.Headers.Upgrade)
        {
            if (string.Equals(product.ToString(), _options.Protocol, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Capped exponential backoff with jitter: half to all of min(cap, first × 2^failures).</summary>
    private TimeSpan Backoff(int failures)
    {
        var first = _options.ReconnectDelay;
        var cap = _options.MaxReconnectDelay;
        var ticks = failures >= 20 ? cap.Ticks : Math.Min(cap.Ticks, first.Ticks << failures);
        var jitter = 0.5 + RandomNumberGenerator.GetInt32(0, 1_000_001) / 2_000_000.0;
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
