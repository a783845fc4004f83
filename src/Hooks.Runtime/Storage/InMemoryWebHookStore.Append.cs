using System.Buffers;
using System.Buffers.Binary;
using Hooks.Publishing;

namespace Hooks.Storage;

// Append and fan-out: a message, its trace context, its idempotency key and one delivery per target subscription.
public sealed partial class InMemoryWebHookStore
{
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

    private sealed class IdempotencyKeyComparer : IEqualityComparer<(string? Tenant, string Key)>
    {
        public static readonly IdempotencyKeyComparer Instance = new();

        public bool Equals((string? Tenant, string Key) x, (string? Tenant, string Key) y) =>
            string.Equals(x.Tenant, y.Tenant, StringComparison.Ordinal) && string.Equals(x.Key, y.Key, StringComparison.Ordinal);

        public int GetHashCode((string? Tenant, string Key) obj) =>
            HashCode.Combine(obj.Tenant is null ? 0 : StringComparer.Ordinal.GetHashCode(obj.Tenant), StringComparer.Ordinal.GetHashCode(obj.Key));
    }
}
