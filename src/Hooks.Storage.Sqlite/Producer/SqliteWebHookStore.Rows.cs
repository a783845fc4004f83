using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Rows to records and back: subscriptions (secrets protected, filters and metadata as JSON), messages, deliveries.
internal sealed partial class SqliteWebHookStore
{
    private const string SubscriptionColumns =
        "s.sid, s.id, s.tenant, s.url, s.secrets, s.event_types, s.description, s.metadata, s.status, s.verification, " +
        "s.verified_url, s.pending_url, s.status_reason, s.created_at, s.updated_at, s.version, s.failing_since";

    // The subscription of the row the reader is on (SubscriptionColumns first), from the cache when its version is kept.
    private WebHookSubscription ReadSubscription(SqliteDataReader reader, bool inWrite)
    {
        var sid = reader.GetInt64(0);
        var version = reader.GetInt64(15);
        if (_subscriptions.TryGetValue(sid, out var cached) && cached.Version == version)
        {
            return cached;
        }
        var subscription = new WebHookSubscription
        {
            Id = reader.GetString(1),
            Tenant = reader.GetString(2),
            Url = new Uri(reader.GetString(3)),
            Secrets = DecodeSecrets((byte[])reader.GetValue(4)),
            EventTypes = DecodeStrings(reader.GetString(5)),
            Description = reader.IsDBNull(6) ? null : reader.GetString(6),
            Metadata = DecodeMetadata(reader.GetString(7)),
            Status = (WebHookSubscriptionStatus)reader.GetInt32(8),
            Verification = (WebHookIntentVerificationMode)reader.GetInt32(9),
            VerifiedUrl = reader.IsDBNull(10) ? null : new Uri(reader.GetString(10)),
            PendingUrl = reader.IsDBNull(11) ? null : new Uri(reader.GetString(11)),
            StatusReason = reader.IsDBNull(12) ? null : reader.GetString(12),
            CreatedAt = Time(reader.GetInt64(13)),
            UpdatedAt = Time(reader.GetInt64(14)),
            Version = version,
            FailingSince = reader.IsDBNull(16) ? null : Time(reader.GetInt64(16)),
        };
        return Remember(sid, subscription, inWrite);
    }

    // Records seen or written inside the writer's transaction: kept once it commits (a rolled-back one never existed).
    private readonly List<(long Sid, WebHookSubscription Subscription)> _deferredSubscriptions = [];

    // On the writer (inside a transaction) deferred until the commit; on a reader, at once.
    private WebHookSubscription Remember(long sid, WebHookSubscription subscription, bool inWrite)
    {
        if (inWrite)
        {
            _deferredSubscriptions.Add((sid, subscription));
            return subscription;
        }
        return RememberNow(sid, subscription);
    }

    // Keeps the newest version: a reader that raced a write must not replace the newer record with its older one.
    private WebHookSubscription RememberNow(long sid, WebHookSubscription subscription) =>
        _subscriptions.AddOrUpdate(sid, static (_, fresh) => fresh, static (_, old, fresh) => old.Version > fresh.Version ? old : fresh, subscription);

