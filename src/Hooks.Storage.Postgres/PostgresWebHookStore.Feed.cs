using Npgsql;

namespace Hooks.Storage.Postgres;

// The feed (a subscription's deliveries by sequence) and retention (purging finished messages).
internal sealed partial class PostgresWebHookStore
{
    /// <inheritdoc />
    public async ValueTask<WebHookFeedPage> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command("SELECT purged_through FROM hooks_subscriptions WHERE id = $1", P(subscriptionId)));
        batch.BatchCommands.Add(Command($"""
            SELECT d.sequence, d.status, {MessageColumns}
            FROM hooks_deliveries d JOIN hooks_messages m ON m.sequence = d.message_sequence
            WHERE d.subscription_id = $1 AND d.sequence > $2
            ORDER BY d.sequence LIMIT $3
            """, P(subscriptionId), P(afterSequence), P(limit)));
        await batch.PrepareAsync(cancellationToken).ConfigureAwait(false); // persistent per connection: planned once
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return WebHookFeedPage.Empty; // no such subscription
        }
        var purgedThrough = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var entries = new List<WebHookFeedEntry>(Math.Min(limit, 256));
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(new WebHookFeedEntry(reader.GetInt64(0), (WebHookDeliveryStatus)reader.GetInt16(1), ReadMessage(reader, 2)));
        }
        return new WebHookFeedPage { Entries = entries, CursorExpired = afterSequence < purgedThrough };
    }

    /// <inheritdoc />
    public async ValueTask<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return 0;
        }
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Oldest first; a message with a pending delivery stays. Each subscription remembers the highest number it lost,
        // so a feed cursor before it has expired. Deliveries and attempts go with their message.
        await using var command = new NpgsqlCommand("""
            WITH doomed AS (
                SELECT m.sequence FROM hooks_messages m
                WHERE m.timestamp < $1
                  AND NOT EXISTS (SELECT 1 FROM hooks_deliveries d WHERE d.message_sequence = m.sequence AND d.status = 0)
                ORDER BY m.timestamp, m.sequence
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), lost AS (
                SELECT d.subscription_id, max(d.sequence) AS last
                FROM hooks_deliveries d JOIN doomed ON d.message_sequence = doomed.sequence
                GROUP BY d.subscription_id
            ), locked AS (
                -- In id order, as appends lock them: no deadlock with an append to several of them.
                SELECT s.id FROM hooks_subscriptions s WHERE s.id IN (SELECT subscription_id FROM lost) ORDER BY s.id FOR NO KEY UPDATE
            ), marked AS (
                UPDATE hooks_subscriptions s SET purged_through = greatest(s.purged_through, x.last)
                FROM lost x
                WHERE s.id = x.subscription_id AND EXISTS (SELECT 1 FROM locked)
            ), gone AS (
                DELETE FROM hooks_deliveries d USING doomed WHERE d.message_sequence = doomed.sequence
                RETURNING d.id
            ), attempts AS (
                DELETE FROM hooks_attempts a USING gone WHERE a.delivery_id = gone.id
            )
            DELETE FROM hooks_messages m USING doomed WHERE m.sequence = doomed.sequence
            """, connection);
        command.Parameters.Add(P(before));
        command.Parameters.Add(P(limit));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
