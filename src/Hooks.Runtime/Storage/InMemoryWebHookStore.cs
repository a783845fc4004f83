using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hooks.Publishing;

namespace Hooks.Storage;

/// <summary>
/// A store in process memory, for tests, samples and throughput measurements: nothing survives a restart. One lock
/// guards everything; every operation is short.
/// </summary>
/// <remarks>
/// An outbox holds a backlog: every message published faster than it is delivered waits in it, so its layout is
/// chosen for the garbage collector. Messages and deliveries are records in reference-free chunks
/// (<see cref="InMemoryRecordTable{T}"/>), bodies are copied into shared 64 KB slabs, message ids are kept as their
/// 128 bits, and an attempt without text is kept in its delivery's record. A pending message so costs the collector
/// nothing to keep; objects (bodies included, as copies) are made when something is handed out (a lease, a listing)
/// and die young. Emptied slabs and chunks are kept for reuse, about 30 MB at most, so the heap does not grow and
/// shrink with every burst of publishes.
/// </remarks>
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
    private readonly int _maxMessages;

    // Subscriptions, by id for listing; deliveries name theirs by a small number (an index into _slots).
    private readonly SortedDictionary<string, WebHookSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _slotNumbers = new(StringComparer.Ordinal);
    private readonly List<SubscriptionSlot?> _slots = [];
    private readonly Stack<int> _freeSlots = new();
    // Subscriptions in id order, all and per tenant, for fan-out without walking the sorted tree (nor other tenants'
    // subscriptions) on every append. Every status: disabled and pending ones get skipped deliveries (their feed).
    private (int Slot, WebHookSubscription Subscription)[] _targets = [];
    private readonly Dictionary<string, (int Slot, WebHookSubscription Subscription)[]> _targetsByTenant = new(StringComparer.Ordinal);
    private bool _targetsStale;
    private readonly Dictionary<string, int> _subscriptionCounts = new(StringComparer.Ordinal);

    private sealed class SubscriptionSlot(string id, string tenant)
    {
        public readonly string Id = id;
        public readonly string Tenant = tenant;
        public WebHookSubscription? Current;
        public readonly List<long> Deliveries = []; // ids, oldest first (removed ones are skipped, dropped now and then)
        public long LastSequence;                   // the feed's last number given
        public long PurgedThrough;                  // the highest feed number forgotten: cursors before it expired
        public int Leased;                          // unexpired leases (deliveries with Holding set)
        // Due deliveries held back by the per-subscription lease limit, in due order; one goes back to the due queue
        // when one of the subscription's leases ends. An entry whose version no longer matches is skipped.
        public Queue<(long Id, int Version)>? Parked;
    }

    // Event types by number (a catalog's few names).
    private readonly Dictionary<string, int> _eventTypeNumbers = new(StringComparer.Ordinal);
    private readonly List<string> _eventTypes = [];

    // Messages by sequence; their ids as bits (ids made by WebHookIds) or, for any other id, as text.
    private readonly InMemoryRecordTable<MessageRecord> _messages = new();
    private readonly Dictionary<UInt128, long> _sequenceByIdBits = [];
    private readonly Dictionary<string, long> _sequenceByIdText = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _idTexts = [];
    // Keys are per tenant (null: publishes to every tenant).
    private readonly Dictionary<(string? Tenant, string Key), WebHookPublishResult> _idempotency = new(IdempotencyKeyComparer.Instance);
    private readonly Dictionary<long, (string? Tenant, string Key)> _idempotencyKeys = [];

    // Message tenants by number, as event types (-1: every tenant).
    private readonly Dictionary<string, int> _tenantNumbers = new(StringComparer.Ordinal);
    private readonly List<string> _tenants = [];
    private long _nextSequence;

    // Bodies, copied into slabs. Bodies leave the store as copies, so a slab whose messages are all forgotten is
    // kept for reuse (up to SpareSlabs): the heap does not grow and shrink with every burst of publishes, which
    // costs fresh pages from the kernel.
    private const int SlabSize = 64 * 1024 - 64;  // under the large object heap's threshold
    private const int OwnArrayAbove = SlabSize / 4;
    private readonly List<byte[]?> _slabs = [];
    private readonly List<int> _slabLive = [];
    private int _firstSlab;                        // the number of _slabs[0]
    private int _slabUsed = SlabSize;              // bytes used in the newest slab (full: none yet)
    private const int SpareSlabs = 256;            // 16 MB
    private readonly Stack<byte[]> _spareSlabs = new();

    // Deliveries by id; attempts beyond the one a record holds.
    private readonly InMemoryRecordTable<DeliveryRecord> _deliveries = new();
    private readonly Dictionary<long, List<WebHookAttempt>> _attemptLists = [];
    private long _nextDeliveryId;

    // Due order with lazy deletion: an entry whose version no longer matches its delivery is skipped.
    private readonly DueQueue _due = new();
    // Running leases by expiry (UTC ticks); an entry whose token no longer matches its delivery is finished and skipped.
    private readonly PriorityQueue<(long Id, Guid Token), long> _leaseExpiries = new();
    private long _leaseCounter;
    private readonly int _leasePrefix = System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue);

    // Retention: the next message to look at, and messages passed over while pending (looked at again in order).
    private long _evictNext = 1;
    private readonly Queue<long> _pinned = new();
    private int _evictedSinceCompaction;
    private long _oldestKept = 1;                   // purge starts here: messages before it are all forgotten

    private struct MessageRecord
    {
        public bool Present;
        public bool IdIsText;            // in _idTexts
        public bool HasIdempotencyKey;   // in _idempotencyKeys
        public bool HasTraceParent;      // TraceId, SpanId and TraceFlags hold the publish traceparent
        public byte TraceFlags;
        public int EventType;
        public int Tenant;               // a number in _tenants; -1: published to every tenant
        public int Slab;                 // -1: empty body
        public int Offset;
        public int Length;
        public int DeliveryCount;        // deliveries made at the append: ids FirstDelivery onwards
        public long FirstDelivery;
        public UInt128 IdBits;
        public DateTimeOffset Timestamp;
        // The publish traceparent as its bytes, not its 55 chars: big-endian, as W3C writes them.
        public UInt128 TraceId;
        public ulong SpanId;
    }

    private struct DeliveryRecord
    {
        public bool Present;
        public bool DueAgainAfterLease;  // redelivery asked for while an attempt was running
        public bool HasLastAttempt;
        public bool AttemptInline;       // the delivery's only attempt is the Inline* fields
        public bool Holding;             // its lease is counted in its slot's Leased
        public WebHookDeliveryStatus Status;
        public int Slot;
        public int AttemptCount;
        public int Version;
        public long Message;
        public long Sequence;            // its place in its subscription's feed
        public DateTimeOffset NextAttemptAt;
        public DateTimeOffset LastAttemptAt;
        public Guid LeaseToken;
        public DateTimeOffset LeaseExpiresAt;
        // The first attempt when it carries no text, as most do: no object per delivery.
        public WebHookAttemptOutcome InlineOutcome;
        public int InlineNumber;
        public int InlineStatusCode;     // 0: none
        public DateTimeOffset InlineStartedAt;
        public TimeSpan InlineDuration;
    }

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

    /// <inheritdoc />
    public ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Transaction is not null)
        {
            throw new NotSupportedException(
                "The in-memory webhook store cannot publish in a database transaction: use a SQL store (UseSqlite or UsePostgres) for transactional publishing.");
        }
        lock (_gate)
        {
            var message = draft.Message;
            if (draft.IdempotencyKey is { } key && _idempotency.TryGetValue((message.Tenant, key), out var earlier))
            {
                return ValueTask.FromResult(earlier with { Duplicate = true });
            }
            var idIsBits = WebHookIds.TryParse(message.Id, WebHookIds.MessagePrefix, out var bits);
            if (idIsBits ? _sequenceByIdBits.ContainsKey(bits) : _sequenceByIdText.ContainsKey(message.Id))
            {
                throw new InvalidOperationException("A message with this id is already stored.");
            }

            var sequence = ++_nextSequence;
            ref var record = ref _messages.Add(sequence);
            record.Present = true;
            record.Timestamp = message.Timestamp;
            StoreTraceParent(ref record, message.TraceParent);
            record.EventType = EventTypeNumber(message.EventType);
            record.Tenant = message.Tenant is null ? -1 : TenantNumber(message.Tenant);
            StoreBody(ref record, message.Body.Span);
            if (idIsBits)
            {
                record.IdBits = bits;
                _sequenceByIdBits.Add(bits, sequence);
            }
            else
            {
                record.IdIsText = true;
                _idTexts.Add(sequence, message.Id);
                _sequenceByIdText.Add(message.Id, sequence);
            }
            if (draft.IdempotencyKey is { } newKey)
            {
                record.HasIdempotencyKey = true;
                _idempotencyKeys.Add(sequence, (message.Tenant, newKey));
            }

            record.FirstDelivery = _nextDeliveryId + 1;
            var pushed = 0;
            if (draft.SubscriptionId is { } only)
            {
                if (_slotNumbers.TryGetValue(only, out var number))
                {
                    AddDelivery(sequence, number, message.Timestamp, skipped: false);
                    record.DeliveryCount = 1;
                    pushed = 1;
                }
            }
            else
            {
                foreach (var (number, subscription) in Targets(message.Tenant))
                {
                    if (subscription.Accepts(message.EventType))
                    {
                        // A subscription that cannot receive now still gets the message in its feed, not pushed.
                        var skipped = subscription.Status != WebHookSubscriptionStatus.Enabled;
                        AddDelivery(sequence, number, message.Timestamp, skipped);
                        record.DeliveryCount++;
                        pushed += skipped ? 0 : 1;
                    }
                }
            }
            var result = new WebHookPublishResult(message.Id, pushed, false);
            if (draft.IdempotencyKey is { } storedKey)
            {
                _idempotency[(message.Tenant, storedKey)] = result;
            }
            Evict();
            return ValueTask.FromResult(result);
        }
    }

    /// <inheritdoc />
    public ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(SequenceOf(id) is { } sequence ? ToMessage(sequence) : null);
        }
    }

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

    /// <summary>What the store holds, for tests that pin its bounds.</summary>
    internal (int Messages, int Deliveries, int Slabs, int DueEntries, int LeaseEntries, int AttemptLists) Footprint()
    {
        lock (_gate)
        {
            return (_messages.Count, _deliveries.Count, _slabs.Count(slab => slab is not null), _due.Count, _leaseExpiries.Count,
                _attemptLists.Count);
        }
    }

    private long AddDelivery(long sequence, int slot, DateTimeOffset dueAt, bool skipped)
    {
        var id = ++_nextDeliveryId;
        ref var delivery = ref _deliveries.Add(id);
        var subscription = _slots[slot]!;
        delivery.Present = true;
        delivery.Message = sequence;
        delivery.Slot = slot;
        delivery.Sequence = ++subscription.LastSequence;
        delivery.NextAttemptAt = dueAt;
        subscription.Deliveries.Add(id);
        if (skipped)
        {
            delivery.Status = WebHookDeliveryStatus.Skipped;
            return id;
        }
        delivery.Status = WebHookDeliveryStatus.Pending;
        delivery.Version++;
        _due.EnqueueNew(id, delivery.Version, dueAt.UtcTicks);
        return id;
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

    // The delivery's record, or a null reference when it does not exist (any more).
    private ref DeliveryRecord FindDelivery(long id)
    {
        ref var delivery = ref _deliveries.Find(id);
        return ref !Unsafe.IsNullRef(ref delivery) && delivery.Present ? ref delivery : ref Unsafe.NullRef<DeliveryRecord>();
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

    // 00-<32 hex>-<16 hex>-<2 hex>: version 00 is the only one whose layout is known.
    private const int TraceParentLength = 55;

    private static void StoreTraceParent(ref MessageRecord message, string? traceParent)
    {
        if (traceParent is not { Length: TraceParentLength } text || !text.StartsWith("00-", StringComparison.Ordinal) ||
            text[35] != '-' || text[52] != '-')
        {
            return; // none, or not one we can keep: the attempts start their own traces
        }
        Span<byte> bytes = stackalloc byte[25];
        if (Convert.FromHexString(text.AsSpan(3, 32), bytes[..16], out _, out _) != OperationStatus.Done ||
            Convert.FromHexString(text.AsSpan(36, 16), bytes[16..24], out _, out _) != OperationStatus.Done ||
            Convert.FromHexString(text.AsSpan(53, 2), bytes[24..], out _, out _) != OperationStatus.Done)
        {
            return;
        }
        var traceId = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        var spanId = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        if (traceId == 0 || spanId == 0)
        {
            return; // invalid by the W3C rules
        }
        message.TraceId = traceId;
        message.SpanId = spanId;
        message.TraceFlags = bytes[24];
        message.HasTraceParent = true;
    }

    // Made when handed out, for traced messages only.
    private static string TraceParentOf(ref MessageRecord message) =>
        string.Create(TraceParentLength, (message.TraceId, message.SpanId, message.TraceFlags), static (chars, state) =>
        {
            Span<byte> bytes = stackalloc byte[25];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, state.TraceId);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], state.SpanId);
            bytes[24] = state.TraceFlags;
            "00-".CopyTo(chars);
            Convert.TryToHexStringLower(bytes[..16], chars[3..35], out _);
            chars[35] = '-';
            Convert.TryToHexStringLower(bytes[16..24], chars[36..52], out _);
            chars[52] = '-';
            Convert.TryToHexStringLower(bytes[24..], chars[53..], out _);
        });

    // Made when handed out: a message's id is kept as its bits.
    private string IdOf(long sequence)
    {
        ref var message = ref _messages.Find(sequence);
        return message.IdIsText ? _idTexts[sequence] : WebHookIds.Format(WebHookIds.MessagePrefix, message.IdBits);
    }

    private long? SequenceOf(string messageId)
    {
        if (WebHookIds.TryParse(messageId, WebHookIds.MessagePrefix, out var bits))
        {
            return _sequenceByIdBits.TryGetValue(bits, out var sequence) ? sequence : null;
        }
        return _sequenceByIdText.TryGetValue(messageId, out var textSequence) ? textSequence : null;
    }

    private SubscriptionSlot? SlotOf(string subscriptionId) =>
        _slotNumbers.TryGetValue(subscriptionId, out var number) ? _slots[number] : null;

    private int EventTypeNumber(string eventType)
    {
        if (!_eventTypeNumbers.TryGetValue(eventType, out var number))
        {
            number = _eventTypes.Count;
            _eventTypes.Add(eventType);
            _eventTypeNumbers.Add(eventType, number);
        }
        return number;
    }

    // Tenants are numbered as they are published to, as event types are: a table as long as the tenants named.
    private int TenantNumber(string tenant)
    {
        if (!_tenantNumbers.TryGetValue(tenant, out var number))
        {
            number = _tenants.Count;
            _tenants.Add(tenant);
            _tenantNumbers.Add(tenant, number);
        }
        return number;
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

    private sealed class IdempotencyKeyComparer : IEqualityComparer<(string? Tenant, string Key)>
    {
        public static readonly IdempotencyKeyComparer Instance = new();

        public bool Equals((string? Tenant, string Key) x, (string? Tenant, string Key) y) =>
            string.Equals(x.Tenant, y.Tenant, StringComparison.Ordinal) && string.Equals(x.Key, y.Key, StringComparison.Ordinal);

        public int GetHashCode((string? Tenant, string Key) obj) =>
            HashCode.Combine(obj.Tenant is null ? 0 : StringComparer.Ordinal.GetHashCode(obj.Tenant), StringComparer.Ordinal.GetHashCode(obj.Key));
    }

    private void StoreBody(ref MessageRecord message, ReadOnlySpan<byte> body)
    {
        message.Length = body.Length;
        if (body.IsEmpty)
        {
            message.Slab = -1;
            return;
        }
        if (body.Length > OwnArrayAbove || _slabUsed + body.Length > SlabSize)
        {
            // A large body gets an array of its own, and the slab after it starts afresh.
            if (_slabs.Count > 0 && _slabLive[^1] == 0)
            {
                Recycle(_slabs[^1]!); // every body in it was forgotten while it was the newest
                _slabs[^1] = null;
            }
            _slabs.Add(body.Length > OwnArrayAbove ? GC.AllocateUninitializedArray<byte>(body.Length)
                : _spareSlabs.TryPop(out var spare) ? spare : GC.AllocateUninitializedArray<byte>(SlabSize));
            _slabLive.Add(0);
            _slabUsed = 0;
        }
        var index = _slabs.Count - 1;
        body.CopyTo(_slabs[index].AsSpan(_slabUsed));
        message.Slab = _firstSlab + index;
        message.Offset = _slabUsed;
        _slabUsed = body.Length > OwnArrayAbove ? SlabSize : _slabUsed + body.Length;
        _slabLive[index]++;
    }

    private void ReleaseBody(ref MessageRecord message)
    {
        if (message.Slab < 0)
        {
            return;
        }
        var index = message.Slab - _firstSlab;
        if (--_slabLive[index] > 0 || index == _slabs.Count - 1)
        {
            return; // still holds bodies, or is the slab being filled
        }
        Recycle(_slabs[index]!);
        _slabs[index] = null;
        DropEmptySlabs();
    }

    private void Recycle(byte[] slab)
    {
        if (slab.Length == SlabSize && _spareSlabs.Count < SpareSlabs)
        {
            _spareSlabs.Push(slab); // bodies are copied out, so nothing outside the store points into it
        }
    }

    private void DropEmptySlabs()
    {
        var empty = 0;
        while (empty < _slabs.Count - 1 && _slabs[empty] is null)
        {
            empty++;
        }
        if (empty > 0)
        {
            _slabs.RemoveRange(0, empty);
            _slabLive.RemoveRange(0, empty);
            _firstSlab += empty;
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

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
