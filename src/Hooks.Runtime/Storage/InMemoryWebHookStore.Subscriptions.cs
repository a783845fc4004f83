using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hooks.Publishing;

namespace Hooks.Storage;

// Subscriptions: create, read, list, count, versioned update, delete, and the per-tenant index fan-out walks.
public sealed partial class InMemoryWebHookStore
{
    /// <inheritdoc />
    public ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!WebHookTenant.IsValid(subscription.Tenant))
        {
            throw new ArgumentException("The subscription's tenant is not a valid tenant id.", nameof(subscription));
        }
        if (subscription.Version != 1)
        {
            subscription = subscription with { Version = 1 };
        }
        lock (_gate)
        {
            if (!_subscriptions.TryAdd(subscription.Id, subscription))
            {
                return ValueTask.FromResult(false);
            }
            CollectionsMarshal.GetValueRefOrAddDefault(_subscriptionCounts, subscription.Tenant, out _)++;
            var number = _freeSlots.TryPop(out var free) ? free : _slots.Count;
            var slot = new SubscriptionSlot(subscription.Id, subscription.Tenant) { Current = subscription };
            if (number == _slots.Count)
            {
                _slots.Add(slot);
            }
            else
            {
                _slots[number] = slot;
            }
            _slotNumbers.Add(subscription.Id, number);
            _targetsStale = true;
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_subscriptions.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string tenant, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        lock (_gate)
        {
            return ValueTask.FromResult(_subscriptions.GetValueOrDefault(id) is { } found && found.Tenant == tenant ? found : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> CountSubscriptionsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        lock (_gate)
        {
            return ValueTask.FromResult(_subscriptionCounts.GetValueOrDefault(tenant));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? tenant, string? afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            var list = new List<WebHookSubscription>(Math.Min(limit, _subscriptions.Count));
            foreach (var (id, subscription) in _subscriptions)
            {
                if (list.Count >= limit)
                {
                    break;
                }
                if ((tenant is null || subscription.Tenant == tenant) && (afterId is null || string.CompareOrdinal(id, afterId) > 0))
                {
                    list.Add(subscription);
                }
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookSubscription>>(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookSubscriptionUpdateResult> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscription.Id, out var previous) || previous.Tenant != subscription.Tenant)
            {
                // Absent, or another tenant's: a subscription never moves.
                return ValueTask.FromResult(WebHookSubscriptionUpdateResult.NotFound);
            }
            if (previous.Version != subscription.Version)
            {
                return ValueTask.FromResult(WebHookSubscriptionUpdateResult.VersionConflict);
            }
            subscription = subscription with { Version = previous.Version + 1 };
            var slot = _slots[_slotNumbers[subscription.Id]]!;
            _subscriptions[subscription.Id] = subscription;
            slot.Current = subscription;
            _targetsStale = true;
            if (previous.Status != WebHookSubscriptionStatus.Enabled && subscription.Status == WebHookSubscriptionStatus.Enabled)
            {
                // Pending deliveries were dropped from the due queue while the subscription could not receive.
                foreach (var id in slot.Deliveries)
                {
                    ref var delivery = ref FindDelivery(id);
                    if (!Unsafe.IsNullRef(ref delivery) && delivery.Status == WebHookDeliveryStatus.Pending)
                    {
                        Enqueue(id, ref delivery, Max(delivery.NextAttemptAt, delivery.LeaseExpiresAt));
                    }
                }
            }
            return ValueTask.FromResult(WebHookSubscriptionUpdateResult.Updated);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_subscriptions.Remove(id))
            {
                return ValueTask.FromResult(false);
            }
            _slotNumbers.Remove(id, out var number);
            var slot = _slots[number]!;
            if (--CollectionsMarshal.GetValueRefOrNullRef(_subscriptionCounts, slot.Tenant) == 0)
            {
                _subscriptionCounts.Remove(slot.Tenant);
            }
            foreach (var deliveryId in slot.Deliveries)
            {
                RemoveDelivery(deliveryId);
            }
            // Every delivery naming the number is gone: it can name another subscription.
            _slots[number] = null;
            _freeSlots.Push(number);
            _targetsStale = true;
            return ValueTask.FromResult(true);
        }
    }

    // The subscriptions of the tenant (of every tenant when null), in id order; rebuilt after a change.
    private (int Slot, WebHookSubscription Subscription)[] Targets(string? tenant)
    {
        if (_targetsStale)
        {
            var all = new List<(int, WebHookSubscription)>();
            var byTenant = new Dictionary<string, List<(int, WebHookSubscription)>>(StringComparer.Ordinal);
            foreach (var subscription in _subscriptions.Values)
            {
                var entry = (_slotNumbers[subscription.Id], subscription);
                all.Add(entry);
                if (!byTenant.TryGetValue(subscription.Tenant, out var list))
                {
                    byTenant[subscription.Tenant] = list = [];
                }
                list.Add(entry);
            }
            _targets = [.. all];
            _targetsByTenant.Clear();
            foreach (var (name, list) in byTenant)
            {
                _targetsByTenant[name] = [.. list];
            }
            _targetsStale = false;
        }
        return tenant is null ? _targets : _targetsByTenant.GetValueOrDefault(tenant) ?? [];
    }
}
