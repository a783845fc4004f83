using Hooks.Publishing;
using Npgsql;

namespace Hooks.Storage.Postgres;

// Append and fan-out: the message, its idempotency key and one delivery per target, numbered by the targets' counters.
internal sealed partial class PostgresWebHookStore
{
    // $1 id, $2 tenant (NULL: every tenant), $3 event type, $4 timestamp, $5 body, $6 traceparent, $7 idempotency key,
    // $8 the filter values that take the type, $9 the only subscription (test events) or NULL.
    // Targets are locked in id order (appends never deadlock on each other) and held to commit, so each subscription's
    // counter gives numbers in commit order. The counter's UPDATE reads the latest committed row (READ COMMITTED
    // re-reads a row updated since the statement began), so numbers have no gaps. The message is inserted first (the
    // counter's one-time EXISTS filter runs it), outside the window in which the targets are locked.
    private const string AppendSql = """
        WITH msg AS (
            INSERT INTO hooks_messages (id, tenant, event_type, timestamp, body, trace_parent, idempotency_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT DO NOTHING
            RETURNING sequence
        ), targets AS (
            SELECT s.id, s.status FROM hooks_subscriptions s
            WHERE s.id IN (
                SELECT f.subscription_id FROM hooks_subscription_filters f
                WHERE $9::text IS NULL AND ($2::text IS NULL OR f.tenant = $2) AND f.value = ANY($8)
                  AND (f.kind = 'exact' AND f.value = $3 OR f.kind = 'prefix' AND f.value <> $3 OR f.kind = 'all')
                UNION ALL
                SELECT $9 WHERE $9::text IS NOT NULL)
            ORDER BY s.id
            FOR NO KEY UPDATE
        ), counted AS (
            UPDATE hooks_subscriptions s SET last_sequence = s.last_sequence + 1
            FROM targets t WHERE s.id = t.id AND EXISTS (SELECT 1 FROM msg)
            RETURNING s.id, s.last_sequence, s.status
        ), made AS (
            INSERT INTO hooks_deliveries (message_sequence, subscription_id, sequence, status, next_attempt_at)
            SELECT msg.sequence, c.id, c.last_sequence, CASE WHEN $9::text IS NOT NULL OR c.status = 1 THEN 0 ELSE 3 END, $4
            FROM msg CROSS JOIN counted c
            RETURNING status
        )
        SELECT (SELECT sequence FROM msg), (SELECT count(*)::int FROM made WHERE status = 0)
        """;

    /// <inheritdoc />
    public ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        // Drafts in the app's transaction commit with it, alone; the others join the next group commit.
        if (draft.Transaction is null)
        {
            return AppendGroupedAsync(draft, cancellationToken);
        }
        return AppendOneAsync(draft, cancellationToken);
    }

    // One draft, one transaction (the app's, or its own): the path group commits fall back to.
    private async ValueTask<WebHookPublishResult> AppendOneAsync(WebHookMessageDraft draft, CancellationToken cancellationToken)
    {
        var message = draft.Message;
        NpgsqlTransaction? transaction = null;
        if (draft.Transaction is { } appTransaction)
        {
            transaction = appTransaction as NpgsqlTransaction ?? throw new NotSupportedException(
                "The PostgreSQL webhook store publishes in an NpgsqlTransaction only (the app's transaction on its PostgreSQL connection).");
            _ = transaction.Connection ?? throw new InvalidOperationException("The transaction has completed: publish in an open transaction.");
            await _database.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        var connection = transaction?.Connection ?? await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            batch.BatchCommands.Add(Command(AppendSql,
                P(message.Id), Text(message.Tenant), P(message.EventType), P(message.Timestamp), P(message.Body),
                Text(message.TraceParent), Text(draft.IdempotencyKey), P(FilterValuesFor(message.EventType)), Text(draft.SubscriptionId)));
            if (transaction is not null)
            {
                // The publisher's own wake-up comes before the app commits; this one is sent by the commit, to every instance.
                batch.BatchCommands.Add(Command("SELECT pg_notify($1, '')", P(PostgresWebHookNotifier.Channel)));
            }
            long? sequence = null;
            var pushed = 0;
            await batch.PrepareAsync(cancellationToken).ConfigureAwait(false); // persistent per connection: planned once
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0))
                {
                    sequence = reader.GetInt64(0);
                    pushed = reader.GetInt32(1);
                }
            }
            return sequence is not null
                ? new WebHookPublishResult(message.Id, pushed, false)
                : await NotStoredAsync(draft, connection, transaction, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (transaction is null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    // Nothing was stored for the draft: its key was used before (that message is the answer), or its id was.
    private static async ValueTask<WebHookPublishResult> NotStoredAsync(WebHookMessageDraft draft, NpgsqlConnection connection,
        NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (draft.IdempotencyKey is { } key)
        {
            await using var earlier = new NpgsqlCommand(
                """
                SELECT m.id, (SELECT count(*)::int FROM hooks_deliveries d WHERE d.message_sequence = m.sequence AND d.status <> 3)
                FROM hooks_messages m WHERE coalesce(m.tenant, '') = coalesce($1, '') AND m.idempotency_key = $2
                """,
                connection, transaction);
            earlier.Parameters.Add(Text(draft.Message.Tenant));
            earlier.Parameters.Add(P(key));
            await using var reader = await earlier.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new WebHookPublishResult(reader.GetString(0), reader.GetInt32(1), true);
            }
        }
        throw new InvalidOperationException("A message with this id is already stored.");
    }

    /// <inheritdoc />
    public async ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {MessageColumns} FROM hooks_messages m WHERE m.id = $1", connection);
        command.Parameters.Add(P(id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadMessage(reader, 0) : null;
    }
}
