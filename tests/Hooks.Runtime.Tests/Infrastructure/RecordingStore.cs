using System.Threading.Channels;
using Hooks.Storage;

using Hooks.Publishing;

namespace Hooks.Tests.Infrastructure;

/// <summary>The in-memory store, reporting each recorded attempt so tests wait on it instead of sleeping.</summary>
public sealed class RecordingStore : IWebHookStore
{
    private readonly InMemoryWebHookStore _inner = new();
    private readonly Channel<WebHookAttemptResult> _recorded = Channel.CreateUnbounded<WebHookAttemptResult>();
    private readonly Channel<WebHookLeaseRef> _released = Channel.CreateUnbounded<WebHookLeaseRef>();

    public async Task<WebHookAttemptResult> NextAttemptAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _recorded.Reader.ReadAsync(cts.Token);
    }

    public async Task<WebHookLeaseRef> NextReleaseAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _released.Reader.ReadAsync(cts.Token);
    }

    public ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default) => _inner.CreateSubscriptionAsync(subscription, cancellationToken);
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default) => _inner.GetSubscriptionAsync(id, cancellationToken);
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string tenant, string id, CancellationToken cancellationToken = default) => _inner.GetSubscriptionAsync(tenant, id, cancellationToken);
    public ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? tenant, string? afterId, int limit, CancellationToken cancellationToken = default) => _inner.ListSubscriptionsAsync(tenant, afterId, limit, cancellationToken);
    public ValueTask<int> CountSubscriptionsAsync(string tenant, CancellationToken cancellationToken = default) => _inner.CountSubscriptionsAsync(tenant, cancellationToken);
    /// <summary>Runs before each subscription update reaches the store: another writer's change can land in between.</summary>
    public Func<IWebHookStore, WebHookSubscription, ValueTask>? BeforeUpdate { get; set; }

    public async ValueTask<WebHookSubscriptionUpdateResult> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        if (BeforeUpdate is { } before)
        {
            await before(_inner, subscription);
        }
        return await _inner.UpdateSubscriptionAsync(subscription, cancellationToken);
    }
    public ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default) => _inner.DeleteSubscriptionAsync(id, cancellationToken);
    public ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default) => _inner.AppendMessageAsync(draft, cancellationToken);
    public ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default) => _inner.GetMessageAsync(id, cancellationToken);
    public ValueTask<WebHookFeedPage> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default) => _inner.ReadFeedAsync(subscriptionId, afterSequence, limit, cancellationToken);
    // Leases handed out and not yet ended by a result or a release, by delivery, and the most one subscription held at once.
    private readonly Dictionary<long, string> _held = [];
    private readonly Dictionary<string, int> _mostHeld = new(StringComparer.Ordinal);

    /// <summary>The most leases the store's callers held at once, of every subscription.</summary>
    public int MostLeasesHeldInAll
    {
        get
        {
            lock (_held)
            {
                return _mostHeldInAll;
            }
        }
    }

    private int _mostHeldInAll;

    /// <summary>The most leases of the subscription the store's callers held at once (handed out, not yet recorded or released).</summary>
    public int MostLeasesHeld(string subscriptionId)
    {
        lock (_held)
        {
            return _mostHeld.GetValueOrDefault(subscriptionId);
        }
    }

    public async ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, int perSubscriptionLimit, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        var leases = await _inner.LeaseDueAsync(now, limit, perSubscriptionLimit, leaseDuration, cancellationToken);
        lock (_held)
        {
            foreach (var lease in leases)
            {
                _held[lease.Delivery.Id] = lease.Subscription.Id;
                var count = _held.Values.Count(id => id == lease.Subscription.Id);
                _mostHeld[lease.Subscription.Id] = Math.Max(count, _mostHeld.GetValueOrDefault(lease.Subscription.Id));
            }
            _mostHeldInAll = Math.Max(_mostHeldInAll, _held.Count);
        }
        return leases;
    }

    private void Ended(long deliveryId)
    {
        lock (_held)
        {
            _held.Remove(deliveryId);
        }
    }
    private readonly Channel<(DateTimeOffset Before, int Purged)> _purges = Channel.CreateUnbounded<(DateTimeOffset, int)>();

    /// <summary>The next purge the store ran: the window's start and how many messages it deleted.</summary>
    public async Task<(DateTimeOffset Before, int Purged)> NextPurgeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _purges.Reader.ReadAsync(cts.Token);
    }

    public async ValueTask<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        var purged = await _inner.PurgeAsync(before, limit, cancellationToken);
        _purges.Writer.TryWrite((before, purged));
        return purged;
    }

    public async ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results, CancellationToken cancellationToken = default)
    {
        // Ended before the store hears of it, so a lease taken as soon as the store frees a place is never counted
        // alongside the one it replaced.
        foreach (var r in results)
        {
            Ended(r.Lease.DeliveryId);
        }
        var changes = await _inner.RecordAttemptsAsync(results, cancellationToken);
        foreach (var r in results)
        {
            _recorded.Writer.TryWrite(r);
        }
        return changes;
    }

    public async ValueTask ReleaseLeasesAsync(IReadOnlyList<WebHookLeaseRef> leases, CancellationToken cancellationToken = default)
    {
        foreach (var l in leases)
        {
            Ended(l.DeliveryId);
        }
        await _inner.ReleaseLeasesAsync(leases, cancellationToken);
        foreach (var l in leases)
        {
            _released.Writer.TryWrite(l);
        }
    }

    public ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default) => _inner.ListDeliveriesAsync(query, cancellationToken);
    public ValueTask<WebHookDelivery?> GetDeliveryAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default) => _inner.GetDeliveryAsync(subscriptionId, deliveryId, cancellationToken);
    public ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default) => _inner.ListAttemptsAsync(subscriptionId, deliveryId, cancellationToken);
    public ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default) => _inner.RedeliverAsync(subscriptionId, messageId, now, cancellationToken);
    public ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default) => _inner.RecoverAsync(subscriptionId, since, now, cancellationToken);
    private int _countDueCalls;
    private readonly SemaphoreSlim _counted = new(0);

    /// <summary>How many times the backlog was counted.</summary>
    public int CountDueCalls => Volatile.Read(ref _countDueCalls);

    /// <summary>Waits for the next count of the backlog; <c>false</c> when none came in time.</summary>
    public Task<bool> CountedAsync(TimeSpan timeout) => _counted.WaitAsync(timeout);

    public ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _countDueCalls);
        _counted.Release();
        return _inner.CountDueAsync(now, cancellationToken);
    }
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) => _inner.GetNextDueAsync(cancellationToken);
}
