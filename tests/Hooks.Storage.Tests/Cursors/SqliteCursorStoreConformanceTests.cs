using Hooks.CatchUp;
using Hooks.Storage.Sqlite;
using Hooks.Storage.Tests.Infrastructure;

namespace Hooks.Storage.Tests.Cursors;

public sealed class SqliteCursorStoreConformanceTests : CursorStoreConformance
{
    private readonly SqliteFile _file = new();
    private readonly List<SqliteDatabase> _databases = [];

    protected override Task<IWebHookCursorStore> CreateStoreAsync() => OpenSecondStoreAsync();

    // Each instance has its own writer connection: two instances contend on the file as two processes would.
    protected override async Task<IWebHookCursorStore> OpenSecondStoreAsync()
    {
        var database = new SqliteDatabase(_file.ConnectionString, TimeProvider.System);
        _databases.Add(database);
        await database.EnsureReadyAsync(default);
        return new SqliteWebHookCursorStore(database);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _databases) await database.DisposeAsync();
        _file.Dispose();
    }
}
