namespace Hooks.Storage.Sqlite.Producer;

// The feed: a subscription's deliveries by sequence, read through the (subscription, sequence) index.
internal sealed partial class SqliteWebHookStore
{
    /// <inheritdoc />
    public async ValueTask<WebHookFeedPage> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptionId);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return await ReadAsync((Subscription: subscriptionId, After: afterSequence, Limit: limit), static (_, connection, s) =>
        {
            // One read transaction, so the purge mark and the page agree.
            using var transaction = connection.BeginTransaction(deferred: true);
            long sid, purgedThrough;
            using (var find = Command(connection, transaction, "SELECT sid, purged_through FROM hooks_subscriptions WHERE id = $id"))
            {
                find.Parameters.AddWithValue("$id", s.Subscription);
                using var reader = find.ExecuteReader();
                if (!reader.Read())
                {
                    return WebHookFeedPage.Empty;
                }
                sid = reader.GetInt64(0);
                purgedThrough = reader.GetInt64(1);
            }
            using var select = Command(connection, transaction, $"""
                SELECT d.sequence, d.status, {MessageColumns}
                FROM hooks_deliveries d JOIN hooks_messages m ON m.seq = d.message
                WHERE d.sid = $sid AND d.sequence > $after
                ORDER BY d.sequence LIMIT $limit
                """);
            select.Parameters.AddWithValue("$sid", sid);
            select.Parameters.AddWithValue("$after", s.After);
            select.Parameters.AddWithValue("$limit", s.Limit);
            var entries = new List<WebHookFeedEntry>();
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    entries.Add(new WebHookFeedEntry(reader.GetInt64(0), (WebHookDeliveryStatus)reader.GetInt32(1), ReadMessage(reader, 2)));
                }
            }
            return new WebHookFeedPage { Entries = entries, CursorExpired = s.After < purgedThrough };
        }, cancellationToken).ConfigureAwait(false);
    }
}
