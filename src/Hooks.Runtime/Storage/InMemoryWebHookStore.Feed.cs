using System.Runtime.CompilerServices;

namespace Hooks.Storage;

// The feed: a subscription's deliveries by sequence, and messages as handed out.
public sealed partial class InMemoryWebHookStore
{
    /// <inheritdoc />
    public ValueTask<WebHookFeedPage> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            if (SlotOf(subscriptionId) is not { } slot)
            {
                return ValueTask.FromResult(WebHookFeedPage.Empty);
            }
            // Delivery ids and feed numbers are both given at the append, under the lock: one order. Start where the
            // cursor is (numbers only grow along the list, removed ones aside).
            var ids = slot.Deliveries;
            int lo = 0, hi = ids.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                ref var probe = ref FindDelivery(ids[mid]);
                var number = Unsafe.IsNullRef(ref probe) ? SequenceNear(ids, mid) : probe.Sequence;
                if (number <= afterSequence)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            var list = new List<WebHookFeedEntry>(Math.Min(limit, ids.Count - lo));
            for (var i = lo; i < ids.Count && list.Count < limit; i++)
            {
                ref var delivery = ref FindDelivery(ids[i]);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.Sequence > afterSequence)
                {
                    list.Add(new WebHookFeedEntry(delivery.Sequence, delivery.Status, ToMessage(delivery.Message)));
                }
            }
            return ValueTask.FromResult(new WebHookFeedPage { Entries = list, CursorExpired = afterSequence < slot.PurgedThrough });
        }
    }

    // A removed delivery's number is not kept: the nearest present one before it stands in (it is no greater), or 0.
    private long SequenceNear(List<long> ids, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            ref var delivery = ref FindDelivery(ids[i]);
            if (!Unsafe.IsNullRef(ref delivery))
            {
                return delivery.Sequence;
            }
        }
        return 0;
    }

    private WebHookMessage ToMessage(long sequence, string? id = null)
    {
        ref var message = ref _messages.Find(sequence);
        return new WebHookMessage
        {
            Id = id ?? IdOf(sequence),
            Tenant = message.Tenant < 0 ? null : _tenants[message.Tenant],
            EventType = _eventTypes[message.EventType],
            Timestamp = message.Timestamp,
            // A copy: slabs are reused once their messages are forgotten, and a body handed out may live longer.
            Body = message.Slab < 0 ? ReadOnlyMemory<byte>.Empty
                : _slabs[message.Slab - _firstSlab].AsSpan(message.Offset, message.Length).ToArray(),
            Sequence = sequence,
            TraceParent = message.HasTraceParent ? TraceParentOf(ref message) : null,
        };
    }
}
