using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Hooks.Diagnostics;
using Hooks.Hosting;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Delivery;

/// <summary>
/// The dispatcher: one loop leases due deliveries in batches into a bounded queue; <see cref="WebHookProducerOptions.MaxConcurrency"/>
/// workers take them and send them; one recorder writes their results (every attempt, the next one scheduled) in
/// batches. It holds at most the workers' number of leases and twice as many more (queued or being attempted, until
/// their results are recorded), so a lease never waits long in its queue while another dispatcher sharing the store
/// could send it. The store leases at most <see cref="WebHookProducerOptions.MaxConcurrencyPerSubscription"/>
/// deliveries of one subscription at once (across every dispatcher sharing it), so nothing over that limit is leased
/// only to wait: a slow or dead subscription holds that many leases, whatever its backlog. A publish rings a signal
/// that wakes the loop at once; a timer wakes it when the next retry is due.
/// </summary>
internal sealed class WebHookDeliveryService : BackgroundService
{
    private readonly IWebHookStore _store;
    private readonly WebHookSender _sender;
    private readonly WebHookDeliverySignal _signal;
    private readonly IWebHookNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly WebHookProducerOptions _options;
    private readonly WebHookOutcomePolicy _policy;
    private readonly ILogger _logger;
    private readonly Channel<WebHookLease> _queue;
    private readonly WebHookSecretCache _secrets = new();
    // The most leases held at once, queued or being attempted: the workers and a little headroom, so a worker that
    // finishes finds its next delivery queued, and no more (see the constructor).
    private readonly int _maxHeld;
    private readonly int _refillBelow;
    private int _held;
    private long _backlog;
    private readonly ObservableGauge<long> _backlogGauge;
    private DateTimeOffset _nextBacklogCount;
    private ITimer? _wakeTimer;

    // Attempt results go to the store in batches (one store operation for many attempts), written by one recorder
    // task: a worker queues its result and goes on to its next delivery. While the workers have leases queued (the
    // dispatcher is busy, and no lease waits on these results), the recorder waits up to RecordLinger for a batch of
    // half the workers before it writes: three PostgreSQL dispatchers with 16 workers each (receivers answering in
    // 20 ms) recorded two results a call, 10,671 calls in a run, a third of the database's statement time; with the
    // wait, seven a call (4,107 calls), and the database's CPU time per delivery fell from 442 to 370 µs (medians of
    // three rounds; from 402 to 322 µs under one dispatcher). With nothing queued it writes at once: a result may free
    // its subscription's room for the lease the idle workers wait for. The linger is wall-clock time (a batching
    // bound, not a delivery time).
    private const int RecordBatchSize = 256;
    internal static readonly TimeSpan RecordLinger = TimeSpan.FromMilliseconds(5);
    private readonly ConcurrentQueue<WebHookAttemptResult> _results = new();
    private int _pendingResults;
    private readonly int _recordTarget;
    private readonly SemaphoreSlim _resultsReady = new(0);
    private volatile bool _recordingStopped;
    // Only the recorder writes, so one list serves every batch (a new list per write would cost an allocation per write).
    private readonly List<WebHookAttemptResult> _batch = new(RecordBatchSize);
    private int _refilling;
    // The clock reading the last lease request was made with (UTC ticks): a delivery due after it may be leasable now.
    private long _lastLeaseAtTicks;
    private int _queued;
    // How many times the loop has woken (a publish, a timer), and the wake count a worker's refill started under when
    // it found nothing more due: workers stop refilling until the loop wakes again. A worker whose refill overlapped a
    // wake rings the loop, since the loop's own refill found that worker's refill running and left the work to it.
    private int _wakes;
    private int _drainedAtWake = -1;

