using Npgsql;

namespace Hooks.Storage.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use: the one <c>HOOKS_POSTGRES</c> names (.ci/run starts one and sets it). Without
/// the variable, PostgreSQL tests are skipped with this reason; with it, a server that does not answer fails them.
/// </summary>
public static class PostgresServer
{
    public const string Variable = "HOOKS_POSTGRES";

    public const string SkipReason =
        "PostgreSQL tests need a server: set HOOKS_POSTGRES to an Npgsql connection string of a user allowed to create " +
        "databases (bash .ci/run starts a throwaway server and sets it).";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>A new, empty database of its own for one test; skips the test when no server is configured.</summary>
    public static async Task<TestDatabase> CreateDatabaseAsync()
    {
        Skip.If(ConnectionString is null, SkipReason);
        var name = "hooks_t_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
        return new TestDatabase(name, connectionString);
    }
}

/// <summary>A throwaway database, dropped on dispose.</summary>
public sealed class TestDatabase(string name, string connectionString) : IAsyncDisposable
{
    public string Name { get; } = name;

    public string ConnectionString { get; } = connectionString;

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(PostgresServer.ConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
