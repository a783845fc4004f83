using Hooks.Receiving;
using Hooks.Storage.Sqlite;
using Hooks.Storage.Tests.Infrastructure;

namespace Hooks.Storage.Tests.Idempotency;

public sealed class SqliteIdempotencyStoreConformanceTests : IdempotencyStoreConformance
{
    private readonly SqliteFile _file = new();
    private readonly List<SqliteDatabase> _databases = [];

    protected override Task<IWebHookIdempotencyStore> CreateStoreAsync() => OpenSecondStoreAsync();

    // Each instance has its own writer connection: two instances contend on the file as two processes would.
    protected override async Task<IWebHookIdempotencyStore> OpenSecondStoreAsync()
    {
        var database = new SqliteDatabase(_file.ConnectionString, Clock);
        _databases.Add(database);
        await database.EnsureReadyAsync(default);
        return new SqliteWebHookIdempotencyStore(database, Clock);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _databases) await database.DisposeAsync();
        _file.Dispose();
    }
}
