using Hooks.CatchUp;
using Npgsql;

namespace Hooks.Storage.Postgres;

/// <summary>
/// The consumer's <see cref="IWebHookCursorStore"/> in PostgreSQL: cursors survive restarts and are shared by every
/// instance. An advance is one upsert that keeps the greater value (the row lock orders concurrent ones), so no
/// instance ever moves a cursor back.
/// </summary>
internal sealed class PostgresWebHookCursorStore(PostgresDatabase database) : IWebHookCursorStore
{
    /// <inheritdoc />
    public async ValueTask<long?> GetAsync(string receiverName, string subscriptionId, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT sequence FROM hooks_consumer_cursors WHERE receiver = $1 AND subscription = $2", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = receiverName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long sequence ? sequence : null;
    }

    /// <inheritdoc />
    public async ValueTask<long> AdvanceAsync(string receiverName, string subscriptionId, long sequence, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId, sequence);
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            INSERT INTO hooks_consumer_cursors (receiver, subscription, sequence) VALUES ($1, $2, $3)
            ON CONFLICT (receiver, subscription) DO UPDATE SET sequence = GREATEST(hooks_consumer_cursors.sequence, excluded.sequence)
            RETURNING sequence
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = receiverName });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = sequence });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
