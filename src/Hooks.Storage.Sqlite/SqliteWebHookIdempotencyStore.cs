using Hooks.Receiving;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite;

/// <summary>
/// The consumer's <see cref="IWebHookIdempotencyStore"/> in SQLite: handled ids survive a restart, and processes
/// sharing the file share them. Times are the receiver's (its <see cref="TimeProvider"/>), stored as Unix milliseconds;
/// expired rows are deleted a few at a time as claims arrive.
/// </summary>
internal sealed class SqliteWebHookIdempotencyStore : IWebHookIdempotencyStore
{
    private const int SweepBatch = 256;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly SqliteDatabase _database;
    private readonly TimeProvider _time;
    private long _nextSweepMs;

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
        var sweep = now >= Interlocked.Read(ref _nextSweepMs);
        if (sweep)
        {
            Interlocked.Exchange(ref _nextSweepMs, now + (long)SweepInterval.TotalMilliseconds);
        }
        return await _database.RunAsync((Key: key, Lease: leaseUntil.ToUnixTimeMilliseconds(), Now: now, Sweep: sweep),
            static async (connection, s, ct) =>
            {
                if (s.Sweep)
                {
                    using var purge = connection.CreateCommand();
                    purge.CommandText = """
                        DELETE FROM hooks_consumer_idempotency WHERE key IN
                            (SELECT key FROM hooks_consumer_idempotency WHERE until_ms <= $now ORDER BY until_ms LIMIT $batch)
                        """;
                    purge.Parameters.AddWithValue("$now", s.Now);
                    purge.Parameters.AddWithValue("$batch", SweepBatch);
                    await purge.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                // One statement, atomic under SQLite's write lock: insert, or take over a row whose time ran out.
                // If the row is live, read what it is; should another process release it in between, claim again.
                while (true)
                {
                    using var claim = connection.CreateCommand();
                    claim.CommandText = """
                        INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($key, 0, $lease)
                        ON CONFLICT (key) DO UPDATE SET handled = 0, until_ms = excluded.until_ms
                            WHERE hooks_consumer_idempotency.until_ms <= $now
                        RETURNING 1
                        """;
                    claim.Parameters.AddWithValue("$key", s.Key);
                    claim.Parameters.AddWithValue("$lease", s.Lease);
                    claim.Parameters.AddWithValue("$now", s.Now);
                    if (await claim.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
                    {
                        return WebHookIdempotencyClaim.Claimed;
                    }

                    using var read = connection.CreateCommand();
                    read.CommandText = "SELECT handled FROM hooks_consumer_idempotency WHERE key = $key";
                    read.Parameters.AddWithValue("$key", s.Key);
                    if (await read.ExecuteScalarAsync(ct).ConfigureAwait(false) is long handled)
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
        await _database.RunAsync((Key: key, Until: rememberUntil.ToUnixTimeMilliseconds()), static async (connection, s, ct) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($key, 1, $until)
                ON CONFLICT (key) DO UPDATE SET handled = 1, until_ms = excluded.until_ms
                """;
            command.Parameters.AddWithValue("$key", s.Key);
            command.Parameters.AddWithValue("$until", s.Until);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _database.RunAsync(key, static async (connection, k, ct) =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM hooks_consumer_idempotency WHERE key = $key AND handled = 0";
            command.Parameters.AddWithValue("$key", k);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
