using System.Collections.Concurrent;
using System.Security.Cryptography;
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
/// Appends are group-committed: concurrent publishers queue their drafts, and whichever holds the writer commits
/// everyone's queued drafts in one transaction (each in a savepoint, so one refused draft does not fail the others);
/// each caller's task completes after that commit. Subscriptions are materialized once per (row, version) and kept, so
/// a lease batch neither decrypts secrets nor allocates a subscription per delivery, and the dispatcher's HMAC cache
/// keeps hitting. One partial file per job: .Subscriptions, .Append, .Leasing, .Attempts, .Feed, .Retention, .Rows.
/// </remarks>
internal sealed partial class SqliteWebHookStore : IWebHookStore, IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly WebHookSecretProtector _protector;
    // Materialized subscriptions by row number (never reused), valid for the version they carry.
    private readonly ConcurrentDictionary<long, WebHookSubscription> _subscriptions = new();
    private readonly long _leasePrefix = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
    private long _leaseCounter;
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

    /// <summary>Runs <paramref name="work"/> on the writer connection in one <c>BEGIN IMMEDIATE</c> transaction.</summary>
    private Task<T> WriteAsync<T, TState>(TState state, Func<SqliteWebHookStore, WriterCommands, SqliteTransaction, TState, T> work,
        CancellationToken cancellationToken) =>
        _database.RunAsync((Store: this, State: state, Work: work), static (connection, s, _) =>
        {
            var commands = s.Store.CommandsFor(connection);
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = s.Work(s.Store, commands, transaction, s.State);
            transaction.Commit();
            return Task.FromResult(result);
        }, cancellationToken);

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

    // Unique per store without a system call per lease: a random store prefix and a counter.
    private Guid NewLeaseToken()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, _leasePrefix);
        BitConverter.TryWriteBytes(bytes[8..], Interlocked.Increment(ref _leaseCounter));
        return new Guid(bytes);
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
