using System.Runtime.CompilerServices;
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
/// One partial file per job: InMemoryWebHookStore.Subscriptions, .Append, .Leasing, .Attempts, .Feed, .Retention
/// and .Bodies.
/// </remarks>
public sealed partial class InMemoryWebHookStore : IWebHookStore
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

    /// <summary>What the store holds, for tests that pin its bounds.</summary>
    internal (int Messages, int Deliveries, int Slabs, int DueEntries, int LeaseEntries, int AttemptLists) Footprint()
    {
        lock (_gate)
        {
            return (_messages.Count, _deliveries.Count, _slabs.Count(slab => slab is not null), _due.Count, _leaseExpiries.Count,
                _attemptLists.Count);
        }
    }

    // The delivery's record, or a null reference when it does not exist (any more).
    private ref DeliveryRecord FindDelivery(long id)
    {
        ref var delivery = ref _deliveries.Find(id);
        return ref !Unsafe.IsNullRef(ref delivery) && delivery.Present ? ref delivery : ref Unsafe.NullRef<DeliveryRecord>();
    }

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

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
