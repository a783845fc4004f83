using System.Runtime.CompilerServices;

namespace Hooks.Storage;

// Attempts: recording results and their effect on deliveries and subscription health, listings, redelivery and recovery.
public sealed partial class InMemoryWebHookStore
{
    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        List<WebHookSubscriptionChange>? changes = null; // rare: no list unless something changed
        lock (_gate)
        {
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                var id = result.Lease.DeliveryId;
                ref var delivery = ref FindDelivery(id);
                if (Unsafe.IsNullRef(ref delivery) || delivery.LeaseToken != result.Lease.LeaseToken)
                {
                    continue;
                }
                var attempt = result.Attempt;
                AddAttempt(id, ref delivery, attempt);
                EndHolding(ref delivery);
                delivery.LeaseToken = Guid.Empty;
                delivery.LeaseExpiresAt = default;
                delivery.Status = result.NewStatus;
                delivery.AttemptCount++;
                delivery.HasLastAttempt = true;
                delivery.LastAttemptAt = attempt.StartedAt;
                if (delivery.DueAgainAfterLease)
                {
                    // A redelivery arrived while this attempt ran: whatever it achieved, one more attempt is due now.
                    delivery.DueAgainAfterLease = false;
                    var end = attempt.StartedAt + attempt.Duration;
                    delivery.Status = WebHookDeliveryStatus.Pending;
                    delivery.NextAttemptAt = end;
                    Enqueue(id, ref delivery, end);
                }
                else if (result.NewStatus == WebHookDeliveryStatus.Pending)
                {
                    delivery.NextAttemptAt = result.NextAttemptAt;
                    Enqueue(id, ref delivery, result.NextAttemptAt);
                }
                else
                {
                    delivery.Version++;
                }
                UpdateSubscriptionAfter(_slots[delivery.Slot]!, attempt, result.DisableSubscriptionReason, ref changes);
            }
        }
        return ValueTask.FromResult<IReadOnlyList<WebHookSubscriptionChange>>(changes ?? (IReadOnlyList<WebHookSubscriptionChange>)[]);
    }

    private void UpdateSubscriptionAfter(SubscriptionSlot slot, WebHookAttempt attempt, string? disableReason,
        ref List<WebHookSubscriptionChange>? changes)
    {
        if (slot.Current is not { } subscription)
        {
            return;
        }
        var updated = subscription;
        if (attempt.Outcome == WebHookAttemptOutcome.Succeeded)
        {
            if (updated.FailingSince is { } since)
            {
                updated = updated with { FailingSince = null };
                (changes ??= []).Add(new WebHookSubscriptionChange
                {
                    SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.Recovered, Attempt = attempt, FailingSince = since,
                });
            }
        }
        else if (updated.FailingSince is null)
        {
            updated = updated with { FailingSince = attempt.StartedAt };
            (changes ??= []).Add(new WebHookSubscriptionChange
            {
                SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.StartedFailing, Attempt = attempt,
            });
        }
        if (disableReason is not null && updated.Status == WebHookSubscriptionStatus.Enabled)
        {
            updated = updated with
            {
                Status = WebHookSubscriptionStatus.Disabled,
                StatusReason = disableReason,
                UpdatedAt = attempt.StartedAt + attempt.Duration,
            };
            _targetsStale = true;
            (changes ??= []).Add(new WebHookSubscriptionChange
            {
                SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.Disabled, Attempt = attempt,
                FailingSince = updated.FailingSince, Reason = disableReason,
            });
        }
        if (!ReferenceEquals(updated, subscription))
        {
            updated = updated with { Version = subscription.Version + 1 }; // a write like the owner's: stale owners conflict
            _subscriptions[updated.Id] = updated;
            slot.Current = updated;
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            var list = new List<WebHookDelivery>();
            long? onlyMessage = null;
            if (query.MessageId is { } messageId)
            {
                if (SequenceOf(messageId) is not { } sequence)
                {
                    return ValueTask.FromResult<IReadOnlyList<WebHookDelivery>>(list);
                }
                onlyMessage = sequence;
            }
            var ids = SlotOf(query.SubscriptionId)?.Deliveries ?? [];
            for (var i = ids.Count - 1; i >= 0 && list.Count < query.Limit; i--)
            {
                var id = ids[i];
                ref var delivery = ref FindDelivery(id);
                if (Unsafe.IsNullRef(ref delivery))
                {
                    continue;
                }
                if ((query.Before is null || id < query.Before) &&
                    (query.Status is null || delivery.Status == query.Status) &&
                    (onlyMessage is null || delivery.Message == onlyMessage))
                {
                    list.Add(ToDelivery(id, ref delivery));
                }
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookDelivery>>(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookDelivery?> GetDeliveryAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ref var delivery = ref FindDelivery(deliveryId);
            return ValueTask.FromResult(Unsafe.IsNullRef(ref delivery) || _slots[delivery.Slot]!.Id != subscriptionId
                ? null
                : ToDelivery(deliveryId, ref delivery));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ref var delivery = ref FindDelivery(deliveryId);
            if (Unsafe.IsNullRef(ref delivery) || _slots[delivery.Slot]!.Id != subscriptionId)
            {
                return ValueTask.FromResult<IReadOnlyList<WebHookAttempt>>([]);
            }
            if (delivery.AttemptInline)
            {
                return ValueTask.FromResult<IReadOnlyList<WebHookAttempt>>([InlineAttempt(deliveryId, ref delivery)]);
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookAttempt>>(
                _attemptLists.TryGetValue(deliveryId, out var attempts) ? [.. attempts] : []);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_slotNumbers.TryGetValue(subscriptionId, out var number) || SequenceOf(messageId) is not { } sequence)
            {
                return ValueTask.FromResult(false);
            }
            // A message's deliveries are the ones made at its append (one per subscription then), so a redelivery
            // looks at those few; it never makes a delivery the message did not have.
            ref var message = ref _messages.Find(sequence);
            for (var id = message.FirstDelivery; id < message.FirstDelivery + message.DeliveryCount; id++)
            {
                ref var delivery = ref FindDelivery(id);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.Slot == number)
                {
                    MakeDue(id, ref delivery, now);
                    return ValueTask.FromResult(true);
                }
            }
            return ValueTask.FromResult(false);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var id in SlotOf(subscriptionId)?.Deliveries ?? [])
            {
                ref var delivery = ref FindDelivery(id);
                if (!Unsafe.IsNullRef(ref delivery) && delivery.Status is WebHookDeliveryStatus.Failed or WebHookDeliveryStatus.Skipped &&
                    _messages.Find(delivery.Message).Timestamp >= since)
                {
                    MakeDue(id, ref delivery, now);
                    count++;
                }
            }
            return ValueTask.FromResult(count);
        }
    }

    private void RemoveDelivery(long id)
    {
        ref var delivery = ref FindDelivery(id);
        if (Unsafe.IsNullRef(ref delivery))
        {
            return;
        }
        if (!delivery.AttemptInline)
        {
            _attemptLists.Remove(id);
        }
        delivery = default;
        _deliveries.Remove(id);
    }

    private void AddAttempt(long id, ref DeliveryRecord delivery, WebHookAttempt attempt)
    {
        if (delivery.AttemptCount == 0 && attempt.ResponseBody is null && attempt.Error is null && attempt.Location is null)
        {
            delivery.AttemptInline = true;
            delivery.InlineOutcome = attempt.Outcome;
            delivery.InlineNumber = attempt.Number;
            delivery.InlineStatusCode = attempt.StatusCode ?? 0;
            delivery.InlineStartedAt = attempt.StartedAt;
            delivery.InlineDuration = attempt.Duration;
            return;
        }
        if (!_attemptLists.TryGetValue(id, out var attempts))
        {
            _attemptLists[id] = attempts = new List<WebHookAttempt>(2);
        }
        if (delivery.AttemptInline)
        {
            attempts.Add(InlineAttempt(id, ref delivery));
            delivery.AttemptInline = false;
        }
        attempts.Add(attempt);
    }

    private WebHookAttempt InlineAttempt(long id, ref DeliveryRecord delivery) => new()
    {
        DeliveryId = id,
        MessageId = IdOf(delivery.Message),
        SubscriptionId = _slots[delivery.Slot]!.Id,
        Number = delivery.InlineNumber,
        StartedAt = delivery.InlineStartedAt,
        Duration = delivery.InlineDuration,
        Outcome = delivery.InlineOutcome,
        StatusCode = delivery.InlineStatusCode == 0 ? null : delivery.InlineStatusCode,
    };

    private WebHookDelivery ToDelivery(long id, ref DeliveryRecord delivery, string? messageId = null)
    {
        ref var message = ref _messages.Find(delivery.Message);
        return new WebHookDelivery
        {
            Id = id,
            MessageId = messageId ?? IdOf(delivery.Message),
            SubscriptionId = _slots[delivery.Slot]!.Id,
            Tenant = _slots[delivery.Slot]!.Tenant,
            EventType = _eventTypes[message.EventType],
            Sequence = delivery.Sequence,
            Status = delivery.Status,
            Attempts = delivery.AttemptCount,
            NextAttemptAt = delivery.NextAttemptAt,
            CreatedAt = message.Timestamp,
            LastAttemptAt = delivery.HasLastAttempt ? delivery.LastAttemptAt : null,
        };
    }
}
