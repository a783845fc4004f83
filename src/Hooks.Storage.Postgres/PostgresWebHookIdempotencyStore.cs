using Hooks.Receiving;
using Npgsql;

namespace Hooks.Storage.Postgres;

/// <summary>
/// The consumer's <see cref="IWebHookIdempotencyStore"/> in PostgreSQL: handled ids survive restarts and are shared
/// by every instance of the consumer on the database. Times are the receiver's (its <see cref="TimeProvider"/>),
/// stored as Unix milliseconds; expired rows are deleted a batch at a time, at most once a minute per instance.
/// </summary>
internal sealed class PostgresWebHookIdempotencyStore : IWebHookIdempotencyStore
{
    private const int SweepBatch = 256;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    // One statement, atomic: insert, or take over a row whose time ran out. A concurrent claimer of the same key waits
    // on the unique index, then finds the winner's live row and updates nothing.
    private const string ClaimSql = """
        INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($1, false, $2)
        ON CONFLICT (key) DO UPDATE SET handled = false, until_ms = excluded.until_ms
            WHERE hooks_consumer_idempotency.until_ms <= $3
        RETURNING 1
        """;

    private readonly PostgresDatabase _database;
    private readonly TimeProvider _time;
    private long _nextSweepMs;

    public PostgresWebHookIdempotencyStore(PostgresDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
    }

    /// <inheritdoc />
    public async ValueTask<WebHookIdempotencyClaim> TryClaimAsync(string key, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);

        var next = Interlocked.Read(ref _nextSweepMs);
        if (now >= next && Interlocked.CompareExchange(ref _nextSweepMs, now + (long)SweepInterval.TotalMilliseconds, next) == next)
        {
            await using var purge = new NpgsqlCommand("""
                DELETE FROM hooks_consumer_idempotency WHERE key IN
                    (SELECT key FROM hooks_consumer_idempotency WHERE until_ms <= $1 ORDER BY until_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
                """, connection);
            purge.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
            purge.Parameters.Add(new NpgsqlParameter<int> { TypedValue = SweepBatch });
            await purge.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // If the row is live, read what it is; should it be released or expire in between, claim again.
        while (true)
        {
            await using (var claim = new NpgsqlCommand(ClaimSql, connection))
            {
                claim.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
                claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = leaseUntil.ToUnixTimeMilliseconds() });
                claim.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
                if (await claim.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
                {
                    return WebHookIdempotencyClaim.Claimed;
                }
            }
            await using var read = new NpgsqlCommand("SELECT handled FROM hooks_consumer_idempotency WHERE key = $1 AND until_ms > $2", connection);
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
            read.Parameters.Add(new NpgsqlParameter<long> { TypedValue = now });
            if (await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is bool handled)
            {
                return handled ? WebHookIdempotencyClaim.AlreadyHandled : WebHookIdempotencyClaim.InProgress;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask MarkHandledAsync(string key, DateTimeOffset rememberUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            INSERT INTO hooks_consumer_idempotency (key, handled, until_ms) VALUES ($1, true, $2)
            ON CONFLICT (key) DO UPDATE SET handled = true, until_ms = excluded.until_ms
            """, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = rememberUntil.ToUnixTimeMilliseconds() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("DELETE FROM hooks_consumer_idempotency WHERE key = $1 AND NOT handled", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
