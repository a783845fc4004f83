using System.Collections.Concurrent;
using System.Net.Http;
using Hooks.Delivery;
using Microsoft.Extensions.Options;

namespace Hooks.ReverseHttp;

/// <summary>
/// The producer's reversed connections, per subscription. An attempt to a <c>ptth</c> subscription takes an idle
/// connection (waiting, within its timeout, while all are busy), sends through the reverse delivery handler addressed
/// to that connection, and gives it back; with no connection at all the attempt fails at once as a connection error.
/// A new connection rings the dispatcher, so deliveries that are due go out at once.
/// </summary>
internal sealed class ReversedConnections(IHttpMessageHandlerFactory handlers, WebHookDeliverySignal signal, TimeProvider time,
    IOptions<WebHookReverseHttpOptions> options)
{
    /// <summary>The name of the reverse delivery handler (a <see cref="SocketsHttpHandler"/> that never opens a socket).</summary>
    public const string HttpClientName = "Hooks.Delivery.ReverseHttp";

    private readonly ConcurrentDictionary<string, ReversedConnection> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private long _next;
    private int _total;
    private HttpMessageInvoker? _invoker;

    private sealed class Pool
    {
        public readonly List<ReversedConnection> Connections = [];
        public readonly Queue<TaskCompletionSource<ReversedConnection?>> Waiting = new();
    }

    /// <summary>The reverse delivery handler, shared by attempts and pings.</summary>
    public HttpMessageInvoker Invoker => _invoker ??= new HttpMessageInvoker(handlers.CreateHandler(HttpClientName), disposeHandler: false);

    public int Count => Volatile.Read(ref _total);

    /// <summary>How many connections <paramref name="subscriptionId"/> holds.</summary>
    public int CountOf(string subscriptionId)
    {
        lock (_pools)
        {
            return _pools.TryGetValue(subscriptionId, out var pool) ? pool.Connections.Count : 0;
        }
    }

    /// <summary>Adds a connection unless a limit is reached; rings the dispatcher.</summary>
    public ReversedConnection? TryAdd(string subscriptionId, Stream upgraded)
    {
        var o = options.Value;
        ReversedConnection connection;
        lock (_pools)
        {
            if (_total >= o.MaxConnections)
            {
                return null;
            }
            if (!_pools.TryGetValue(subscriptionId, out var pool))
            {
                _pools[subscriptionId] = pool = new Pool();
            }
            if (pool.Connections.Count >= o.MaxConnectionsPerSubscription)
            {
                return null;
            }
            var id = "ptth-" + Interlocked.Increment(ref _next).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            connection = new ReversedConnection(id, subscriptionId, upgraded, time.GetTimestamp());
            pool.Connections.Add(connection);
            _byId[id] = connection;
            _total++;
            connection.Closed.ContinueWith(static (_, state) =>
            {
                var (self, c) = ((ReversedConnections, ReversedConnection))state!;
                self.Remove(c);
            }, (this, connection), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            // A waiting attempt takes it at once.
            connection.Busy = true;
            Release(pool, connection);
        }
        signal.Notify();
        return connection;
    }

    /// <summary>Whether a limit stops one more connection of <paramref name="subscriptionId"/>.</summary>
    public bool IsFull(string subscriptionId)
    {
        var o = options.Value;
        lock (_pools)
        {
            return _total >= o.MaxConnections ||
                (_pools.TryGetValue(subscriptionId, out var pool) && pool.Connections.Count >= o.MaxConnectionsPerSubscription);
        }
    }

    /// <summary>
    /// An idle connection of the subscription, marked busy; waits while all are busy; <c>null</c> when it has none.
    /// </summary>
    public ValueTask<ReversedConnection?> AcquireAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ReversedConnection?> waiter;
        lock (_pools)
        {
            if (!_pools.TryGetValue(subscriptionId, out var pool) || pool.Connections.Count == 0)
            {
                return ValueTask.FromResult<ReversedConnection?>(null);
            }
            foreach (var c in pool.Connections)
            {
                if (!c.Busy && !c.IsClosed)
                {
                    c.Busy = true;
                    return ValueTask.FromResult<ReversedConnection?>(c);
                }
            }
            waiter = new TaskCompletionSource<ReversedConnection?>(TaskCreationOptions.RunContinuationsAsynchronously);
            pool.Waiting.Enqueue(waiter);
        }
        return WaitAsync(waiter, cancellationToken);
    }

    private static async ValueTask<ReversedConnection?> WaitAsync(TaskCompletionSource<ReversedConnection?> waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(static w => ((TaskCompletionSource<ReversedConnection?>)w!).TrySetCanceled(), waiter).ConfigureAwait(false))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Marks <paramref name="connection"/> busy when it is idle (for a ping).</summary>
    public bool TryAcquire(ReversedConnection connection)
    {
        lock (_pools)
        {
            if (connection.Busy || connection.IsClosed)
            {
                return false;
            }
            connection.Busy = true;
            return true;
        }
    }

    /// <summary>Gives a connection back: to a waiting attempt, else idle.</summary>
    public void Release(ReversedConnection connection)
    {
        lock (_pools)
        {
            if (_pools.TryGetValue(connection.SubscriptionId, out var pool))
            {
                Release(pool, connection);
            }
        }
    }

    private void Release(Pool pool, ReversedConnection connection)
    {
        if (!connection.IsClosed)
        {
            while (pool.Waiting.TryDequeue(out var waiter))
            {
                if (waiter.TrySetResult(connection))
                {
                    return; // stays busy, now the waiter's
                }
            }
        }
        connection.Busy = false;
        connection.IdleSince = time.GetTimestamp();
    }

    /// <summary>The connections idle for at least <paramref name="idle"/>, marked busy (to be pinged, then released).</summary>
    public List<ReversedConnection> AcquireIdle(TimeSpan idle)
    {
        var found = new List<ReversedConnection>();
        lock (_pools)
        {
            foreach (var pool in _pools.Values)
            {
                foreach (var c in pool.Connections)
                {
                    if (!c.Busy && !c.IsClosed && time.GetElapsedTime(c.IdleSince) >= idle)
                    {
                        c.Busy = true;
                        found.Add(c);
                    }
                }
            }
        }
        return found;
    }

    private void Remove(ReversedConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        lock (_pools)
        {
            if (!_pools.TryGetValue(connection.SubscriptionId, out var pool) || !pool.Connections.Remove(connection))
            {
                return;
            }
            _total--;
            if (pool.Connections.Count == 0)
            {
                // Attempts waiting for a connection of a subscription that has none left fail as connection errors.
                while (pool.Waiting.TryDequeue(out var waiter))
                {
                    waiter.TrySetResult(null);
                }
                _pools.Remove(connection.SubscriptionId);
            }
        }
    }

    /// <summary>
    /// Sends one request (intent verification's) over a connection of the subscription, its response buffered (at
    /// most 64 KiB) so the connection is free when this returns.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(string subscriptionId, HttpRequestMessage request, Uri url, CancellationToken cancellationToken)
    {
        var connection = await AcquireAsync(subscriptionId, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException(HttpRequestError.ConnectionError, "No reversed connection from the consumer is open.");
        try
        {
            request.RequestUri = connection.RequestUri(url);
            var response = await Invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
            await response.Content.LoadIntoBufferAsync(64 * 1024, cancellationToken).ConfigureAwait(false);
            return response;
        }
        finally
        {
            Release(connection);
        }
    }

    /// <summary>Closes every connection (the app is stopping).</summary>
    public void CloseAll()
    {
        foreach (var c in _byId.Values)
        {
            c.Close();
        }
    }

    /// <summary>
    /// The reverse handler's <c>ConnectCallback</c>: the connection its authority names, once. It never opens a
    /// socket, so no address is ever connected to on a consumer's behalf.
    /// </summary>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (_byId.TryGetValue(context.DnsEndPoint.Host, out var connection) && connection.Take() is { } stream)
        {
            return ValueTask.FromResult(stream);
        }
        throw new HttpRequestException(HttpRequestError.ConnectionError, "The reversed connection is closed.");
    }
}