    public WebHookDeliveryService(IWebHookStore store, WebHookSender sender, WebHookDeliverySignal signal, IWebHookNotifier notifier,
        TimeProvider time, IOptions<WebHookProducerOptions> options, IMeterFactory meters, ILogger<WebHookDeliveryService> logger)
    {
        _store = store;
        _sender = sender;
        _signal = signal;
        _notifier = notifier;
        _time = time;
        _options = options.Value;
        _policy = new WebHookOutcomePolicy(new WebHookRetrySchedule([.. _options.RetrySchedule], _options.RetryJitter),
            _options.MaxRetryAfter, _options.DisableAfterFailingFor);
        _logger = logger;
        // Enough queued work to keep every worker busy between two refills, and no more: queued leases are held.
        // A lease waiting in the queue is not sent, yet it counts against its subscription's limit for every dispatcher
        // sharing the store and keeps them from sending it: held leases are bounded by the workers and twice as many
        // queued for them (two attempts' wait at most), not by the batch size, so a dispatcher never sits on a backlog
        // other dispatchers could be sending. The queue is topped up when it falls below a quarter of the workers, so
        // each lease request takes about one and three quarters of the workers' number: a request has a fixed cost in
        // a shared store (a transaction, locks, a walk of the subscription's due index past the entries of deliveries
        // leased since the last vacuum), and small requests cost three dispatchers sharing PostgreSQL more than their
        // deliveries (measured against one dispatcher: x1.6 with a quarter of the workers' headroom, x2 with as many
        // again). Twice as many halved the lease requests of three dispatchers (849 against 1,683 in 8 s); their
        // ratio to one moved within its noise (x2.0–2.7 by round either way). SQLite's one writer, which runs every
        // lease, gained more: x0.46 of the in-memory store's rate against x0.39, back to back.
        _maxHeld = 3 * _options.MaxConcurrency;
        _refillBelow = Math.Max(1, _options.MaxConcurrency / 4);
        _recordTarget = Math.Max(1, _options.MaxConcurrency / 2);
        // Unbounded in type, bounded by the loop, which never holds more than _maxHeld leases in it; an
        // unbounded channel's TryRead takes no lock, so many workers draining it do not contend.
        _queue = Channel.CreateUnbounded<WebHookLease>(new UnboundedChannelOptions { SingleWriter = true });
        // On the app's meter, not the process-wide one: the gauge exists where a dispatcher does and goes with its
        // app (the factory disposes the meter), so a receiving-only app has none and two hosts do not share one.
        _backlogGauge = meters.Create(new MeterOptions(WebHookDiagnostics.Name) { Version = WebHookDiagnostics.Version })
            .CreateObservableGauge(WebHookDiagnostics.BacklogGaugeName, () => Interlocked.Read(ref _backlog), "{delivery}",
                "Pending deliveries that are due, as last counted by the dispatcher (at most once per poll interval, while the gauge is collected).");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _wakeTimer = _time.CreateTimer(static state => ((WebHookDeliverySignal)state!).Notify(), _signal,
            Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        // Publishes and redeliveries, here or (with a shared notifier) on another instance, ring the loop's signal.
        using var notifications = _notifier.Subscribe(_signal.Notify);
        var workers = new Task[_options.MaxConcurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None);
        }
        var recorder = Task.Run(RecordLoopAsync, CancellationToken.None);
        try
        {
            await LeaseLoopAsync(stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            _queue.Writer.TryComplete();
            // Workers see the cancellation; their current attempts release their leases, as do queued ones.
            await Task.WhenAll(workers).ConfigureAwait(false);
            // The recorder writes what the workers finished, without waiting for more, and ends.
            _recordingStopped = true;
            _resultsReady.Release();
            await recorder.ConfigureAwait(false);
            var unsent = new List<WebHookLeaseRef>();
            while (_queue.Reader.TryRead(out var lease))
            {
                unsent.Add(new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken));
            }
            if (unsent.Count > 0)
            {
                await _store.ReleaseLeasesAsync(unsent, CancellationToken.None).ConfigureAwait(false);
            }
            await _wakeTimer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task LeaseLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    _signal.Reset();
                    Interlocked.Increment(ref _wakes);
                    var now = _time.GetUtcNow();
                    if (now >= _nextBacklogCount && _backlogGauge.Enabled)
                    {
                        // Counting is a scan in some stores: at most once per poll interval, never per delivery, and
                        // only while something collects the gauge (measured: three PostgreSQL dispatchers polling every
                        // 500 ms spent a tenth of their leasing time counting, up to 94 ms a count).
                        _nextBacklogCount = now + _options.PollInterval;
                        Interlocked.Exchange(ref _backlog, await _store.CountDueAsync(now, stoppingToken).ConfigureAwait(false));
                    }
                    switch (await RefillAsync(stoppingToken).ConfigureAwait(false))
                    {
                        case Refill.More:
                            continue; // more may be due right now
                        case Refill.Busy:
                            // The queue is full enough, or a worker is refilling it; workers ring when it runs low.
                            await _signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                            continue;
                        default:
                            await WaitAsync(stoppingToken).ConfigureAwait(false);
                            continue;
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.LoopFailed(_logger, ex);
                    _wakeTimer!.Change(_options.PollInterval, Timeout.InfiniteTimeSpan);
                    await _signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private enum Refill { Drained, More, Busy }

    /// <summary>
    /// Tops the queue up from the store. Run by the loop, and inline by a worker that found the queue low, so a busy
    /// dispatcher does not wait for the loop's thread to be scheduled; one refill at a time.
    /// </summary>
    private async ValueTask<Refill> RefillAsync(CancellationToken stoppingToken)
    {
        if (Volatile.Read(ref _queued) >= _refillBelow || Interlocked.Exchange(ref _refilling, 1) == 1)
        {
            return Refill.Busy;
        }
        try
        {
            var want = Math.Min(_maxHeld - Volatile.Read(ref _held), _options.LeaseBatchSize);
            if (want <= 0)
            {
                return Refill.Busy;
            }
            var leaseAt = _time.GetUtcNow();
            Volatile.Write(ref _lastLeaseAtTicks, leaseAt.UtcTicks);
            var leases = await _store.LeaseDueAsync(leaseAt, want, _options.MaxConcurrencyPerSubscription, _options.LeaseDuration,
                stoppingToken).ConfigureAwait(false);
            for (var i = 0; i < leases.Count; i++)
            {
                Interlocked.Increment(ref _queued);
                Interlocked.Increment(ref _held);
                _queue.Writer.TryWrite(leases[i]);
            }
            return leases.Count == want ? Refill.More : Refill.Drained;
        }
        finally
        {
            Volatile.Write(ref _refilling, 0);
        }
    }

    private async Task WaitAsync(CancellationToken stoppingToken)
    {
        var delay = _options.PollInterval;
        var next = await _store.GetNextDueAsync(stoppingToken).ConfigureAwait(false);
        // Read after the store: a clock that moved while the store answered is seen here, not missed.
        var now = _time.GetUtcNow();
        if (next is { } due)
        {
            var until = due - now;
            if (until <= TimeSpan.Zero)
            {
                if (due.UtcTicks > Volatile.Read(ref _lastLeaseAtTicks))
                {
                    // Became due after the last lease request looked (the clock moved since): look again at once.
                    _signal.Notify();
                    return;
                }
                // Due but not leasable (another dispatcher's lease, its subscription's limit): look again shortly.
                until = TimeSpan.FromMilliseconds(50);
            }
            if (until < delay)
            {
                delay = until;
            }
        }
        // One timer for the service's lifetime: re-armed per wait, it rings the same signal a publish does.
        _wakeTimer!.Change(delay, Timeout.InfiniteTimeSpan);
        if (next is { } dueAt && dueAt.UtcTicks > Volatile.Read(ref _lastLeaseAtTicks) && _time.GetUtcNow() >= dueAt)
        {
            // The clock passed the due time while the timer was armed relative to an earlier reading.
            _signal.Notify();
        }
        await _signal.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        // Whatever was current when the host started is no parent of deliveries: each attempt's parent is its message's
        // publish context, or none.
        Activity.Current = null;
        var reader = _queue.Reader;
        using var timeout = new WebHookAttemptTimeout(_time, stoppingToken);
        using var hmac = new WebHookHmacCache(); // this worker's keyed HMAC contexts
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // ReadAsync rather than WaitToReadAsync: a write hands the lease to one waiting worker instead of
                // waking them all to race for it.
                if (!reader.TryRead(out var lease))
                {
                    lease = await reader.ReadAsync(stoppingToken).ConfigureAwait(false);
                }
                // Our own count: the channel's walks its queue's segments, under a lock when there are several.
                var wakes = Volatile.Read(ref _wakes);
                if (Interlocked.Decrement(ref _queued) < _refillBelow && Volatile.Read(ref _drainedAtWake) != wakes)
                {
                    try
                    {
                        // Inline: no hop to the loop. When the store had nothing more, leave it to the loop's
                        // signal and timer instead of asking the store after every delivery.
                        if (await RefillAsync(stoppingToken).ConfigureAwait(false) == Refill.Drained)
                        {
                            Volatile.Write(ref _drainedAtWake, wakes);
                            if (Volatile.Read(ref _wakes) != wakes)
                            {
                                _signal.Notify(); // woken meanwhile: what woke it may have come after this refill looked
                            }
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _signal.Notify(); // the loop retries and logs
                    }
                }
                // The store never leased more of one subscription than its limit: nothing here waits for a slot.
                await AttemptAndRecordAsync(lease, timeout, hmac, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    // Pooled state machine: it completes asynchronously on every delivery (the HTTP call), and a worker runs one
    // attempt after another, so its box is reused rather than allocated per delivery.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AttemptAndRecordAsync(WebHookLease lease, WebHookAttemptTimeout timeout, WebHookHmacCache hmac,
        CancellationToken stoppingToken)
    {
        try
        {
            var result = await AttemptAsync(lease, timeout, hmac, stoppingToken).ConfigureAwait(false);
            _results.Enqueue(result);
            // Wake the recorder when it may be idle (the first result) and when its batch is full (ends its wait).
            var pending = Interlocked.Increment(ref _pendingResults);
            if (pending == 1 || pending == _recordTarget)
            {
                _resultsReady.Release();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await _store.ReleaseLeasesAsync([new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken)], CancellationToken.None).ConfigureAwait(false);
            Interlocked.Decrement(ref _held);
        }
        catch (Exception ex)
        {
            Log.DeliveryCrashed(_logger, lease.Delivery.Id, ex);
            Interlocked.Decrement(ref _held); // its lease expires in the store
            _signal.Notify();
        }
    }

    private async Task RecordLoopAsync()
    {
        while (true)
        {
            var pending = Volatile.Read(ref _pendingResults);
            if (pending == 0)
            {
                if (_recordingStopped)
                {
                    return;
                }
                // A result queued after the read above counts 0 to 1 and releases: no wake is lost.
                await _resultsReady.WaitAsync().ConfigureAwait(false);
                continue;
            }
            if (pending < _recordTarget && Volatile.Read(ref _queued) > 0 && !_recordingStopped)
            {
                // A release left from a result that arrived during the last write would end this wait at once: drop
                // it, then wait unless the batch filled meanwhile (a release after this look still ends the wait).
                while (_resultsReady.Wait(0))
                {
                }
                if (Volatile.Read(ref _pendingResults) < _recordTarget)
                {
                    await _resultsReady.WaitAsync(RecordLinger).ConfigureAwait(false);
                }
            }
            var batch = _batch;
            while (batch.Count < RecordBatchSize && _results.TryDequeue(out var result))
            {
                batch.Add(result);
            }
            Interlocked.Add(ref _pendingResults, -batch.Count);
            try
            {
                await FlushAsync(batch).ConfigureAwait(false);
            }
            finally
            {
                batch.Clear(); // the store is done with it; hold no results
            }
        }
    }

    private async ValueTask FlushAsync(List<WebHookAttemptResult> batch)
    {
        try
        {
            var changes = await _store.RecordAttemptsAsync(batch, CancellationToken.None).ConfigureAwait(false);
            if (changes.Count > 0)
            {
                LogChanges(changes);
            }
        }
        catch (Exception ex)
        {
            // The leases expire and the deliveries are attempted again: at least once, never lost.
            Log.RecordFailed(_logger, batch.Count, ex);
        }
        // Held until the store has the results: the next refill may lease as many again.
        Interlocked.Add(ref _held, -batch.Count);
        // Always ring the loop: these leases ended, and each may have let the store lease a delivery it held back for
        // its subscription's limit, which no timer announces; and a retry may be due before the loop's timer rings.
        _signal.Notify();
    }

    /// <summary>
    /// Says what the store changed, once per change: the store decides each change in the operation that makes it, so
    /// many attempts failing at once (or on several dispatchers) give one line, not one per attempt.
    /// </summary>
    private void LogChanges(IReadOnlyList<WebHookSubscriptionChange> changes)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            var attempt = change.Attempt;
            switch (change.Kind)
            {
                case WebHookSubscriptionChangeKind.StartedFailing:
                    // An attempt that also disabled the subscription (410 at once) is said by the disable line alone.
                    if (i + 1 < changes.Count && changes[i + 1] is { Kind: WebHookSubscriptionChangeKind.Disabled } next &&
                        ReferenceEquals(next.Attempt, attempt))
                    {
                        break;
                    }
                    Log.SubscriptionFailing(_logger, change.SubscriptionId, attempt.Number, attempt.MessageId,
                        WebHookAttemptOutcomeNames.Of(attempt.Outcome), WebHookAttemptOutcomeNames.Detail(attempt.StatusCode, attempt.Error));
                    break;
                case WebHookSubscriptionChangeKind.Recovered:
                    Log.SubscriptionRecovered(_logger, change.SubscriptionId, attempt.MessageId, change.FailingSince);
                    break;
                case WebHookSubscriptionChangeKind.Disabled:
                    Log.SubscriptionDisabled(_logger, change.SubscriptionId, change.Reason ?? "");
                    break;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<WebHookAttemptResult> AttemptAsync(WebHookLease lease, WebHookAttemptTimeout timeout, WebHookHmacCache hmac,
        CancellationToken stoppingToken)
    {
        var delivery = lease.Delivery;
        var subscription = lease.Subscription;
        var number = delivery.Attempts + 1;
        var startedAt = _time.GetUtcNow();
        using var activity = WebHookSender.StartAttemptActivity(lease.Message.TraceParent, delivery.MessageId, subscription.Id,
            delivery.EventType, number);

        WebHookSendResult sent;
        var secrets = _secrets.ActiveSecrets(subscription, startedAt);
        if (secrets.Length == 0)
        {
            sent = new(WebHookAttemptOutcome.HttpError, null, null, null, TimeSpan.Zero, "The subscription has no active secret.");
        }
        else
        {
            sent = await _sender.SendAsync(subscription.Id, subscription.Url, delivery.MessageId, lease.Message.Body, secrets, number,
                delivery.Sequence, startedAt, timeout, hmac).ConfigureAwait(false);
            stoppingToken.ThrowIfCancellationRequested();
        }

        var step = _policy.Decide(sent.Outcome, sent.RetryAfter, number, startedAt, subscription.FailingSince);
        switch (sent.Outcome)
        {
            case WebHookAttemptOutcome.Succeeded:
                if (WebHookDiagnostics.DeliveryLatency.Enabled)
                {
                    WebHookDiagnostics.DeliveryLatency.Record((_time.GetUtcNow() - lease.Message.Timestamp).TotalSeconds);
                }
                Log.Delivered(_logger, delivery.MessageId, subscription.Id, number, sent.StatusCode);
                break;
            case WebHookAttemptOutcome.Gone:
                break;
            default:
                if (step.Exhausted)
                {
                    if (subscription.FailingSince is null)
                    {
                        Log.Exhausted(_logger, delivery.MessageId, subscription.Id, number);
                    }
                    else
                    {
                        Log.ExhaustedWhileFailing(_logger, delivery.MessageId, subscription.Id, number);
                    }
                }
                Log.AttemptFailed(_logger, number, delivery.MessageId, subscription.Id, sent.Outcome, sent.StatusCode, sent.Error,
                    step.Status == WebHookDeliveryStatus.Pending ? step.NextAttemptAt : null);
                break;
        }

        if (WebHookDiagnostics.Attempts.Enabled || WebHookDiagnostics.AttemptDuration.Enabled)
        {
            var outcomeTag = new KeyValuePair<string, object?>("webhook.outcome", WebHookAttemptOutcomeNames.Of(sent.Outcome));
            if (_options.TenantInTelemetry)
            {
                var tenantTag = new KeyValuePair<string, object?>("webhook.tenant", subscription.Tenant);
                WebHookDiagnostics.Attempts.Add(1, outcomeTag, tenantTag);
                WebHookDiagnostics.AttemptDuration.Record(sent.Duration.TotalSeconds, outcomeTag, tenantTag);
            }
            else
            {
                WebHookDiagnostics.Attempts.Add(1, outcomeTag);
                WebHookDiagnostics.AttemptDuration.Record(sent.Duration.TotalSeconds, outcomeTag);
            }
        }
        if (activity is not null)
        {
            if (_options.TenantInTelemetry)
            {
                activity.SetTag("webhook.tenant", subscription.Tenant);
            }
            activity.SetTag("webhook.outcome", WebHookAttemptOutcomeNames.Of(sent.Outcome));
            if (sent.StatusCode is { } code)
            {
                activity.SetTag("http.response.status_code", code);
            }
            activity.SetStatus(sent.Outcome == WebHookAttemptOutcome.Succeeded ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }

        return new WebHookAttemptResult
        {
            Lease = new WebHookLeaseRef(delivery.Id, lease.LeaseToken),
            Attempt = new WebHookAttempt
            {
                DeliveryId = delivery.Id,
                MessageId = delivery.MessageId,
                SubscriptionId = subscription.Id,
                Number = number,
                StartedAt = startedAt,
                Duration = sent.Duration,
                Outcome = sent.Outcome,
                StatusCode = sent.StatusCode,
                ResponseBody = sent.ResponseBody,
                Error = sent.Error,
                Location = sent.Location,
            },
            NewStatus = step.Status,
            NextAttemptAt = step.NextAttemptAt,
            DisableSubscriptionReason = step.DisableSubscriptionReason,
        };
    }
}
