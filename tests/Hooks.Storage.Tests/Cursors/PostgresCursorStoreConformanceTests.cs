using Hooks.CatchUp;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;

namespace Hooks.Storage.Tests.Cursors;

public sealed class PostgresCursorStoreConformanceTests : CursorStoreConformance
{
    private readonly List<PostgresDatabase> _databases = [];
    private TestDatabase? _db;

    protected override async Task<IWebHookCursorStore> CreateStoreAsync()
    {
        _db = await PostgresServer.CreateDatabaseAsync();
        return await OpenSecondStoreAsync();
    }

    // Each instance has its own data source (its own pool), as a second process would.
    protected override async Task<IWebHookCursorStore> OpenSecondStoreAsync()
    {
        var database = new PostgresDatabase(_db!.CreateDataSource(), ownsDataSource: true);
        _databases.Add(database);
        await database.EnsureReadyAsync(default);
        return new PostgresWebHookCursorStore(database);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _databases) await database.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }
}
