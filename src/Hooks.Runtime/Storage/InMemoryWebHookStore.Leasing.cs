using System.Runtime.CompilerServices;

namespace Hooks.Storage;

// Leasing: the due order, leases and their expiry, the per-subscription lease limit, and what is due when.
public sealed partial class InMemoryWebHookStore
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, int perSubscriptionLimit, TimeSpan leaseDuration,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfLessThan(perSubscriptionLimit, 1);
        lock (_gate)
        {
            // Finished leases leave the expiry queue from its head, so a busy store does not keep one entry per
            // lease for the whole lease duration; leases that expired without a result make their deliveries due again.
            while (_leaseExpiries.TryPeek(out var leased, out var expiresAt))
            {
                ref var delivery = ref FindDelivery(leased.Id);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.LeaseToken == leased.Token)
                {
                    if (expiresAt > now.UtcTicks)
                    {
                        break;
                    }
                    EndHolding(ref delivery);
                    if (delivery.Status == WebHookDeliveryStatus.Pending)
                    {
                        Enqueue(leased.Id, ref delivery, delivery.NextAttemptAt);
                    }
                }
                _leaseExpiries.Dequeue();
            }
            List<WebHookLease>? leases = null;
            while ((leases?.Count ?? 0) < limit && _due.TryPeek(out var entry, out var dueAt) && dueAt <= now.UtcTicks)
            {
                _due.Dequeue();
                ref var delivery = ref FindDelivery(entry.Id);
                if (Unsafe.IsNullRef(ref delivery) || delivery.Version != entry.Version || delivery.Status != WebHookDeliveryStatus.Pending)
                {
                    continue;
                }
                if (delivery.LeaseToken != Guid.Empty && delivery.LeaseExpiresAt > now)
                {
                    Enqueue(entry.Id, ref delivery, delivery.LeaseExpiresAt);
                    continue;
                }
                var slot = _slots[delivery.Slot]!;
                if (slot.Current is not { Status: WebHookSubscriptionStatus.Enabled } subscription)
                {
                    // Dropped until the subscription is enabled again (UpdateSubscriptionAsync re-queues it).
                    continue;
                }
                if (slot.Leased >= perSubscriptionLimit)
                {
                    // Held back, in order, until one of the subscription's leases ends: a dead subscription's backlog
                    // neither takes leases nor is walked again by every lease call.
                    (slot.Parked ??= new()).Enqueue(entry);
                    continue;
                }
                slot.Leased++;
                delivery.Holding = true;
                delivery.LeaseToken = NewLeaseToken();
                delivery.DueAgainAfterLease = false; // this lease is the attempt a pending redelivery asked for
                delivery.LeaseExpiresAt = now + leaseDuration;
                // Tracked apart from the due queue, which so holds only waiting deliveries and stays small.
                _leaseExpiries.Enqueue((entry.Id, delivery.LeaseToken), delivery.LeaseExpiresAt.UtcTicks);
                var messageId = IdOf(delivery.Message); // one string for both records
                (leases ??= new List<WebHookLease>(Math.Min(limit, _due.Count + 1))).Add(new WebHookLease(
                    ToDelivery(entry.Id, ref delivery, messageId), ToMessage(delivery.Message, messageId), subscription,
                    delivery.LeaseToken, delivery.LeaseExpiresAt));
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookLease>>(leases ?? (IReadOnlyList<WebHookLease>)[]);
        }
    }

    /// <inheritdoc />
    public ValueTask ReleaseLeasesAsync(IReadOnlyList<WebHookLeaseRef> leases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                ref var delivery = ref FindDelivery(lease.DeliveryId);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.LeaseToken == lease.LeaseToken)
                {
                    EndHolding(ref delivery);
                    delivery.LeaseToken = Guid.Empty;
                    delivery.LeaseExpiresAt = default;
                    Enqueue(lease.DeliveryId, ref delivery, delivery.NextAttemptAt);
                }
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <inheritdoc />
    public ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            long count = 0;
            for (var c = 0; c < _deliveries.ChunkCount; c++)
            {
                foreach (ref var delivery in _deliveries.ChunkAt(c))
                {
                    if (delivery.Present && delivery.Status == WebHookDeliveryStatus.Pending && delivery.NextAttemptAt <= now &&
                        _slots[delivery.Slot]!.Current is { Status: WebHookSubscriptionStatus.Enabled })
                    {
                        count++;
                    }
                }
            }
            return ValueTask.FromResult(count);
        }
    }

    /// <inheritdoc />
    public ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            DateTimeOffset? next = null;
            // Drop stale entries so the head is a real candidate.
            while (_due.TryPeek(out var entry, out var dueAt))
            {
                ref var delivery = ref FindDelivery(entry.Id);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.Version == entry.Version &&
                    delivery.Status == WebHookDeliveryStatus.Pending &&
                    _slots[delivery.Slot]!.Current is { Status: WebHookSubscriptionStatus.Enabled })
                {
                    next = new DateTimeOffset(dueAt, TimeSpan.Zero);
                    break;
                }
                // Stale, or its subscription cannot receive (re-queued when it is enabled again): drop it, as leasing would.
                _due.Dequeue();
            }
            while (_leaseExpiries.TryPeek(out var leased, out var expiresAt))
            {
                ref var delivery = ref FindDelivery(leased.Id);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.LeaseToken == leased.Token)
                {
                    // A lease that expires without a result makes its delivery due then.
                    if (next is null || expiresAt < next.Value.UtcTicks)
                    {
                        next = new DateTimeOffset(expiresAt, TimeSpan.Zero);
                    }
                    break;
                }
                _leaseExpiries.Dequeue();
            }
            return ValueTask.FromResult(next);
        }
    }

    // A lease of the delivery ended (a result, a release, an expiry): its subscription may take one more, so the first
    // delivery held back by the limit is due again.
    private void EndHolding(ref DeliveryRecord delivery)
    {
        if (!delivery.Holding)
        {
            return;
        }
        delivery.Holding = false;
        var slot = _slots[delivery.Slot]!;
        slot.Leased--;
        while (slot.Parked is { } parked && parked.TryDequeue(out var entry))
        {
            ref var waiting = ref FindDelivery(entry.Id);
            if (!Unsafe.IsNullRef(ref waiting) && waiting.Version == entry.Version && waiting.Status == WebHookDeliveryStatus.Pending)
            {
                Enqueue(entry.Id, ref waiting, waiting.NextAttemptAt);
                break;
            }
        }
    }

    private void MakeDue(long id, ref DeliveryRecord delivery, DateTimeOffset now)
    {
        delivery.Status = WebHookDeliveryStatus.Pending;
        delivery.NextAttemptAt = now;
        // A running lease keeps its token: its result still counts, and one more attempt follows when it is
        // recorded. Should the result never come (the dispatcher died), the lease's expiry makes it due anyway.
        if (delivery.LeaseToken != Guid.Empty && delivery.LeaseExpiresAt > now)
        {
            delivery.DueAgainAfterLease = true;
        }
        Enqueue(id, ref delivery, Max(now, delivery.LeaseExpiresAt));
    }

    private void Enqueue(long id, ref DeliveryRecord delivery, DateTimeOffset dueAt)
    {
        delivery.Version++;
        _due.Enqueue(id, delivery.Version, dueAt.UtcTicks);
    }

    /// <summary>
    /// Deliveries by due time (UTC ticks), oldest first. New deliveries are due when published, in publish order
    /// nearly always: they join a queue in O(1) and leave it in O(1); the rest (retries, redeliveries, a publish
    /// that came in out of order) go through a heap. The two heads are compared, so the order stays exact.
    /// </summary>
    private sealed class DueQueue
    {
        private readonly Queue<(long Id, int Version, long DueAt)> _inOrder = new();
        private long _lastInOrder = long.MinValue;
        private readonly PriorityQueue<(long Id, int Version), long> _heap = new();

        public int Count => _inOrder.Count + _heap.Count;

        public void EnqueueNew(long id, int version, long dueAt)
        {
            if (_inOrder.Count == 0 || dueAt >= _lastInOrder)
            {
                _inOrder.Enqueue((id, version, dueAt));
                _lastInOrder = dueAt;
                return;
            }
            _heap.Enqueue((id, version), dueAt);
        }

        public void Enqueue(long id, int version, long dueAt) => _heap.Enqueue((id, version), dueAt);

        public bool TryPeek(out (long Id, int Version) entry, out long dueAt)
        {
            var fromQueue = _inOrder.TryPeek(out var queued);
            if (_heap.TryPeek(out entry, out dueAt) && (!fromQueue || dueAt < queued.DueAt))
            {
                return true;
            }
            entry = (queued.Id, queued.Version);
            dueAt = queued.DueAt;
            return fromQueue;
        }

        public void Dequeue()
        {
            var fromQueue = _inOrder.TryPeek(out var queued);
            if (_heap.TryPeek(out _, out var dueAt) && (!fromQueue || dueAt < queued.DueAt))
            {
                _heap.Dequeue();
                return;
            }
            _inOrder.Dequeue();
        }
    }

    // Unique per store without a system call per lease: a random store prefix and a counter.
    private Guid NewLeaseToken()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, _leasePrefix);
        BitConverter.TryWriteBytes(bytes[8..], ++_leaseCounter);
        return new Guid(bytes);
    }
}
