using Hooks.Storage.Postgres;
using Hooks.Storage.Postgres.Migrations;
using Hooks.Storage.Tests.Infrastructure;
using Npgsql;

namespace Hooks.Storage.Tests.Migrations;

public sealed class PostgresMigrationTests
{
    [SkippableFact]
    public async Task A_new_database_gets_every_embedded_script_in_version_order()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var dataSource = db.CreateDataSource();

        await new PostgresDatabase(dataSource, ownsDataSource: false).EnsureReadyAsync(default);

        Assert.NotEmpty(StorageMigration.Embedded);
        Assert.Equal(StorageMigration.Embedded.Select(m => m.Version), await VersionsAsync(dataSource));
        Assert.Equal(1L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'hooks_consumer_idempotency'"));
    }

    [SkippableFact]
    public async Task Instances_starting_at_once_migrate_once_under_the_advisory_lock()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        var sources = Enumerable.Range(0, 6).Select(_ => db.CreateDataSource()).ToArray();
        try
        {
            // A script that fails if run twice (CREATE TABLE without IF NOT EXISTS): one error would fail the test.
            var results = await Task.WhenAll(sources.Select(s => Task.Run(() => PostgresMigrator.MigrateAsync(s, StorageMigration.Embedded, default))));

            Assert.Equal(1, results.Count(applied => applied.Count > 0));
            Assert.Equal(StorageMigration.Embedded.Select(m => m.Version), await VersionsAsync(sources[0]));
        }
        finally
        {
            foreach (var s in sources) await s.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task A_new_script_is_applied_alone_to_a_database_at_the_previous_version()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var dataSource = db.CreateDataSource();
        var v1 = new StorageMigration(1, "0001_one", "CREATE TABLE one (id int PRIMARY KEY);");
        var v2 = new StorageMigration(2, "0002_two", "CREATE TABLE two (id int PRIMARY KEY);");
        await PostgresMigrator.MigrateAsync(dataSource, [v1], default);

        var applied = await PostgresMigrator.MigrateAsync(dataSource, [v1, v2], default);

        Assert.Equal([2], applied);
        Assert.Equal([1, 2], await VersionsAsync(dataSource));
    }

    [SkippableFact]
    public async Task A_failing_script_leaves_no_trace()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var dataSource = db.CreateDataSource();
        var good = new StorageMigration(1, "0001_good", "CREATE TABLE good (id int PRIMARY KEY);");
        var bad = new StorageMigration(2, "0002_bad", "CREATE TABLE bad (id int PRIMARY KEY); THIS IS NOT SQL;");

        await Assert.ThrowsAsync<PostgresException>(() => PostgresMigrator.MigrateAsync(dataSource, [good, bad], default));

        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('good', 'bad', 'hooks_schema_version')"));
    }

    private static async Task<List<int>> VersionsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT version FROM hooks_schema_version ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync()) versions.Add(reader.GetInt32(0));
        return versions;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
