using Hooks.CatchUp;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite;

/// <summary>
/// The consumer's <see cref="IWebHookCursorStore"/> in SQLite: cursors survive a restart. An advance is one upsert that
/// keeps the greater value, atomic under SQLite's write lock, so two processes on one file never move a cursor back.
/// </summary>
internal sealed class SqliteWebHookCursorStore(SqliteDatabase database) : IWebHookCursorStore
{
    /// <inheritdoc />
    public async ValueTask<long?> GetAsync(string receiverName, string subscriptionId, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId);
        return await database.RunAsync((Receiver: receiverName, Subscription: subscriptionId), static async (connection, s, ct) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT sequence FROM hooks_consumer_cursors WHERE receiver = $receiver AND subscription = $subscription";
            command.Parameters.AddWithValue("$receiver", s.Receiver);
            command.Parameters.AddWithValue("$subscription", s.Subscription);
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long sequence ? sequence : (long?)null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> AdvanceAsync(string receiverName, string subscriptionId, long sequence, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId, sequence);
        return await database.RunAsync((Receiver: receiverName, Subscription: subscriptionId, Sequence: sequence), static async (connection, s, ct) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO hooks_consumer_cursors (receiver, subscription, sequence) VALUES ($receiver, $subscription, $sequence)
                ON CONFLICT (receiver, subscription) DO UPDATE SET sequence = MAX(hooks_consumer_cursors.sequence, excluded.sequence)
                RETURNING sequence
                """;
            command.Parameters.AddWithValue("$receiver", s.Receiver);
            command.Parameters.AddWithValue("$subscription", s.Subscription);
            command.Parameters.AddWithValue("$sequence", s.Sequence);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);
    }
}