    // Each secret protected on its own: [1][count:int32] then per secret [created:int64][expires:int64, MinValue: none]
    // [length:int32][protected bytes]. The key never reaches the file.
    private byte[] EncodeSecrets(IReadOnlyList<WebHookSubscriptionSecret> secrets)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var head = buffer.GetSpan(5);
        head[0] = 1;
        BinaryPrimitives.WriteInt32LittleEndian(head[1..], secrets.Count);
        buffer.Advance(5);
        foreach (var secret in secrets)
        {
            var sealedKey = _protector.Protect(secret.Secret);
            var span = buffer.GetSpan(20 + sealedKey.Length);
            BinaryPrimitives.WriteInt64LittleEndian(span, secret.CreatedAt.UtcTicks);
            BinaryPrimitives.WriteInt64LittleEndian(span[8..], secret.ExpiresAt?.UtcTicks ?? long.MinValue);
            BinaryPrimitives.WriteInt32LittleEndian(span[16..], sealedKey.Length);
            sealedKey.CopyTo(span[20..]);
            buffer.Advance(20 + sealedKey.Length);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private WebHookSubscriptionSecret[] DecodeSecrets(byte[] blob)
    {
        if (blob.Length < 5 || blob[0] != 1)
        {
            throw new InvalidDataException("A stored subscription's secrets are not in a format this version reads.");
        }
        var count = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(1));
        var secrets = new WebHookSubscriptionSecret[count];
        var offset = 5;
        for (var i = 0; i < count; i++)
        {
            var created = BinaryPrimitives.ReadInt64LittleEndian(blob.AsSpan(offset));
            var expires = BinaryPrimitives.ReadInt64LittleEndian(blob.AsSpan(offset + 8));
            var length = BinaryPrimitives.ReadInt32LittleEndian(blob.AsSpan(offset + 16));
            var secret = _protector.Unprotect(blob.AsSpan(offset + 20, length).ToArray());
            secrets[i] = new WebHookSubscriptionSecret(secret, Time(created), expires == long.MinValue ? null : Time(expires));
            offset += 20 + length;
        }
        return secrets;
    }

    private static string EncodeStrings(IReadOnlyList<string> values)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string[] DecodeStrings(string json)
    {
        if (json == "[]")
        {
            return [];
        }
        var values = new List<string>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                values.Add(reader.GetString()!);
            }
        }
        return [.. values];
    }

    private static string EncodeMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in metadata)
            {
                writer.WriteString(key, value);
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static Dictionary<string, string> DecodeMetadata(string json)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (json == "{}")
        {
            return metadata;
        }
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        string? key = null;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName)
            {
                key = reader.GetString();
            }
            else if (reader.TokenType == JsonTokenType.String && key is not null)
            {
                metadata[key] = reader.GetString()!;
                key = null;
            }
        }
        return metadata;
    }

    // The normalized filter rows: 0 exact, 1 prefix ("order.*" as "order."), 2 every type (an empty filter or "*").
    private static IEnumerable<(int Kind, string Value)> FilterRows(IReadOnlyList<string> eventTypes)
    {
        if (eventTypes.Count == 0)
        {
            yield return (2, "");
            yield break;
        }
        foreach (var filter in eventTypes)
        {
            if (filter == "*")
            {
                yield return (2, "");
            }
            else if (filter.EndsWith(".*", StringComparison.Ordinal))
            {
                yield return (1, filter[..^1]);
            }
            else
            {
                yield return (0, filter);
            }
        }
    }

    private const string MessageColumns = "m.seq, m.id, m.tenant, m.event_type, m.timestamp, m.body, m.trace_parent";

    private static WebHookMessage ReadMessage(SqliteDataReader reader, int first) => new()
    {
        Sequence = reader.GetInt64(first),
        Id = reader.GetString(first + 1),
        Tenant = reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2),
        EventType = reader.GetString(first + 3),
        Timestamp = Time(reader.GetInt64(first + 4)),
        Body = (byte[])reader.GetValue(first + 5),
        TraceParent = reader.IsDBNull(first + 6) ? null : reader.GetString(first + 6),
    };

    private const string DeliveryColumns =
        "d.id, m.id, s.id, s.tenant, d.sequence, m.event_type, d.status, d.attempts, d.due_at, m.timestamp, d.last_attempt_at";

    private static WebHookDelivery ReadDelivery(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        MessageId = reader.GetString(1),
        SubscriptionId = reader.GetString(2),
        Tenant = reader.GetString(3),
        Sequence = reader.GetInt64(4),
        EventType = reader.GetString(5),
        Status = (WebHookDeliveryStatus)reader.GetInt32(6),
        Attempts = reader.GetInt32(7),
        NextAttemptAt = Time(reader.GetInt64(8)),
        CreatedAt = Time(reader.GetInt64(9)),
        LastAttemptAt = reader.IsDBNull(10) ? null : Time(reader.GetInt64(10)),
    };
}
