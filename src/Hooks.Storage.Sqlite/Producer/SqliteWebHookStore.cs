using System.Collections.Concurrent;
using Hooks.Security;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

/// <summary>
/// The producer's <see cref="IWebHookStore"/> in SQLite (migration <c>0003_producer.sql</c>): the outbox survives the
/// process. Every write goes through the database's one writer connection with prepared statements, in a
/// <c>BEGIN IMMEDIATE</c> transaction (which also serializes other processes on the file); reads use pooled reader
/// connections, which WAL lets run beside the writer.
/// </summary>
/// <remarks>
/// Writes are group-committed (SqliteWriteQueue.cs): concurrent publishers, lease requests and results queue their
/// operations, and whichever holds the writer runs every queued one in one transaction; each caller's task completes
/// after that commit. Subscriptions are materialized once per (row, version) and kept, so
/// a lease batch neither decrypts secrets nor allocates a subscription per delivery, and the dispatcher's HMAC cache
/// keeps hitting. One partial file per job: .Subscriptions, .Append, .Leasing, .Attempts, .Feed, .Retention, .Rows, and
/// SqliteWriteQueue.
/// </remarks>
internal sealed partial class SqliteWebHookStore : IWebHookStore, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly WebHookSecretProtector _protector;
    // Materialized subscriptions by row number (never reused), valid for the version they carry.
    private readonly ConcurrentDictionary<long, WebHookSubscription> _subscriptions = new();
    // Prepared once per writer connection; only the writer's holder uses them.
    private WriterCommands? _commands;

    public SqliteWebHookStore(SqliteDatabase database, WebHookSecretProtector protector)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(protector);
        _database = database;
        _protector = protector;
    }

    /// <summary>Frees the prepared statements (the container disposes the store before the database it uses).</summary>
    public void Dispose()
    {
        _commands?.Dispose();
        _commands = null;
    }

    private WriterCommands CommandsFor(SqliteConnection connection)
    {
        if (_commands is { } commands && ReferenceEquals(commands.Connection, connection))
        {
            return commands;
        }
        _commands?.Dispose();
        return _commands = new WriterCommands(connection);
    }

    /// <summary>Runs <paramref name="work"/> on a pooled reader connection.</summary>
    private async Task<T> ReadAsync<T, TState>(TState state, Func<SqliteWebHookStore, SqliteConnection, TState, T> work,
        CancellationToken cancellationToken)
    {
        var connection = await _database.OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return work(this, connection, state);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static long Ticks(DateTimeOffset time) => time.UtcTicks;

    private static DateTimeOffset Time(long ticks) => new(ticks, TimeSpan.Zero);

    private static object Db(object? value) => value ?? DBNull.Value;
}
