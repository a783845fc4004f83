namespace Hooks.Storage;

/// <summary>
/// A store in process memory, for tests, samples and throughput measurements: nothing survives a restart. One lock
/// guards everything; every operation is short and allocation-light.
/// </summary>
public sealed class InMemoryWebHookStore : IWebHookStore
{
    /// <summary>How many messages are kept by default; see <see cref="InMemoryWebHookStore(int)"/>.</summary>
    public const int DefaultMaxMessages = 100_000;

    /// <summary>Creates a store that keeps at most <see cref="DefaultMaxMessages"/> messages.</summary>
    public InMemoryWebHookStore()
        : this(DefaultMaxMessages)
    {
    }

    /// <summary>
    /// Creates a store that keeps about <paramref name="maxMessages"/> messages: beyond that the oldest messages whose
    /// deliveries all finished (succeeded or failed) are forgotten with their deliveries, attempts and idempotency
    /// keys, so a long-running process does not grow without bound. Messages with a pending delivery are kept.
    /// </summary>
    public InMemoryWebHookStore(int maxMessages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        _maxMessages = maxMessages;
    }

    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, WebHookSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MessageState> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<long, DeliveryState> _deliveries = [];
    private readonly Dictionary<string, List<long>> _deliveriesBySubscription = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WebHookAppendResult> _idempotency = new(StringComparer.Ordinal);
    // Retention: messages in append order with their deliveries, so the oldest finished ones can be forgotten.
    private readonly Queue<MessageState> _messageOrder = new();
    private readonly int _maxMessages;
    private int _evictedSinceCompaction;
    // Due order with lazy deletion: an entry whose version no longer matches its delivery is skipped.
    private readonly PriorityQueue<(long Id, int Version), DateTimeOffset> _due = new();
    // Running leases by expiry; an entry whose token no longer matches its delivery is finished and skipped.
    private readonly PriorityQueue<(long Id, Guid Token), DateTimeOffset> _leaseExpiries = new();
    private long _nextSequence;
    private long _nextDeliveryId;
    private long _leaseCounter;
    private readonly int _leasePrefix = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue);

    // A message's fields kept in place: a WebHookMessage is made only when one is handed out (a lease, a read).
    private sealed class MessageState(string id, string eventType, DateTimeOffset timestamp, ReadOnlyMemory<byte> body, long sequence,
        string? idempotencyKey)
    {
        public readonly string Id = id;
        public readonly string EventType = eventType;
        public readonly DateTimeOffset Timestamp = timestamp;
        public readonly ReadOnlyMemory<byte> Body = body;
        public readonly long Sequence = sequence;
        public readonly string? IdempotencyKey = idempotencyKey;

        public WebHookMessage ToMessage() => new() { Id = Id, EventType = EventType, Timestamp = Timestamp, Body = Body, Sequence = Sequence };

        public DeliveryState? First;        // most messages go to one subscription or a few:
        public List<DeliveryState>? More;   // no list for the first

        public void Add(DeliveryState delivery)
        {
            if (First is null)
            {
                First = delivery;
            }
            else
            {
                (More ??= []).Add(delivery);
            }
        }

        public IEnumerable<DeliveryState> All()
        {
            if (First is not null)
            {
                yield return First;
            }
            foreach (var d in More ?? [])
            {
                yield return d;
            }
        }
    }

    // A delivery's fields kept in place: a WebHookDelivery is made only when one is handed out (a lease, a listing),
    // so recording an attempt copies nothing, and each stored delivery is one object (two with several attempts).
    private sealed class DeliveryState(long id, string subscriptionId, MessageState message, DateTimeOffset nextAttemptAt)
    {
        public readonly long Id = id;
        public readonly string SubscriptionId = subscriptionId;
        public readonly MessageState Message = message;
        public WebHookDeliveryStatus Status;
        public int AttemptCount;
        public DateTimeOffset NextAttemptAt = nextAttemptAt;
        public DateTimeOffset? LastAttemptAt;
        public WebHookAttempt? FirstAttempt;    // most deliveries take one attempt:
        public WebHookAttempt[]? LaterAttempts; // no array for the first
        public Guid LeaseToken;
        public DateTimeOffset LeaseExpiresAt;
        public bool DueAgainAfterLease;         // redelivery asked for while an attempt was running
        public int Version;

        public WebHookDelivery ToDelivery() => new()
        {
            Id = Id,
            MessageId = Message.Id,
            SubscriptionId = SubscriptionId,
            EventType = Message.EventType,
            Status = Status,
            Attempts = AttemptCount,
            NextAttemptAt = NextAttemptAt,
            CreatedAt = Message.Timestamp,
            LastAttemptAt = LastAttemptAt,
        };

        public void AddAttempt(WebHookAttempt attempt)
        {
            if (FirstAttempt is null)
            {
                FirstAttempt = attempt;
                return;
            }
            // Attempts per delivery are few (the schedule's length): an array grown by one costs less than a list.
            var later = LaterAttempts ?? [];
            Array.Resize(ref later, later.Length + 1);
            later[^1] = attempt;
            LaterAttempts = later;
        }

        public WebHookAttempt[] AttemptList()
        {
            if (FirstAttempt is null)
            {
                return [];
            }
            var later = LaterAttempts ?? [];
            var all = new WebHookAttempt[1 + later.Length];
            all[0] = FirstAttempt;
            later.CopyTo(all, 1);
            return all;
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            return ValueTask.FromResult(_subscriptions.TryAdd(subscription.Id, subscription));
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_subscriptions.GetValueOrDefault(id));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? afterId, int limit, CancellationToken cancellationToken = default)
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
                if (afterId is null || string.CompareOrdinal(id, afterId) > 0)
                {
                    list.Add(subscription);
                }
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookSubscription>>(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(subscription.Id, out var previous))
            {
                return ValueTask.FromResult(false);
            }
            _subscriptions[subscription.Id] = subscription;
            if (previous.Status != WebHookSubscriptionStatus.Enabled && subscription.Status == WebHookSubscriptionStatus.Enabled)
            {
                // Pending deliveries were dropped from the due queue while the subscription could not receive.
                foreach (var id in DeliveriesOf(subscription.Id))
                {
                    if (!_deliveries.TryGetValue(id, out var state))
                    {
                        continue;
                    }
                    if (state.Status == WebHookDeliveryStatus.Pending)
                    {
                        Enqueue(state, Max(state.NextAttemptAt, state.LeaseExpiresAt));
                    }
                }
            }
            return ValueTask.FromResult(true);
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
            if (_deliveriesBySubscription.Remove(id, out var ids))
            {
                foreach (var deliveryId in ids)
                {
                    _deliveries.Remove(deliveryId);
                }
            }
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookAppendResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        lock (_gate)
        {
            if (draft.IdempotencyKey is { } key && _idempotency.TryGetValue(key, out var earlier))
            {
                return ValueTask.FromResult(earlier with { Duplicate = true });
            }
            if (_messages.ContainsKey(draft.Message.Id))
            {
                throw new InvalidOperationException("A message with this id is already stored.");
            }

            var message = draft.Message;
            var body = message.Body;
            var messageState = new MessageState(message.Id, message.EventType, message.Timestamp, body, ++_nextSequence, draft.IdempotencyKey);
            _messages.Add(message.Id, messageState);
            var count = 0;
            if (draft.SubscriptionId is { } only)
            {
                if (_subscriptions.ContainsKey(only))
                {
                    AddDelivery(messageState, only, message.Timestamp);
                    count = 1;
                }
            }
            else
            {
                foreach (var subscription in _subscriptions.Values)
                {
                    if (subscription.Status == WebHookSubscriptionStatus.Enabled && subscription.Accepts(message.EventType))
                    {
                        AddDelivery(messageState, subscription.Id, message.Timestamp);
                        count++;
                    }
                }
            }
            var result = new WebHookAppendResult(message.Id, count, false);
            if (draft.IdempotencyKey is { } newKey)
            {
                _idempotency[newKey] = result;
            }
            _messageOrder.Enqueue(messageState);
            Evict();
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_messages.GetValueOrDefault(id)?.ToMessage());
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookMessage>> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            var found = new List<MessageState>();
            foreach (var id in DeliveriesOf(subscriptionId))
            {
                if (!_deliveries.TryGetValue(id, out var delivery))
                {
                    continue;
                }
                if (delivery.Message.Sequence > afterSequence)
                {
                    found.Add(delivery.Message);
                }
            }
            found.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
            var list = new List<WebHookMessage>(Math.Min(limit, found.Count));
            for (var i = 0; i < found.Count && i < limit; i++)
            {
                list.Add(found[i].ToMessage());
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookMessage>>(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            // Leases that expired without a result make their deliveries due again.
            while (_leaseExpiries.TryPeek(out var leased, out var expiresAt) && expiresAt <= now)
            {
                _leaseExpiries.Dequeue();
                if (_deliveries.TryGetValue(leased.Id, out var expired) && expired.LeaseToken == leased.Token &&
                    expired.Status == WebHookDeliveryStatus.Pending)
                {
                    Enqueue(expired, expired.NextAttemptAt);
                }
            }
            List<WebHookLease>? leases = null;
            while ((leases?.Count ?? 0) < limit && _due.TryPeek(out var entry, out var dueAt) && dueAt <= now)
            {
                _due.Dequeue();
                if (!_deliveries.TryGetValue(entry.Id, out var state) || state.Version != entry.Version ||
                    state.Status != WebHookDeliveryStatus.Pending)
                {
                    continue;
                }
                if (state.LeaseToken != Guid.Empty && state.LeaseExpiresAt > now)
                {
                    Enqueue(state, state.LeaseExpiresAt);
                    continue;
                }
                if (!_subscriptions.TryGetValue(state.SubscriptionId, out var subscription) ||
                    subscription.Status != WebHookSubscriptionStatus.Enabled)
                {
                    // Dropped until the subscription is enabled again (UpdateSubscriptionAsync re-queues it).
                    continue;
                }
                state.LeaseToken = NewLeaseToken();
                state.DueAgainAfterLease = false; // this lease is the attempt a pending redelivery asked for
                state.LeaseExpiresAt = now + leaseDuration;
                // Tracked apart from the due queue, which so holds only waiting deliveries and stays small.
                _leaseExpiries.Enqueue((state.Id, state.LeaseToken), state.LeaseExpiresAt);
                (leases ??= new List<WebHookLease>(Math.Min(limit, _due.Count + 1))).Add(new WebHookLease(state.ToDelivery(), state.Message.ToMessage(), subscription,
                    state.LeaseToken, state.LeaseExpiresAt));
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookLease>>(leases ?? (IReadOnlyList<WebHookLease>)[]);
        }
    }

    /// <inheritdoc />
    public ValueTask RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        lock (_gate)
        {
            for (var i = 0; i < results.Count; i++)
            {
                var result = results[i];
                if (!_deliveries.TryGetValue(result.Lease.DeliveryId, out var state) || state.LeaseToken != result.Lease.LeaseToken)
                {
                    continue;
                }
                var attempt = result.Attempt;
                state.AddAttempt(attempt);
                state.LeaseToken = Guid.Empty;
                state.LeaseExpiresAt = default;
                state.Status = result.NewStatus;
                state.AttemptCount++;
                state.LastAttemptAt = attempt.StartedAt;
                if (state.DueAgainAfterLease)
                {
                    // A redelivery arrived while this attempt ran: whatever it achieved, one more attempt is due now.
                    state.DueAgainAfterLease = false;
                    var end = attempt.StartedAt + attempt.Duration;
                    state.Status = WebHookDeliveryStatus.Pending;
                    state.NextAttemptAt = end;
                    Enqueue(state, end);
                }
                else if (result.NewStatus == WebHookDeliveryStatus.Pending)
                {
                    state.NextAttemptAt = result.NextAttemptAt;
                    Enqueue(state, result.NextAttemptAt);
                }
                else
                {
                    state.Version++;
                }

                if (_subscriptions.TryGetValue(state.SubscriptionId, out var subscription))
                {
                    var updated = subscription;
                    if (attempt.Outcome == WebHookAttemptOutcome.Succeeded)
                    {
                        if (updated.FailingSince is not null)
                        {
                            updated = updated with { FailingSince = null };
                        }
                    }
                    else if (updated.FailingSince is null)
                    {
                        updated = updated with { FailingSince = attempt.StartedAt };
                    }
                    if (result.DisableSubscriptionReason is { } reason && updated.Status == WebHookSubscriptionStatus.Enabled)
                    {
                        updated = updated with
                        {
                            Status = WebHookSubscriptionStatus.Disabled,
                            StatusReason = reason,
                            UpdatedAt = attempt.StartedAt + attempt.Duration,
                        };
                    }
                    if (!ReferenceEquals(updated, subscription))
                    {
                        _subscriptions[updated.Id] = updated;
                    }
                }
            }
            return ValueTask.CompletedTask;
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
                if (_deliveries.TryGetValue(lease.DeliveryId, out var state) && state.LeaseToken == lease.LeaseToken)
                {
                    state.LeaseToken = Guid.Empty;
                    state.LeaseExpiresAt = default;
                    Enqueue(state, state.NextAttemptAt);
                }
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_gate)
        {
            var list = new List<WebHookDelivery>();
            var ids = DeliveriesOf(query.SubscriptionId);
            for (var i = ids.Count - 1; i >= 0 && list.Count < query.Limit; i--)
            {
                if (!_deliveries.TryGetValue(ids[i], out var found))
                {
                    continue;
                }
                if ((query.Before is null || found.Id < query.Before) &&
                    (query.Status is null || found.Status == query.Status) &&
                    (query.MessageId is null || found.Message.Id == query.MessageId))
                {
                    list.Add(found.ToDelivery());
                }
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookDelivery>>(list);
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_deliveries.TryGetValue(deliveryId, out var state) || state.SubscriptionId != subscriptionId)
            {
                return ValueTask.FromResult<IReadOnlyList<WebHookAttempt>>([]);
            }
            return ValueTask.FromResult<IReadOnlyList<WebHookAttempt>>(state.AttemptList());
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_subscriptions.ContainsKey(subscriptionId) || !_messages.TryGetValue(messageId, out var message))
            {
                return ValueTask.FromResult(false);
            }
            // A scan of the subscription's deliveries, newest first: redelivery is rare, an index per message is not.
            var ids = DeliveriesOf(subscriptionId);
            for (var i = ids.Count - 1; i >= 0; i--)
            {
                if (_deliveries.TryGetValue(ids[i], out var state) && state.Message.Id == messageId)
                {
                    MakeDue(state, now);
                    return ValueTask.FromResult(true);
                }
            }
            AddDelivery(message, subscriptionId, now);
            return ValueTask.FromResult(true);
        }
    }

    /// <inheritdoc />
    public ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var id in DeliveriesOf(subscriptionId))
            {
                if (!_deliveries.TryGetValue(id, out var state))
                {
                    continue;
                }
                if (state.Status == WebHookDeliveryStatus.Failed && state.Message.Timestamp >= since)
                {
                    MakeDue(state, now);
                    count++;
                }
            }
            return ValueTask.FromResult(count);
        }
    }

    /// <inheritdoc />
    public ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            long count = 0;
            foreach (var state in _deliveries.Values)
            {
                if (state.Status == WebHookDeliveryStatus.Pending && state.NextAttemptAt <= now &&
                    _subscriptions.TryGetValue(state.SubscriptionId, out var s) && s.Status == WebHookSubscriptionStatus.Enabled)
                {
                    count++;
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
                if (_deliveries.TryGetValue(entry.Id, out var state) && state.Version == entry.Version &&
                    state.Status == WebHookDeliveryStatus.Pending &&
                    _subscriptions.TryGetValue(state.SubscriptionId, out var subscription) &&
                    subscription.Status == WebHookSubscriptionStatus.Enabled)
                {
                    next = dueAt;
                    break;
                }
                // Stale, or its subscription cannot receive (re-queued when it is enabled again): drop it, as leasing would.
                _due.Dequeue();
            }
            while (_leaseExpiries.TryPeek(out var leased, out var expiresAt))
            {
                if (_deliveries.TryGetValue(leased.Id, out var state) && state.LeaseToken == leased.Token)
                {
                    // A lease that expires without a result makes its delivery due then.
                    if (next is null || expiresAt < next)
                    {
                        next = expiresAt;
                    }
                    break;
                }
                _leaseExpiries.Dequeue();
            }
            return ValueTask.FromResult(next);
        }
    }

    private void AddDelivery(MessageState messageState, string subscriptionId, DateTimeOffset dueAt)
    {
        var message = messageState;
        var state = new DeliveryState(++_nextDeliveryId, subscriptionId, message, dueAt);
        _deliveries.Add(state.Id, state);
        messageState.Add(state);
        AddTo(_deliveriesBySubscription, subscriptionId, state.Id);
        Enqueue(state, dueAt);
    }

    private void Evict()
    {
        while (_messages.Count > _maxMessages && _messageOrder.TryPeek(out var oldest))
        {
            if (IsPending(oldest.First) || (oldest.More is { } more && more.Exists(IsPending)))
            {
                return; // still being delivered; evicting resumes once it finishes and more messages arrive
            }
            _messageOrder.Dequeue();
            _messages.Remove(oldest.Id);
            if (oldest.IdempotencyKey is { } key)
            {
                _idempotency.Remove(key);
            }
            foreach (var d in oldest.All())
            {
                if (_deliveries.Remove(d.Id))
                {
                    _evictedSinceCompaction++;
                }
            }
        }
        if (_evictedSinceCompaction > _maxMessages)
        {
            // Subscription indexes skip forgotten ids; drop them now and then, amortized O(1) per delivery.
            foreach (var ids in _deliveriesBySubscription.Values)
            {
                ids.RemoveAll(id => !_deliveries.ContainsKey(id));
            }
            _evictedSinceCompaction = 0;
        }
    }

    private bool IsPending(DeliveryState? state) =>
        state is not null && state.Status == WebHookDeliveryStatus.Pending && _deliveries.ContainsKey(state.Id);

    private void MakeDue(DeliveryState state, DateTimeOffset now)
    {
        state.Status = WebHookDeliveryStatus.Pending;
        state.NextAttemptAt = now;
        // A running lease keeps its token: its result still counts, and one more attempt follows when it is
        // recorded. Should the result never come (the dispatcher died), the lease's expiry makes it due anyway.
        if (state.LeaseToken != Guid.Empty && state.LeaseExpiresAt > now)
        {
            state.DueAgainAfterLease = true;
        }
        Enqueue(state, Max(now, state.LeaseExpiresAt));
    }

    private void Enqueue(DeliveryState state, DateTimeOffset dueAt)
    {
        state.Version++;
        _due.Enqueue((state.Id, state.Version), dueAt);
    }

    private List<long> DeliveriesOf(string subscriptionId) =>
        _deliveriesBySubscription.GetValueOrDefault(subscriptionId) ?? [];

    private static void AddTo(Dictionary<string, List<long>> index, string key, long id)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }
        list.Add(id);
    }

    // Unique per store without a system call per lease: a random store prefix and a counter.
    private Guid NewLeaseToken()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, _leasePrefix);
        BitConverter.TryWriteBytes(bytes[8..], ++_leaseCounter);
        return new Guid(bytes);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
