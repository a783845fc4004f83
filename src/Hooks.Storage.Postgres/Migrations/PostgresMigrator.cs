using Npgsql;

namespace Hooks.Storage.Postgres.Migrations;

/// <summary>
/// Brings a database to the newest schema: applies, in order, the scripts it has not applied yet, each recorded in
/// <c>hooks_schema_version</c>. It runs in one transaction holding a transaction-scoped advisory lock, so instances
/// starting at once migrate once (the others wait, then find nothing to do), and a failed script leaves nothing
/// behind (PostgreSQL's DDL is transactional).
/// </summary>
internal static class PostgresMigrator
{
    /// <summary>The advisory lock key Hooks' migrations take: "hooks_v1" in ASCII, as a number.</summary>
    internal const long LockKey = 0x686F6F6B735F7631; // "hooks_v1"

    public static async Task<IReadOnlyList<int>> MigrateAsync(NpgsqlDataSource dataSource, IReadOnlyList<StorageMigration> migrations,
        CancellationToken cancellationToken)
    {
        var applied = new List<int>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = LockKey });
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using (var command = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS hooks_schema_version (
                version integer NOT NULL PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var done = new HashSet<int>();
        await using (var command = new NpgsqlCommand("SELECT version FROM hooks_schema_version", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                done.Add(reader.GetInt32(0));
            }
        }

        foreach (var migration in migrations)
        {
            if (done.Contains(migration.Version))
            {
                continue;
            }
            await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
            {
                await script.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await using var record = new NpgsqlCommand("INSERT INTO hooks_schema_version (version, name) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return applied;
    }
}
