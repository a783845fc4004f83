namespace Hooks.Storage.Sqlite.Producer;

// Retention: finished messages before the window, with their deliveries, attempts and idempotency keys.
internal sealed partial class SqliteWebHookStore
{
    /// <inheritdoc />
    public async ValueTask<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        if (limit == 0)
        {
            return 0;
        }
        return await WriteAsync((Before: before.UtcTicks, Limit: limit), static (_, _, transaction, s) =>
        {
            var connection = transaction.Connection!;
            var purged = new List<long>();
            using (var select = Command(connection, transaction, """
                SELECT m.seq FROM hooks_messages m
                WHERE m.timestamp < $before AND NOT EXISTS (SELECT 1 FROM hooks_deliveries d WHERE d.message = m.seq AND d.status = 0)
                ORDER BY m.timestamp LIMIT $limit
                """))
            {
                select.Parameters.AddWithValue("$before", s.Before);
                select.Parameters.AddWithValue("$limit", s.Limit);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    purged.Add(reader.GetInt64(0));
                }
            }
            // Feed cursors before a removed delivery expire: each subscription remembers the highest number removed.
            using var delete = Command(connection, transaction, """
                UPDATE hooks_subscriptions SET purged_through = max(purged_through,
                        (SELECT max(d.sequence) FROM hooks_deliveries d WHERE d.message = $seq AND d.sid = hooks_subscriptions.sid))
                    WHERE sid IN (SELECT sid FROM hooks_deliveries WHERE message = $seq);
                DELETE FROM hooks_attempts WHERE delivery IN (SELECT id FROM hooks_deliveries WHERE message = $seq);
                DELETE FROM hooks_deliveries WHERE message = $seq;
                DELETE FROM hooks_idempotency_keys WHERE message = $seq;
                DELETE FROM hooks_messages WHERE seq = $seq;
                """);
            var seq = delete.Parameters.Add("$seq", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (var message in purged)
            {
                seq.Value = message;
                delete.ExecuteNonQuery();
            }
            return purged.Count;
        }, cancellationToken).ConfigureAwait(false);
    }
}
