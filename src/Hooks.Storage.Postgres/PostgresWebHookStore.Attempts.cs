using Npgsql;
using NpgsqlTypes;

namespace Hooks.Storage.Postgres;

// Attempts: recording results and their effect on deliveries and subscription health, listings, redelivery, recovery.
internal sealed partial class PostgresWebHookStore
{
    // One row per result ($1…$13 as parallel arrays); a result whose token is not the delivery's is ignored. A redelivery
    // asked for during the attempt makes the delivery pending again, due when the attempt ended.
    private const string RecordSql = """
        WITH r AS (
            SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::smallint[], $4::timestamptz[], $5::timestamptz[], $6::int[],
                                 $7::timestamptz[], $8::bigint[], $9::smallint[], $10::int[], $11::text[], $12::text[], $13::text[])
                WITH ORDINALITY AS r (id, token, status, next_at, ended_at, number, started_at, duration, outcome, code, body, error, location, i)
        ), done AS (
            UPDATE hooks_deliveries d SET
                status = CASE WHEN d.redeliver_after_lease THEN 0 ELSE r.status END,
                next_attempt_at = CASE WHEN d.redeliver_after_lease THEN r.ended_at WHEN r.status = 0 THEN r.next_at ELSE d.next_attempt_at END,
                attempts = d.attempts + 1, last_attempt_at = r.started_at,
                lease_token = NULL, lease_expires_at = NULL, redeliver_after_lease = false
            FROM r WHERE d.id = r.id AND d.lease_token = r.token
            RETURNING d.id, d.attempts, r.i
        ), logged AS (
            INSERT INTO hooks_attempts (delivery_id, ordinal, number, started_at, duration_ticks, outcome, status_code, response_body, error, location)
            SELECT done.id, done.attempts, r.number, r.started_at, r.duration, r.outcome, r.code, r.body, r.error, r.location
            FROM done JOIN r ON r.i = done.i
        )
        SELECT i FROM done ORDER BY i
        """;

