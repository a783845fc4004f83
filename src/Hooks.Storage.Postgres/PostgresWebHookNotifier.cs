using Hooks.Delivery;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hooks.Storage.Postgres;

/// <summary>
/// An <see cref="IWebHookNotifier"/> over PostgreSQL's <c>LISTEN/NOTIFY</c>: a publish on any instance wakes the
/// dispatchers of all of them. <see cref="Notify"/> wakes this process's subscribers at once and sends one
/// <c>NOTIFY</c> per burst (while one is pending or in flight, further calls read a flag). The listening connection is
/// opened by the first subscriber (a dispatcher), so an instance that only publishes holds none; after a lost connection
/// it reconnects with backoff and wakes its subscribers, since notifications may have been missed meanwhile.
/// </summary>
internal sealed partial class PostgresWebHookNotifier : IWebHookNotifier, IAsyncDisposable
{
    /// <summary>The channel Hooks notifies and listens on.</summary>
    internal const string Channel = "hooks_work_due";

    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    private readonly NpgsqlDataSource _dataSource;
    private readonly NpgsqlDataSource _listenDataSource;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WebHookNotifierSubscribers _subscribers = new();
    // Our own notifications come back to our listener: the payload says whose they are, so they are not rung twice.
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _listener;
    private Task? _sender;
    private int _pending;
    private int _sending;

    /// <param name="dataSource">Where each <c>NOTIFY</c> is sent: a pooled data source (a connection per notification
    /// would cost the server a new backend each time).</param>
    /// <param name="time">The clock of the reconnect backoff.</param>
    /// <param name="logger">The log.</param>
    /// <param name="listenDataSource">Where the long-lived <c>LISTEN</c> connection is opened; <paramref name="dataSource"/>
    /// when <c>null</c>.</param>
    public PostgresWebHookNotifier(NpgsqlDataSource dataSource, TimeProvider time, ILogger<PostgresWebHookNotifier> logger,
        NpgsqlDataSource? listenDataSource = null)
    {
        _dataSource = dataSource;
        _listenDataSource = listenDataSource ?? dataSource;
        _time = time;
        _logger = logger;
    }

    /// <summary>Completes once the listening connection first listens (for tests and start-up ordering).</summary>
    internal Task Listening => _listening.Task;

    /// <inheritdoc />
    public void Notify()
    {
        _subscribers.Ring();
        if (Volatile.Read(ref _pending) == 1 || Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            // Off the publisher's thread: the first publish of a burst does not wait for a connection.
            _sender = Task.Run(SendAsync);
        }
    }

    /// <inheritdoc />
    public IDisposable Subscribe(Action onWorkDue)
    {
        var subscription = _subscribers.Add(onWorkDue);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _listener ??= Task.Run(ListenAsync);
        }
        return subscription;
    }

    private async Task SendAsync()
    {
        while (true)
        {
            // Cleared before sending: a Notify from here on is covered by this NOTIFY or asks for the next one.
            Volatile.Write(ref _pending, 0);
            try
            {
                await using var command = _dataSource.CreateCommand("SELECT pg_notify($1, $2)");
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Channel });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = _instance });
                await command.ExecuteNonQueryAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_stopping.IsCancellationRequested)
            {
                // The other instances find the work at their next poll.
                Log.NotifyFailed(_logger, ex);
            }
            catch (OperationCanceledException)
            {
                Volatile.Write(ref _sending, 0);
                return;
            }
            Volatile.Write(ref _sending, 0);
            // A Notify that came while sending found _sending set and left the NOTIFY to this loop.
            if (Volatile.Read(ref _pending) == 0 || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private async Task ListenAsync()
    {
        var token = _stopping.Token;
        var delay = TimeSpan.FromMilliseconds(250);
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenDataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                delay = TimeSpan.FromMilliseconds(250);
                _subscribers.Ring(); // whatever was notified while we were not listening
                _listening.TrySetResult();
                while (true)
                {
                    await connection.WaitAsync(token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.ListenFailed(_logger, delay.TotalSeconds, ex);
                try
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = delay * 2 > MaxReconnectDelay ? MaxReconnectDelay : delay * 2;
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel == Channel && e.Payload != _instance)
        {
            _subscribers.Ring();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? listener;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }
            _stopping.Cancel();
            listener = _listener;
        }
        foreach (var task in new[] { listener, _sender })
        {
            if (task is not null)
            {
                await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Warning, "Could not notify other instances that deliveries are due; they find them at their next poll.", EventName = "NotifyFailed")]
        public static partial void NotifyFailed(ILogger logger, Exception exception);

        [LoggerMessage(4002, LogLevel.Warning, "Listening for delivery notifications failed; retrying in {DelaySeconds} s (dispatchers poll meanwhile).", EventName = "ListenFailed")]
        public static partial void ListenFailed(ILogger logger, double delaySeconds, Exception exception);
    }
}
