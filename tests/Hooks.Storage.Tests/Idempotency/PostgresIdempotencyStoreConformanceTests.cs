using Hooks.Receiving;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;

namespace Hooks.Storage.Tests.Idempotency;

public sealed class PostgresIdempotencyStoreConformanceTests : IdempotencyStoreConformance
{
    private readonly List<PostgresDatabase> _databases = [];
    private TestDatabase? _db;

    protected override async Task<IWebHookIdempotencyStore> CreateStoreAsync()
    {
        _db = await PostgresServer.CreateDatabaseAsync();
        return await OpenSecondStoreAsync();
    }

    // Each instance has its own data source (its own pool), as a second process would.
    protected override async Task<IWebHookIdempotencyStore> OpenSecondStoreAsync()
    {
        var database = new PostgresDatabase(_db!.CreateDataSource(), ownsDataSource: true);
        _databases.Add(database);
        await database.EnsureReadyAsync(default);
        return new PostgresWebHookIdempotencyStore(database, Clock);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _databases) await database.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
