using Hooks.Receiving;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite;

/// <summary>
/// The consumer's <see cref="IWebHookIdempotencyStore"/> in SQLite: handled ids survive a restart, and processes
/// sharing the file share them. Times are the receiver's (its <see cref="TimeProvider"/>), stored as Unix milliseconds;
/// expired rows are deleted a batch at a time, at most once a minute, as claims arrive.
/// </summary>
internal sealed class SqliteWebHookIdempotencyStore : IWebHookIdempotencyStore, IDisposable
{
    private const int SweepBatch = 256;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;
    private long _nextSweepMs;
    // Prepared once per connection and reused: the database runs one operation at a time on its writer connection, so
    // these are never used by two callers at once.
    private Commands? _commands;

    public SqliteWebHookIdempotencyStore(SqliteDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    /// <inheritdoc />
    public async ValueTask<WebHookIdempotencyClaim> TryClaimAsync(string key, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var next = Interlocked.Read(ref _nextSweepMs);
        var sweep = now >= next && Interlocked.CompareExchange(ref _nextSweepMs, now + (long)SweepInterval.TotalMilliseconds, next) == next;
        return await _database.RunAsync((Store: this, Key: key, Lease: leaseUntil.ToUnixTimeMilliseconds(), Now: now, Sweep: sweep),
            static async (connection, s, ct) =>
            {
                var commands = s.Store.CommandsFor(connection);
                if (s.Sweep)
                {
                    commands.SweepNow.Value = s.Now;
                    await commands.Sweep.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                // One statement, atomic under SQLite's write lock: insert, or take over a row whose time ran out.
                // If the row is live, read what it is; should another process release it in between, claim again.
                commands.ClaimKey.Value = s.Key;
                commands.ClaimLease.Value = s.Lease;
                commands.ClaimNow.Value = s.Now;
                commands.ReadKey.Value = s.Key;
                while (true)
                {
                    if (await commands.Claim.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
                    {
                        return WebHookIdempotencyClaim.Claimed;
                    }
                    if (await commands.Read.ExecuteScalarAsync(ct).ConfigureAwait(false) is long handled)
                    {
                        return handled != 0 ? WebHookIdempotencyClaim.AlreadyHandled : WebHookIdempotencyClaim.InProgress;
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask MarkHandledAsync(string key, DateTimeOffset rememberUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _database.RunAsync((Store: this, Key: key, Until: rememberUntil.ToUnixTimeMilliseconds()), static async (connection, s, ct) =>
        {
            var commands = s.Store.CommandsFor(connection);
            commands.HandledKey.Value = s.Key;
            commands.HandledUntil.Value = s.Until;
            return await commands.Handled.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _database.RunAsync((Store: this, Key: key), static async (connection, s, ct) =>
        {
            var commands = s.Store.CommandsFor(connection);
            commands.ReleaseKey.Value = s.Key;
            return await commands.Release.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Frees the prepared statements (the container disposes the store before the database it uses).</summary>
    public void Dispose()
    {
        _commands?.Dispose();
        _commands = null;
    }

    private Commands CommandsFor(SqliteConnection connection)
    {
        if (_commands is { } commands && ReferenceEquals(commands.Connection, connection))
        {
            return commands;
        }
        _commands?.Dispose();
        return _commands = new Commands(connection);
    }

    private sealed class Commands : IDisposable
    {
        public Commands(SqliteConnection connection)
        {
            Connection = connection;
            Claim = Create("""
                INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($key, 0, $lease)
                ON CONFLICT (key) DO UPDATE SET handled = 0, until_ms = excluded.until_ms
                    WHERE hooks_consumer_idempotency.until_ms <= $now
                RETURNING 1
                """);
            ClaimKey = Claim.Parameters.Add("$key", SqliteType.Text);
            ClaimLease = Claim.Parameters.Add("$lease", SqliteType.Integer);
            ClaimNow = Claim.Parameters.Add("$now", SqliteType.Integer);
            Read = Create("SELECT handled FROM hooks_consumer_idempotency WHERE key = $key");
            ReadKey = Read.Parameters.Add("$key", SqliteType.Text);
            Handled = Create("""
                INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($key, 1, $until)
                ON CONFLICT (key) DO UPDATE SET handled = 1, until_ms = excluded.until_ms
                """);
            HandledKey = Handled.Parameters.Add("$key", SqliteType.Text);
            HandledUntil = Handled.Parameters.Add("$until", SqliteType.Integer);
            Release = Create("DELETE FROM hooks_consumer_idempotency WHERE key = $key AND handled = 0");
            ReleaseKey = Release.Parameters.Add("$key", SqliteType.Text);
            Sweep = Create($"""
                DELETE FROM hooks_consumer_idempotency WHERE key IN
                    (SELECT key FROM hooks_consumer_idempotency WHERE until_ms <= $now ORDER BY until_ms LIMIT {SweepBatch})
                """);
            SweepNow = Sweep.Parameters.Add("$now", SqliteType.Integer);
        }

        public SqliteConnection Connection { get; }
        public SqliteCommand Claim { get; }
        public SqliteParameter ClaimKey { get; }
        public SqliteParameter ClaimLease { get; }
        public SqliteParameter ClaimNow { get; }
        public SqliteCommand Read { get; }
        public SqliteParameter ReadKey { get; }
        public SqliteCommand Handled { get; }
        public SqliteParameter HandledKey { get; }
        public SqliteParameter HandledUntil { get; }
        public SqliteCommand Release { get; }
        public SqliteParameter ReleaseKey { get; }
        public SqliteCommand Sweep { get; }
        public SqliteParameter SweepNow { get; }

        private SqliteCommand Create(string sql)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            return command;
        }

        public void Dispose()
        {
            Claim.Dispose();
            Read.Dispose();
            Handled.Dispose();
            Release.Dispose();
            Sweep.Dispose();
        }
    }
}
