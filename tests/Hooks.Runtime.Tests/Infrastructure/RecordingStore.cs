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
    public ValueTask<bool> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default) => _inner.UpdateSubscriptionAsync(subscription, cancellationToken);
    public ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default) => _inner.DeleteSubscriptionAsync(id, cancellationToken);
    public ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default) => _inner.AppendMessageAsync(draft, cancellationToken);
    public ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default) => _inner.GetMessageAsync(id, cancellationToken);
    public ValueTask<IReadOnlyList<WebHookMessage>> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default) => _inner.ReadFeedAsync(subscriptionId, afterSequence, limit, cancellationToken);
    public ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, TimeSpan leaseDuration, CancellationToken cancellationToken = default) => _inner.LeaseDueAsync(now, limit, leaseDuration, cancellationToken);

    public async ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results, CancellationToken cancellationToken = default)
    {
        var changes = await _inner.RecordAttemptsAsync(results, cancellationToken);
        foreach (var r in results)
        {
            _recorded.Writer.TryWrite(r);
        }
        return changes;
    }

    public async ValueTask ReleaseLeasesAsync(IReadOnlyList<WebHookLeaseRef> leases, CancellationToken cancellationToken = default)
    {
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
    public ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => _inner.CountDueAsync(now, cancellationToken);
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) => _inner.GetNextDueAsync(cancellationToken);
}
