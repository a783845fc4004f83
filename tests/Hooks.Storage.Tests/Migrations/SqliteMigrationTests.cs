using Hooks.Storage.Sqlite;
using Hooks.Storage.Sqlite.Migrations;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Tests.Migrations;

public sealed class SqliteMigrationTests : IDisposable
{
    private readonly SqliteFile _file = new();

    public void Dispose() => _file.Dispose();

    [Fact]
    public async Task A_new_database_gets_every_embedded_script_in_version_order_and_WAL()
    {
        await using (var database = new SqliteDatabase(_file.ConnectionString, TimeProvider.System))
        {
            await database.EnsureReadyAsync(default);
        }

        Assert.NotEmpty(StorageMigration.Embedded);
        Assert.Equal(StorageMigration.Embedded.Select(m => (object)(long)m.Version), await QueryAsync("SELECT version FROM hooks_schema_version ORDER BY version"));
        Assert.Equal<object>(["wal"], await QueryAsync("PRAGMA journal_mode"));
        Assert.Equal<object>(["hooks_consumer_idempotency"], await QueryAsync("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'hooks_consumer_idempotency'"));
    }

    [Fact]
    public async Task A_migrated_database_is_left_as_it_is_on_the_next_start()
    {
        var time = TimeProvider.System;
        await using (var first = new SqliteDatabase(_file.ConnectionString, time))
        {
            await first.EnsureReadyAsync(default);
        }
        await using var connection = await OpenAsync();

        var applied = await SqliteMigrator.MigrateAsync(connection, StorageMigration.Embedded, time, default);

        Assert.Empty(applied);
    }

    [Fact]
    public async Task A_new_script_is_applied_alone_to_a_database_at_the_previous_version()
    {
        await using var connection = await OpenAsync();
        var v1 = new StorageMigration(1, "0001_one", "CREATE TABLE one (id INTEGER PRIMARY KEY);");
        var v2 = new StorageMigration(2, "0002_two", "CREATE TABLE two (id INTEGER PRIMARY KEY);");
        await SqliteMigrator.MigrateAsync(connection, [v1], TimeProvider.System, default);

        var applied = await SqliteMigrator.MigrateAsync(connection, [v1, v2], TimeProvider.System, default);

        Assert.Equal([2], applied);
        Assert.Equal<object>([1L, 2L], await QueryAsync("SELECT version FROM hooks_schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_failing_script_leaves_no_trace_and_fails_the_start()
    {
        await using var connection = await OpenAsync();
        var good = new StorageMigration(1, "0001_good", "CREATE TABLE good (id INTEGER PRIMARY KEY);");
        var bad = new StorageMigration(2, "0002_bad", "CREATE TABLE bad (id INTEGER PRIMARY KEY); THIS IS NOT SQL;");

        await Assert.ThrowsAsync<SqliteException>(() => SqliteMigrator.MigrateAsync(connection, [good, bad], TimeProvider.System, default));

        Assert.Empty(await QueryAsync("SELECT name FROM sqlite_master WHERE name IN ('good', 'bad', 'hooks_schema_version')"));
    }

    [Fact]
    public async Task Instances_starting_at_once_on_one_file_migrate_it_once()
    {
        var databases = Enumerable.Range(0, 4).Select(_ => new SqliteDatabase(_file.ConnectionString, TimeProvider.System)).ToArray();
        try
        {
            await Task.WhenAll(databases.Select(d => Task.Run(() => d.EnsureReadyAsync(default))));
        }
        finally
        {
            foreach (var d in databases) await d.DisposeAsync();
        }

        Assert.Equal(StorageMigration.Embedded.Select(m => (object)(long)m.Version), await QueryAsync("SELECT version FROM hooks_schema_version ORDER BY version"));
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(_file.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<List<object>> QueryAsync(string sql)
    {
        await using var connection = await OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = await command.ExecuteReaderAsync();
        var values = new List<object>();
        while (await reader.ReadAsync()) values.Add(reader.GetValue(0));
        return values;
    }
}
