using System.Collections.Concurrent;
using System.Diagnostics;
using Hooks.Diagnostics;
using Hooks.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Delivery;

/// <summary>
/// The dispatcher: leases due deliveries in batches, sends them with bounded concurrency (global and per
/// subscription), records every attempt and schedules the next. Wakes on publish; a timer covers due retries.
/// </summary>
internal sealed class WebHookDeliveryService : BackgroundService
{
    private readonly IWebHookStore _store;
    private readonly WebHookSender _sender;
    private readonly WebHookDeliverySignal _signal;
    private readonly TimeProvider _time;
    private readonly WebHookProducerOptions _options;
    private readonly WebHookRetrySchedule _schedule;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, Task> _inFlight = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _perSubscription = new(StringComparer.Ordinal);
    private long _backlog;

    public WebHookDeliveryService(IWebHookStore store, WebHookSender sender, WebHookDeliverySignal signal, TimeProvider time,
        IOptions<WebHookProducerOptions> options, ILogger<WebHookDeliveryService> logger)
    {
        _store = store;
        _sender = sender;
        _signal = signal;
        _time = time;
        _options = options.Value;
        _schedule = new WebHookRetrySchedule([.. _options.RetrySchedule], _options.RetryJitter);
        _logger = logger;
        WebHookDiagnostics.SetBacklogSource(() => Interlocked.Read(ref _backlog));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    _signal.Reset();
                    var free = _options.MaxConcurrency - _inFlight.Count;
                    if (free > 0)
                    {
                        var want = Math.Min(free, _options.LeaseBatchSize);
                        var leases = await _store.LeaseDueAsync(_time.GetUtcNow(), want, _options.LeaseDuration, stoppingToken).ConfigureAwait(false);
                        foreach (var lease in leases)
                        {
                            Start(lease, stoppingToken);
                        }
                        if (leases.Count == want)
                        {
                            continue; // more may be due right now
                        }
                    }
                    await WaitAsync(free > 0, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.LoopFailed(_logger, ex);
                    await Task.Delay(_options.PollInterval, _time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // In-flight attempts see the cancellation and release their leases.
            await Task.WhenAll(_inFlight.Values).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(bool canLease, CancellationToken stoppingToken)
    {
        var delay = _options.PollInterval;
        if (canLease)
        {
            var now = _time.GetUtcNow();
            Interlocked.Exchange(ref _backlog, await _store.CountDueAsync(now, stoppingToken).ConfigureAwait(false));
            if (await _store.GetNextDueAsync(stoppingToken).ConfigureAwait(false) is { } next)
            {
                var until = next - now;
                if (until <= TimeSpan.Zero)
                {
                    return;
                }
                if (until < delay)
                {
                    delay = until;
                }
            }
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var signalled = _signal.WaitAsync(cts.Token).AsTask();
        var timer = Task.Delay(delay, _time, cts.Token);
        await Task.WhenAny(signalled, timer).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        stoppingToken.ThrowIfCancellationRequested();
    }

    private void Start(WebHookLease lease, CancellationToken stoppingToken)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = RunAsync(lease, gate.Task, stoppingToken);
        _inFlight[lease.Delivery.Id] = task;
        gate.SetResult();
    }

    private async Task RunAsync(WebHookLease lease, Task started, CancellationToken stoppingToken)
    {
        await started.ConfigureAwait(false);
        var leaseRef = new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken);
        var subscriptionGate = _perSubscription.GetOrAdd(lease.Subscription.Id,
            static (_, max) => new SemaphoreSlim(max, max), _options.MaxConcurrencyPerSubscription);
        try
        {
            await subscriptionGate.WaitAsync(stoppingToken).ConfigureAwait(false);
            WebHookAttemptResult result;
            try
            {
                result = await AttemptAsync(lease, stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                subscriptionGate.Release();
            }
            await _store.RecordAttemptsAsync([result], CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await _store.ReleaseLeasesAsync([leaseRef], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DeliveryCrashed(_logger, lease.Delivery.Id, ex);
        }
        finally
        {
            _inFlight.TryRemove(lease.Delivery.Id, out _);
            _signal.Notify();
        }
    }

    private async Task<WebHookAttemptResult> AttemptAsync(WebHookLease lease, CancellationToken stoppingToken)
    {
        var delivery = lease.Delivery;
        var subscription = lease.Subscription;
        var number = delivery.Attempts + 1;
        var startedAt = _time.GetUtcNow();
        using var activity = WebHookSender.StartAttemptActivity(delivery.MessageId, subscription.Id, delivery.EventType, number);

        WebHookSendResult sent;
        var secrets = subscription.ActiveSecrets(startedAt).ToArray();
        if (secrets.Length == 0)
        {
            sent = new(WebHookAttemptOutcome.HttpError, null, null, null, TimeSpan.Zero, "The subscription has no active secret.");
        }
        else
        {
            sent = await _sender.SendAsync(subscription.Url, delivery.MessageId, lease.Message.Body, secrets, startedAt, stoppingToken).ConfigureAwait(false);
        }

        var status = WebHookDeliveryStatus.Pending;
        DateTimeOffset next = default;
        string? disable = null;
        switch (sent.Outcome)
        {
            case WebHookAttemptOutcome.Succeeded:
                status = WebHookDeliveryStatus.Succeeded;
                WebHookDiagnostics.DeliveryLatency.Record((_time.GetUtcNow() - lease.Message.Timestamp).TotalSeconds);
                Log.Delivered(_logger, delivery.MessageId, subscription.Id, number, sent.StatusCode);
                break;
            case WebHookAttemptOutcome.Gone:
                status = WebHookDeliveryStatus.Failed;
                disable = "The endpoint answered 410 Gone.";
                break;
            default:
                var delay = _schedule.DelayAfter(number);
                if (sent.Outcome == WebHookAttemptOutcome.BackOff && sent.RetryAfter is { } retryAfter && delay is not null)
                {
                    delay = retryAfter > _options.MaxRetryAfter ? _options.MaxRetryAfter : retryAfter;
                }
                if (delay is { } d)
                {
                    next = startedAt + d;
                }
                else
                {
                    status = WebHookDeliveryStatus.Failed;
                    Log.Exhausted(_logger, delivery.MessageId, subscription.Id, number);
                }
                var failingSince = subscription.FailingSince ?? startedAt;
                if (startedAt - failingSince >= _options.DisableAfterFailingFor)
                {
                    disable = $"Failing without a success since {failingSince:O}.";
                }
                Log.AttemptFailed(_logger, number, delivery.MessageId, subscription.Id, sent.Outcome, sent.StatusCode, sent.Error,
                    status == WebHookDeliveryStatus.Pending ? next : null);
                break;
        }
        if (disable is not null)
        {
            Log.SubscriptionDisabled(_logger, subscription.Id, disable);
        }

        var outcomeTag = new KeyValuePair<string, object?>("webhook.outcome", OutcomeName(sent.Outcome));
        WebHookDiagnostics.Attempts.Add(1, outcomeTag);
        WebHookDiagnostics.AttemptDuration.Record(sent.Duration.TotalSeconds, outcomeTag);
        if (activity is not null)
        {
            activity.SetTag("webhook.outcome", OutcomeName(sent.Outcome));
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
            },
            NewStatus = status,
            NextAttemptAt = next,
            DisableSubscriptionReason = disable,
        };
    }

    private static string OutcomeName(WebHookAttemptOutcome outcome) => outcome switch
    {
        WebHookAttemptOutcome.Succeeded => "succeeded",
        WebHookAttemptOutcome.HttpError => "http_error",
        WebHookAttemptOutcome.Redirect => "redirect",
        WebHookAttemptOutcome.Gone => "gone",
        WebHookAttemptOutcome.BackOff => "back_off",
        WebHookAttemptOutcome.Timeout => "timeout",
        WebHookAttemptOutcome.ConnectionError => "connection_error",
        WebHookAttemptOutcome.AddressRefused => "address_refused",
        _ => "unknown",
    };
}
