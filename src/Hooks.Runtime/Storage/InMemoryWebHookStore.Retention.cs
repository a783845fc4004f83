using System.Runtime.CompilerServices;

namespace Hooks.Storage;

// Retention: the purge window, the message limit, and forgetting a message with everything that hangs off it.
public sealed partial class InMemoryWebHookStore
{
    /// <inheritdoc />
    public ValueTask<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            // Messages are kept in publish order, and timestamps follow it nearly always: walk from the oldest and stop
            // at the first one published at or after the window; pending ones are passed over.
            var purged = 0;
            for (var sequence = _messages.Count == 0 ? _nextSequence + 1 : Math.Max(1, _oldestKept);
                 sequence <= _nextSequence && purged < limit; sequence++)
            {
                ref var message = ref _messages.Find(sequence);
                if (Unsafe.IsNullRef(ref message) || !message.Present)
                {
                    if (sequence == _oldestKept)
                    {
                        _oldestKept++;
                    }
                    continue;
                }
                if (message.Timestamp >= before)
                {
                    break;
                }
                if (HasPendingDelivery(ref message))
                {
                    continue;
                }
                if (sequence == _oldestKept)
                {
                    _oldestKept++;
                }
                Forget(sequence);
                purged++;
            }
            CompactIndexes();
            return ValueTask.FromResult(purged);
        }
    }

    private void Evict()
    {
        if (_messages.Count <= _maxMessages)
        {
            return;
        }
        // Messages passed over while pending go first, in order, as soon as the oldest of them has finished.
        while (_messages.Count > _maxMessages && _pinned.TryPeek(out var pinned))
        {
            ref var message = ref _messages.Find(pinned);
            if (!Unsafe.IsNullRef(ref message) && message.Present && HasPendingDelivery(ref message))
            {
                break;
            }
            _pinned.Dequeue();
            Forget(pinned);
        }
        // Then the oldest not yet looked at: each message is passed over at most once, so this is O(1) amortized.
        while (_messages.Count > _maxMessages && _evictNext <= _nextSequence)
        {
            var sequence = _evictNext++;
            ref var message = ref _messages.Find(sequence);
            if (Unsafe.IsNullRef(ref message) || !message.Present)
            {
                continue;
            }
            if (HasPendingDelivery(ref message))
            {
                _pinned.Enqueue(sequence);
                continue;
            }
            Forget(sequence);
        }
        CompactIndexes();
    }

    private void CompactIndexes()
    {
        if (_evictedSinceCompaction > _maxMessages)
        {
            // Subscription indexes skip forgotten ids; drop them now and then, amortized O(1) per delivery.
            foreach (var slot in _slots)
            {
                slot?.Deliveries.RemoveAll(id => Unsafe.IsNullRef(ref FindDelivery(id)));
            }
            _evictedSinceCompaction = 0;
        }
    }

    private bool HasPendingDelivery(ref MessageRecord message)
    {
        for (var id = message.FirstDelivery; id < message.FirstDelivery + message.DeliveryCount; id++)
        {
            if (IsPending(id))
            {
                return true;
            }
        }
        return false;
    }

    private bool IsPending(long id)
    {
        ref var delivery = ref FindDelivery(id);
        return !Unsafe.IsNullRef(ref delivery) && delivery.Status == WebHookDeliveryStatus.Pending;
    }

    // Forgets a message with its deliveries, attempts, id and idempotency key (a message already gone is skipped).
    private void Forget(long sequence)
    {
        ref var message = ref _messages.Find(sequence);
        if (Unsafe.IsNullRef(ref message) || !message.Present)
        {
            return;
        }
        if (message.IdIsText)
        {
            _sequenceByIdText.Remove(_idTexts[sequence]);
            _idTexts.Remove(sequence);
        }
        else
        {
            _sequenceByIdBits.Remove(message.IdBits);
        }
        if (message.HasIdempotencyKey && _idempotencyKeys.Remove(sequence, out var key))
        {
            _idempotency.Remove(key);
        }
        for (var id = message.FirstDelivery; id < message.FirstDelivery + message.DeliveryCount; id++)
        {
            RemoveEvicted(id);
        }
        ReleaseBody(ref message);
        message = default;
        _messages.Remove(sequence);
    }

    private void RemoveEvicted(long id)
    {
        ref var delivery = ref FindDelivery(id);
        if (!Unsafe.IsNullRef(ref delivery))
        {
            var slot = _slots[delivery.Slot]!;
            slot.PurgedThrough = Math.Max(slot.PurgedThrough, delivery.Sequence);
            RemoveDelivery(id);
            _evictedSinceCompaction++;
        }
    }
}
