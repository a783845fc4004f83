using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Attempts: recording results and their effect on deliveries and subscription health; listings; redelivery, recovery.
internal sealed partial class SqliteWebHookStore
{
    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Count == 0)
        {
            return [];
        }
        // The whole batch in one transaction (the dispatcher hands over what finished since its last call).
        return await WriteAsync(results, static (store, commands, transaction, list) =>
        {
            List<WebHookSubscriptionChange>? changes = null; // rare: no list unless something changed
            // Each subscription's health read once per batch (most of a batch is one or a few subscriptions), and
            // kept current here as the batch changes it: nothing else writes inside this operation.
            var health = new Dictionary<string, Health?>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                store.Record(commands, transaction, list[i], health, ref changes);
            }
            return changes ?? (IReadOnlyList<WebHookSubscriptionChange>)[];
        }, cancellationToken, keepsFanOut: true).ConfigureAwait(false);
    }

    private sealed class Health(long sid, long version, WebHookSubscriptionStatus status, DateTimeOffset? failingSince)
    {
        public long Sid { get; } = sid;
        public long Version { get; set; } = version;
        public WebHookSubscriptionStatus Status { get; set; } = status;
        public DateTimeOffset? FailingSince { get; set; } = failingSince;
    }

    private void Record(WriterCommands commands, SqliteTransaction transaction, WebHookAttemptResult result, Dictionary<string, Health?> health,
        ref List<WebHookSubscriptionChange>? changes)
    {
        var attempt = result.Attempt;
        var end = attempt.StartedAt + attempt.Duration;
        if (commands.RecordResult
                .Bind("$id", result.Lease.DeliveryId)
                .Bind("$token", result.Lease.LeaseToken.ToByteArray())
                .Bind("$started", attempt.StartedAt.UtcTicks)
                .Bind("$status", (int)result.NewStatus)
                .Bind("$end", end.UtcTicks)
                .Bind("$next", result.NextAttemptAt.UtcTicks)
                .In(transaction).ExecuteNonQuery() == 0)
        {
            return; // a stale token: another lease took the delivery, or it is gone
        }
        commands.InsertAttempt
            .Bind("$delivery", result.Lease.DeliveryId)
            .Bind("$number", attempt.Number)
            .Bind("$started", attempt.StartedAt.UtcTicks)
            .Bind("$duration", attempt.Duration.Ticks)
            .Bind("$outcome", (int)attempt.Outcome)
            .Bind("$status_code", attempt.StatusCode)
            .Bind("$response_body", attempt.ResponseBody)
            .Bind("$error", attempt.Error)
            .Bind("$location", attempt.Location)
            .In(transaction).ExecuteNonQuery();

        if (!health.TryGetValue(attempt.SubscriptionId, out var current))
        {
            using var reader = commands.Health.Bind("$id", attempt.SubscriptionId).In(transaction).ExecuteReader();
            current = reader.Read()
                ? new Health(reader.GetInt64(3), reader.GetInt64(0), (WebHookSubscriptionStatus)reader.GetInt32(1),
                    reader.IsDBNull(2) ? null : Time(reader.GetInt64(2)))
                : null;
            health[attempt.SubscriptionId] = current;
        }
        if (current is null)
        {
            return; // deleted
        }
        var sid = current.Sid;
        var version = current.Version;
        var status = current.Status;
        var failingSince = current.FailingSince;
        var newFailingSince = failingSince;
        var changed = false;
        if (attempt.Outcome == WebHookAttemptOutcome.Succeeded)
        {
            if (failingSince is { } since)
            {
                newFailingSince = null;
                changed = true;
                (changes ??= []).Add(new WebHookSubscriptionChange
                {
                    SubscriptionId = attempt.SubscriptionId, Kind = WebHookSubscriptionChangeKind.Recovered, Attempt = attempt, FailingSince = since,
                });
            }
        }
        else if (failingSince is null)
        {
            newFailingSince = attempt.StartedAt;
            changed = true;
            (changes ??= []).Add(new WebHookSubscriptionChange
            {
                SubscriptionId = attempt.SubscriptionId, Kind = WebHookSubscriptionChangeKind.StartedFailing, Attempt = attempt,
            });
        }
        var disable = result.DisableSubscriptionReason is not null && status == WebHookSubscriptionStatus.Enabled;
        if (disable)
        {
            changed = true;
            (changes ??= []).Add(new WebHookSubscriptionChange
            {
                SubscriptionId = attempt.SubscriptionId, Kind = WebHookSubscriptionChangeKind.Disabled, Attempt = attempt,
                FailingSince = newFailingSince, Reason = result.DisableSubscriptionReason,
            });
        }
        if (!changed)
        {
            return;
        }
        // A write like the owner's: the version moves, so an owner's update from an older read conflicts.
        var cached = _subscriptions.TryGetValue(sid, out var c) && c.Version == version ? c : null;
        if (disable)
        {
            commands.Append.ForgetFanOut(); // a disabled subscription's deliveries are no longer pending
        }
        commands.SetHealth
            .Bind("$sid", sid)
            .Bind("$failing_since", newFailingSince?.UtcTicks)
            .Bind("$disable", disable ? 1 : 0)
            .Bind("$reason", result.DisableSubscriptionReason)
            .Bind("$updated_at", end.UtcTicks)
            .In(transaction).ExecuteNonQuery();
        current.Version = version + 1;
        current.FailingSince = newFailingSince;
        current.Status = disable ? WebHookSubscriptionStatus.Disabled : status;
        if (cached is not null)
        {
            Remember(sid, cached with
            {
                Version = version + 1,
                FailingSince = newFailingSince,
                Status = disable ? WebHookSubscriptionStatus.Disabled : cached.Status,
                StatusReason = disable ? result.DisableSubscriptionReason : cached.StatusReason,
                UpdatedAt = disable ? end : cached.UpdatedAt,
            }, inWrite: true);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return await ReadAsync(query, static (_, connection, q) =>
        {
            // Ids and sequences grow together within a subscription: newest first by the feed index.
            using var select = Command(connection, null, $"""
                SELECT {DeliveryColumns}
                FROM hooks_subscriptions s JOIN hooks_deliveries d ON d.sid = s.sid JOIN hooks_messages m ON m.seq = d.message
                WHERE s.id = $subscription AND ($status IS NULL OR d.status = $status) AND ($message IS NULL OR m.id = $message)
                    AND ($before IS NULL OR d.id < $before)
                ORDER BY d.sequence DESC LIMIT $limit
                """);
            select.Parameters.AddWithValue("$subscription", q.SubscriptionId);
            select.Parameters.AddWithValue("$status", Db(q.Status is { } status ? (int)status : null));
            select.Parameters.AddWithValue("$message", Db(q.MessageId));
            select.Parameters.AddWithValue("$before", Db(q.Before));
            select.Parameters.AddWithValue("$limit", q.Limit);
            using var reader = select.ExecuteReader();
            var list = new List<WebHookDelivery>();
            while (reader.Read())
            {
                list.Add(ReadDelivery(reader));
            }
            return (IReadOnlyList<WebHookDelivery>)list;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<WebHookDelivery?> GetDeliveryAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return await ReadAsync((Subscription: subscriptionId, Id: deliveryId), static (_, connection, s) =>
        {
            using var select = Command(connection, null, $"""
                SELECT {DeliveryColumns}
                FROM hooks_deliveries d JOIN hooks_subscriptions s ON s.sid = d.sid JOIN hooks_messages m ON m.seq = d.message
                WHERE d.id = $id AND s.id = $subscription
                """);
            select.Parameters.AddWithValue("$id", s.Id);
            select.Parameters.AddWithValue("$subscription", s.Subscription);
            using var reader = select.ExecuteReader();
            return reader.Read() ? ReadDelivery(reader) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return await ReadAsync((Subscription: subscriptionId, Id: deliveryId), static (_, connection, s) =>
        {
            using var select = Command(connection, null, """
                SELECT m.id, a.number, a.started_at, a.duration, a.outcome, a.status_code, a.response_body, a.error, a.location
                FROM hooks_attempts a JOIN hooks_deliveries d ON d.id = a.delivery JOIN hooks_subscriptions s ON s.sid = d.sid
                    JOIN hooks_messages m ON m.seq = d.message
                WHERE a.delivery = $id AND s.id = $subscription
                ORDER BY a.rowid
                """);
            select.Parameters.AddWithValue("$id", s.Id);
            select.Parameters.AddWithValue("$subscription", s.Subscription);
            using var reader = select.ExecuteReader();
            var list = new List<WebHookAttempt>();
            while (reader.Read())
            {
                list.Add(new WebHookAttempt
                {
                    DeliveryId = s.Id,
                    MessageId = reader.GetString(0),
                    SubscriptionId = s.Subscription,
                    Number = reader.GetInt32(1),
                    StartedAt = Time(reader.GetInt64(2)),
                    Duration = TimeSpan.FromTicks(reader.GetInt64(3)),
                    Outcome = (WebHookAttemptOutcome)reader.GetInt32(4),
                    StatusCode = reader.IsDBNull(5) ? null : reader.GetInt32(5),
                    ResponseBody = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Error = reader.IsDBNull(7) ? null : reader.GetString(7),
                    Location = reader.IsDBNull(8) ? null : reader.GetString(8),
                });
            }
            return (IReadOnlyList<WebHookAttempt>)list;
        }, cancellationToken).ConfigureAwait(false);
    }

    // Pending and due at $now; a running lease keeps its token (its result still counts) and one more attempt follows
    // it (due_again), or its expiry if the result never comes.
    private const string MakeDue = """
        UPDATE hooks_deliveries SET status = 0, due_at = $now,
            due_again = CASE WHEN lease_token IS NOT NULL AND lease_until > $now THEN 1 ELSE due_again END,
            ready_at = max($now, coalesce(lease_until, $now))
        """;

    /// <inheritdoc />
    public async ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentNullException.ThrowIfNull(messageId);
        return await WriteAsync((Subscription: subscriptionId, Message: messageId, Now: now.UtcTicks), static (_, _, transaction, s) =>
        {
            // Only a delivery the message has: never one its filter refused or another subscription's.
            using var update = Command(transaction.Connection!, transaction, MakeDue + """

                WHERE sid = (SELECT sid FROM hooks_subscriptions WHERE id = $subscription)
                    AND message = (SELECT seq FROM hooks_messages WHERE id = $message)
                """);
            update.Parameters.AddWithValue("$subscription", s.Subscription);
            update.Parameters.AddWithValue("$message", s.Message);
            update.Parameters.AddWithValue("$now", s.Now);
            return update.ExecuteNonQuery() > 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        return await WriteAsync((Subscription: subscriptionId, Since: since.UtcTicks, Now: now.UtcTicks), static (_, _, transaction, s) =>
        {
            using var update = Command(transaction.Connection!, transaction, MakeDue + """

                WHERE sid = (SELECT sid FROM hooks_subscriptions WHERE id = $subscription) AND status IN (2, 3)
                    AND (SELECT timestamp FROM hooks_messages m WHERE m.seq = message) >= $since
                """);
            update.Parameters.AddWithValue("$subscription", s.Subscription);
            update.Parameters.AddWithValue("$since", s.Since);
            update.Parameters.AddWithValue("$now", s.Now);
            return update.ExecuteNonQuery();
        }, cancellationToken).ConfigureAwait(false);
    }
}
