using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Migrations;

/// <summary>
/// Brings a database to the newest schema: applies, in order, the scripts it has not applied yet, each recorded in
/// <c>hooks_schema_version</c>. All of it runs in one <c>BEGIN IMMEDIATE</c> transaction, which takes SQLite's write
/// lock first: processes starting at once on one file migrate once, and a failed script leaves nothing behind.
/// </summary>
internal static class SqliteMigrator
{
    public static async Task<IReadOnlyList<int>> MigrateAsync(SqliteConnection connection, IReadOnlyList<StorageMigration> migrations,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var applied = new List<int>();
        using var transaction = connection.BeginTransaction(deferred: false);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS hooks_schema_version (
                version INTEGER NOT NULL PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at TEXT NOT NULL
            );
            """, cancellationToken).ConfigureAwait(false);

        var done = new HashSet<int>();
        using (var read = connection.CreateCommand())
        {
            read.Transaction = transaction;
            read.CommandText = "SELECT version FROM hooks_schema_version";
            using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO hooks_schema_version (version, name, applied_at) VALUES ($version, $name, $at)";
            record.Parameters.AddWithValue("$version", migration.Version);
            record.Parameters.AddWithValue("$name", migration.Name);
            record.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return applied;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