    private const string HealthColumns = "SELECT id, status, failing_since FROM hooks_subscriptions WHERE id = ANY($1)";

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            return [];
        }
        var n = results.Count;
        var ids = new long[n];
        var tokens = new Guid[n];
        var statuses = new short[n];
        var next = new DateTime[n];
        var ended = new DateTime[n];
        var numbers = new int[n];
        var started = new DateTime[n];
        var durations = new long[n];
        var outcomes = new short[n];
        var codes = new int?[n];
        var bodies = new string?[n];
        var errors = new string?[n];
        var locations = new string?[n];
        var subscriptionIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            var result = results[i];
            var attempt = result.Attempt;
            ids[i] = result.Lease.DeliveryId;
            tokens[i] = result.Lease.LeaseToken;
            statuses[i] = (short)result.NewStatus;
            next[i] = result.NextAttemptAt.UtcDateTime;
            ended[i] = (attempt.StartedAt + attempt.Duration).UtcDateTime;
            numbers[i] = attempt.Number;
            started[i] = attempt.StartedAt.UtcDateTime;
            durations[i] = attempt.Duration.Ticks;
            outcomes[i] = (short)attempt.Outcome;
            codes[i] = attempt.StatusCode;
            bodies[i] = attempt.ResponseBody;
            errors[i] = attempt.Error;
            locations[i] = attempt.Location;
            subscriptionIds.Add(attempt.SubscriptionId);
        }
        var accepted = new List<int>(n);
        var health = new Dictionary<string, Health>(StringComparer.Ordinal);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(Command(RecordSql, P(ids), P(tokens), P(statuses), P(next), P(ended), P(numbers), P(started),
                P(durations), P(outcomes), P(codes), P(bodies), P(errors), P(locations)));
            // Read without a lock: most results change nothing (a success of a healthy subscription, another failure of
            // a failing one); a change is made below under the subscription's row lock, from a fresh read.
            batch.BatchCommands.Add(Command(HealthColumns, P(subscriptionIds.ToArray())));
            await batch.PrepareAsync(cancellationToken).ConfigureAwait(false); // persistent per connection: planned once
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                accepted.Add((int)reader.GetInt64(0) - 1);
            }
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await ReadHealthAsync(reader, health, cancellationToken).ConfigureAwait(false);
        }
        if (accepted.Count == 0 || ApplyHealth(results, accepted, health, changes: null) == 0)
        {
            return [];
        }

        // Something changes: lock the subscriptions (in id order), read them again, decide and write in one transaction,
        // so each change is made, and reported, by exactly one operation however many dispatchers record at once.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        health.Clear();
        await using (var locked = new NpgsqlCommand(HealthColumns + " ORDER BY id FOR NO KEY UPDATE", connection, transaction))
        {
            locked.Parameters.Add(P(subscriptionIds.ToArray()));
            await locked.PrepareAsync(cancellationToken).ConfigureAwait(false); // persistent per connection: planned once
            await using var reader = await locked.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await ReadHealthAsync(reader, health, cancellationToken).ConfigureAwait(false);
        }
        var changes = new List<WebHookSubscriptionChange>();
        if (ApplyHealth(results, accepted, health, changes) > 0)
        {
            var changed = health.Values.Where(h => h.Changed).ToList();
            await using var write = new NpgsqlCommand("""
                UPDATE hooks_subscriptions s SET status = w.status, failing_since = w.failing_since,
                    status_reason = CASE WHEN w.disabled THEN w.reason ELSE s.status_reason END,
                    updated_at = CASE WHEN w.disabled THEN w.updated_at ELSE s.updated_at END,
                    version = s.version + 1, stamp = gen_random_uuid()
                FROM unnest($1::text[], $2::smallint[], $3::timestamptz[], $4::boolean[], $5::text[], $6::timestamptz[])
                    AS w (id, status, failing_since, disabled, reason, updated_at)
                WHERE s.id = w.id
                """, connection, transaction);
            write.Parameters.Add(P(changed.Select(h => h.Id).ToArray()));
            write.Parameters.Add(P(changed.Select(h => (short)h.Status).ToArray()));
            write.Parameters.Add(P(changed.Select(h => h.FailingSince?.UtcDateTime).ToArray()));
            write.Parameters.Add(P(changed.Select(h => h.DisabledReason is not null).ToArray()));
            write.Parameters.Add(P(changed.Select(h => h.DisabledReason).ToArray()));
            write.Parameters.Add(P(changed.Select(h => h.DisabledAt?.UtcDateTime).ToArray()));
            await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changes;
    }

    private sealed class Health(string id, WebHookSubscriptionStatus status, DateTimeOffset? failingSince)
    {
        public string Id { get; } = id;
        public WebHookSubscriptionStatus Status { get; set; } = status;
        public DateTimeOffset? FailingSince { get; set; } = failingSince;
        public string? DisabledReason { get; set; }
        public DateTimeOffset? DisabledAt { get; set; }
        public bool Changed { get; set; }
    }

    private static async Task ReadHealthAsync(NpgsqlDataReader reader, Dictionary<string, Health> health, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var id = reader.GetString(0);
            health[id] = new Health(id, (WebHookSubscriptionStatus)reader.GetInt16(1), ReadOptionalTime(reader, 2));
        }
    }

    // The accepted results' effect on their subscriptions, in order, as the in-memory store applies it; returns how
    // many changes were made (and lists them when asked).
    private static int ApplyHealth(IReadOnlyList<WebHookAttemptResult> results, List<int> accepted, Dictionary<string, Health> health,
        List<WebHookSubscriptionChange>? changes)
    {
        var count = 0;
        foreach (var index in accepted)
        {
            var result = results[index];
            var attempt = result.Attempt;
            if (!health.TryGetValue(attempt.SubscriptionId, out var subscription))
            {
                continue; // deleted meanwhile
            }
            if (attempt.Outcome == WebHookAttemptOutcome.Succeeded)
            {
                if (subscription.FailingSince is { } since)
                {
                    subscription.FailingSince = null;
                    subscription.Changed = true;
                    count++;
                    changes?.Add(new WebHookSubscriptionChange
                    {
                        SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.Recovered, Attempt = attempt, FailingSince = since,
                    });
                }
            }
            else if (subscription.FailingSince is null)
            {
                subscription.FailingSince = attempt.StartedAt;
                subscription.Changed = true;
                count++;
                changes?.Add(new WebHookSubscriptionChange
                {
                    SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.StartedFailing, Attempt = attempt,
                });
            }
            if (result.DisableSubscriptionReason is { } reason && subscription.Status == WebHookSubscriptionStatus.Enabled)
            {
                subscription.Status = WebHookSubscriptionStatus.Disabled;
                subscription.DisabledReason = reason;
                subscription.DisabledAt = attempt.StartedAt + attempt.Duration;
                subscription.Changed = true;
                count++;
                changes?.Add(new WebHookSubscriptionChange
                {
                    SubscriptionId = subscription.Id, Kind = WebHookSubscriptionChangeKind.Disabled, Attempt = attempt,
                    FailingSince = subscription.FailingSince, Reason = reason,
                });
            }
        }
        return count;
    }

    private const string DeliveryColumns =
        "d.id, m.id, d.subscription_id, s.tenant, d.sequence, m.event_type, d.status, d.attempts, d.next_attempt_at, m.timestamp, d.last_attempt_at";

    private const string DeliveryFrom =
        "FROM hooks_deliveries d JOIN hooks_messages m ON m.sequence = d.message_sequence JOIN hooks_subscriptions s ON s.id = d.subscription_id";

    private static WebHookDelivery ReadDelivery(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        MessageId = reader.GetString(1),
        SubscriptionId = reader.GetString(2),
        Tenant = reader.GetString(3),
        Sequence = reader.GetInt64(4),
        EventType = reader.GetString(5),
        Status = (WebHookDeliveryStatus)reader.GetInt16(6),
        Attempts = reader.GetInt32(7),
        NextAttemptAt = ReadTime(reader, 8),
        CreatedAt = ReadTime(reader, 9),
        LastAttemptAt = ReadOptionalTime(reader, 10),
    };

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Newest first by id, which within a subscription is the sequence's order (both given under the append's lock):
        // the (subscription, sequence) index serves it.
        await using var command = new NpgsqlCommand($"""
            SELECT {DeliveryColumns} {DeliveryFrom}
            WHERE d.subscription_id = $1 AND ($3::smallint IS NULL OR d.status = $3) AND ($4::text IS NULL OR m.id = $4)
              AND ($2::bigint IS NULL OR d.id < $2 AND d.sequence < coalesce(
                  (SELECT x.sequence FROM hooks_deliveries x WHERE x.id = $2 AND x.subscription_id = $1), 9223372036854775807))
            ORDER BY d.sequence DESC LIMIT $5
            """, connection);
        command.Parameters.Add(P(query.SubscriptionId));
        command.Parameters.Add(Nullable(query.Before, NpgsqlDbType.Bigint));
        command.Parameters.Add(Nullable(query.Status is { } status ? (short)status : null, NpgsqlDbType.Smallint));
        command.Parameters.Add(Text(query.MessageId));
        command.Parameters.Add(P(Math.Max(0, query.Limit)));
        var list = new List<WebHookDelivery>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadDelivery(reader));
        }
        return list;
    }

    /// <inheritdoc />
    public async ValueTask<WebHookDelivery?> GetDeliveryAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {DeliveryColumns} {DeliveryFrom} WHERE d.id = $1 AND d.subscription_id = $2", connection);
        command.Parameters.Add(P(deliveryId));
        command.Parameters.Add(P(subscriptionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadDelivery(reader) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT m.id, a.number, a.started_at, a.duration_ticks, a.outcome, a.status_code, a.response_body, a.error, a.location
            FROM hooks_attempts a JOIN hooks_deliveries d ON d.id = a.delivery_id JOIN hooks_messages m ON m.sequence = d.message_sequence
            WHERE a.delivery_id = $1 AND d.subscription_id = $2
            ORDER BY a.ordinal
            """, connection);
        command.Parameters.Add(P(deliveryId));
        command.Parameters.Add(P(subscriptionId));
        var list = new List<WebHookAttempt>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new WebHookAttempt
            {
                DeliveryId = deliveryId,
                MessageId = reader.GetString(0),
                SubscriptionId = subscriptionId,
                Number = reader.GetInt32(1),
                StartedAt = ReadTime(reader, 2),
                Duration = TimeSpan.FromTicks(reader.GetInt64(3)),
                Outcome = (WebHookAttemptOutcome)reader.GetInt16(4),
                StatusCode = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                ResponseBody = ReadOptionalText(reader, 6),
                Error = ReadOptionalText(reader, 7),
                Location = ReadOptionalText(reader, 8),
            });
        }
        return list;
    }

    /// <inheritdoc />
    public async ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(messageId);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Only the delivery the message got at its append; one running under a lease gets one more attempt after it.
        await using var command = new NpgsqlCommand("""
            UPDATE hooks_deliveries d SET status = 0, next_attempt_at = $3,
                redeliver_after_lease = d.lease_token IS NOT NULL AND d.lease_expires_at > now() + $4
            FROM hooks_messages m
            WHERE m.id = $2 AND d.message_sequence = m.sequence AND d.subscription_id = $1
            """, connection);
        command.Parameters.Add(P(subscriptionId));
        command.Parameters.Add(P(messageId));
        command.Parameters.Add(P(now));
        command.Parameters.Add(P(ShiftOf(now)));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            UPDATE hooks_deliveries d SET status = 0, next_attempt_at = $3,
                redeliver_after_lease = d.lease_token IS NOT NULL AND d.lease_expires_at > now() + $4
            FROM hooks_messages m
            WHERE d.subscription_id = $1 AND d.status IN (2, 3) AND m.sequence = d.message_sequence AND m.timestamp >= $2
            """, connection);
        command.Parameters.Add(P(subscriptionId));
        command.Parameters.Add(P(since));
        command.Parameters.Add(P(now));
        command.Parameters.Add(P(ShiftOf(now)));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
