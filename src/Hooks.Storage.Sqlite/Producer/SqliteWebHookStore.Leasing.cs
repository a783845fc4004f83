using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Leasing: due deliveries per subscription under its lease limit, oldest first; releases; what is due when.
internal sealed partial class SqliteWebHookStore
{
    /// <inheritdoc />
    /// <remarks>
    /// One <c>BEGIN IMMEDIATE</c> transaction, so stores of several processes on the file never lease one delivery
    /// twice and count each other's leases. Subscriptions are visited one by one through the (subscription, due)
    /// index, each for at most its free places: a dead subscription's backlog is neither leased nor walked.
    /// </remarks>
    public async ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, int perSubscriptionLimit, TimeSpan leaseDuration,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ArgumentOutOfRangeException.ThrowIfLessThan(perSubscriptionLimit, 1);
        if (limit == 0)
        {
            return [];
        }
        return await WriteAsync((Now: now.UtcTicks, Limit: limit, PerSubscription: perSubscriptionLimit, Until: (now + leaseDuration).UtcTicks),
            static (store, commands, transaction, s) => store.Lease(commands, transaction, s.Now, s.Limit, s.PerSubscription, s.Until),
            cancellationToken, keepsFanOut: true).ConfigureAwait(false);
    }

    private List<WebHookLease> Lease(WriterCommands commands, SqliteTransaction transaction, long now, int limit, int perSubscription, long until)
    {
        // Enabled subscriptions with due work and free places.
        var open = new List<(long Sid, long Version, int Free)>();
        using (var reader = commands.LeaseCandidates.Bind("$now", now).In(transaction).ExecuteReader())
        {
            while (reader.Read())
            {
                var free = perSubscription - reader.GetInt32(2);
                if (free > 0)
                {
                    open.Add((reader.GetInt64(0), reader.GetInt64(1), Math.Min(free, limit)));
                }
            }
        }
        if (open.Count == 0)
        {
            return [];
        }
        var due = new List<DueRow>();
        foreach (var (sid, _, free) in open)
        {
            using var reader = commands.DueOf.Bind("$sid", sid).Bind("$now", now).Bind("$limit", free).In(transaction).ExecuteReader();
            while (reader.Read())
            {
                due.Add(new DueRow(reader.GetInt64(0), reader.GetInt64(1), sid, reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4),
                    reader.GetInt64(5), reader.IsDBNull(6) ? null : Time(reader.GetInt64(6))));
            }
        }
        due.Sort(static (x, y) => x.ReadyAt != y.ReadyAt ? x.ReadyAt.CompareTo(y.ReadyAt) : x.Id.CompareTo(y.Id));
        if (due.Count > limit)
        {
            due.RemoveRange(limit, due.Count - limit);
        }

        // One single-row update per lease, without RETURNING (RETURNING and multi-row writes inside the group's
        // transaction open a statement journal: a 64 KB buffer allocated and freed per statement, which costs more than
        // the statements), then one read of all their messages.
        var tokens = new Guid[due.Count];
        var seqs = new System.Text.StringBuilder("[", 2 + due.Count * 8);
        Span<byte> token = stackalloc byte[16];
        for (var i = 0; i < due.Count; i++)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(token);
            tokens[i] = new Guid(token);
            commands.TakeLease.Bind("$id", due[i].Id).Bind("$token", token.ToArray()).Bind("$until", until).In(transaction).ExecuteNonQuery();
            seqs.Append(seqs.Length > 1 ? "," : "").Append(due[i].Message.ToString(CultureInfo.InvariantCulture));
        }
        var messages = new Dictionary<long, WebHookMessage>(due.Count);
        using (var reader = commands.MessagesBySeq.Bind("$seqs", seqs.Append(']').ToString()).In(transaction).ExecuteReader())
        {
            while (reader.Read())
            {
                var message = ReadMessage(reader, 0);
                messages[message.Sequence] = message;
            }
        }

        var leases = new List<WebHookLease>(due.Count);
        var subscriptions = new Dictionary<long, WebHookSubscription>(open.Count);
        var expiresAt = Time(until);
        for (var i = 0; i < due.Count; i++)
        {
            var row = due[i];
            if (!subscriptions.TryGetValue(row.Sid, out var subscription))
            {
                subscriptions[row.Sid] = subscription = SubscriptionBySid(commands, transaction, row.Sid);
            }
            var message = messages[row.Message];
            var delivery = new WebHookDelivery
            {
                Id = row.Id,
                MessageId = message.Id,
                SubscriptionId = subscription.Id,
                Tenant = subscription.Tenant,
                EventType = message.EventType,
                Sequence = row.Sequence,
                Status = WebHookDeliveryStatus.Pending,
                Attempts = row.Attempts,
                NextAttemptAt = Time(row.DueAt),
                CreatedAt = message.Timestamp,
                LastAttemptAt = row.LastAttemptAt,
            };
            leases.Add(new WebHookLease(delivery, message, subscription, tokens[i], expiresAt));
        }
        return leases;
    }

    private readonly record struct DueRow(long ReadyAt, long Id, long Sid, long Message, long Sequence, int Attempts, long DueAt,
        DateTimeOffset? LastAttemptAt);

    private WebHookSubscription SubscriptionBySid(WriterCommands commands, SqliteTransaction transaction, long sid)
    {
        using var reader = commands.SubscriptionBySid.Bind("$sid", sid).In(transaction).ExecuteReader();
        reader.Read();
        return ReadSubscription(reader, inWrite: true);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseLeasesAsync(IReadOnlyList<WebHookLeaseRef> leases, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return;
        }
        await WriteAsync(leases, static (_, commands, transaction, list) =>
        {
            foreach (var lease in list)
            {
                commands.Release.Bind("$id", lease.DeliveryId).Bind("$token", lease.LeaseToken.ToByteArray()).In(transaction).ExecuteNonQuery();
            }
            return true;
        }, cancellationToken, keepsFanOut: true).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await ReadAsync(now.UtcTicks, static (_, connection, at) =>
        {
            using var count = Command(connection, null, """
                SELECT count(*) FROM hooks_deliveries d JOIN hooks_subscriptions s ON s.sid = d.sid
                WHERE d.status = 0 AND d.due_at <= $now AND s.status = 1
                """);
            count.Parameters.AddWithValue("$now", at);
            return (long)count.ExecuteScalar()!;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) =>
        await ReadAsync(0, static (_, connection, _) =>
        {
            // ready_at: the due time, or a running lease's end (an expired lease makes its delivery due again).
            using var next = Command(connection, null, """
                SELECT min((SELECT min(d.ready_at) FROM hooks_deliveries d WHERE d.sid = s.sid AND d.status = 0))
                FROM hooks_subscriptions s WHERE s.status = 1
                """);
            return next.ExecuteScalar() is long ticks ? Time(ticks) : (DateTimeOffset?)null;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>The statements the dispatcher's calls run, kept on the writer connection.</summary>
    private sealed class WriterCommands(SqliteConnection connection) : IDisposable
    {
        public SqliteConnection Connection { get; } = connection;

        public readonly AppendCommands Append = new(connection, deferSequences: true);

        // Changes when another connection commits to the file; the writer's own commits leave it.
        public readonly SqliteStatement DataVersion = new(connection, "PRAGMA data_version");

        // Per enabled subscription with something due: its running leases.
        public readonly SqliteStatement LeaseCandidates = new(connection, """
            SELECT s.sid, s.version,
                (SELECT count(*) FROM hooks_deliveries l WHERE l.sid = s.sid AND l.lease_until > $now)
            FROM hooks_subscriptions s
            WHERE s.status = 1 AND EXISTS (SELECT 1 FROM hooks_deliveries d WHERE d.sid = s.sid AND d.status = 0 AND d.ready_at <= $now)
            """);

        public readonly SqliteStatement DueOf = new(connection, """
            SELECT ready_at, id, message, sequence, attempts, due_at, last_attempt_at FROM hooks_deliveries
            WHERE sid = $sid AND status = 0 AND ready_at <= $now
            ORDER BY ready_at, id LIMIT $limit
            """);

        // One delivery by id; its token is 128 random bits.
        public readonly SqliteStatement TakeLease = new(connection, """
            UPDATE hooks_deliveries SET lease_token = $token, lease_until = $until, ready_at = $until, due_again = 0
            WHERE id = $id
            """);

        public readonly SqliteStatement SubscriptionBySid = new(connection,
            $"SELECT {SubscriptionColumns} FROM hooks_subscriptions s WHERE s.sid = $sid");

        public readonly SqliteStatement MessagesBySeq = new(connection,
            $"SELECT {MessageColumns} FROM hooks_messages m WHERE m.seq IN (SELECT value FROM json_each($seqs))");

        public readonly SqliteStatement Release = new(connection, """
            UPDATE hooks_deliveries SET lease_token = NULL, lease_until = NULL, ready_at = due_at
            WHERE id = $id AND lease_token = $token
            """);

        public readonly SqliteStatement RecordResult = new(connection, """
            UPDATE hooks_deliveries SET attempts = attempts + 1, last_attempt_at = $started, lease_token = NULL, lease_until = NULL,
                status = CASE WHEN due_again = 1 THEN 0 ELSE $status END,
                due_at = CASE WHEN due_again = 1 THEN $end WHEN $status = 0 THEN $next ELSE due_at END,
                ready_at = CASE WHEN due_again = 1 THEN $end WHEN $status = 0 THEN $next ELSE ready_at END,
                due_again = 0
            WHERE id = $id AND lease_token = $token
            """);

        public readonly SqliteStatement InsertAttempt = new(connection, """
            INSERT INTO hooks_attempts (delivery, number, started_at, duration, outcome, status_code, response_body, error, location)
            VALUES ($delivery, $number, $started, $duration, $outcome, $status_code, $response_body, $error, $location)
            """);

        public readonly SqliteStatement Health = new(connection,
            "SELECT version, status, failing_since, sid FROM hooks_subscriptions WHERE id = $id");

        public readonly SqliteStatement SetHealth = new(connection, """
            UPDATE hooks_subscriptions SET failing_since = $failing_since,
                status = CASE WHEN $disable THEN 2 ELSE status END,
                status_reason = CASE WHEN $disable THEN $reason ELSE status_reason END,
                updated_at = CASE WHEN $disable THEN $updated_at ELSE updated_at END,
                version = version + 1
            WHERE sid = $sid
            """);

        public void Dispose()
        {
            Append.Dispose();
            DataVersion.Dispose();
            LeaseCandidates.Dispose();
            DueOf.Dispose();
            TakeLease.Dispose();
            SubscriptionBySid.Dispose();
            MessagesBySeq.Dispose();
            Release.Dispose();
            RecordResult.Dispose();
            InsertAttempt.Dispose();
            Health.Dispose();
            SetHealth.Dispose();
        }
    }
}
