using Hooks.Security;
using Hooks.Storage.Sqlite;
using Hooks.Storage.Sqlite.Producer;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;

namespace Hooks.Storage.Tests.Producer;

/// <summary>The conformance suite on SQLite: a fresh file per test; the second store is another instance on the file.</summary>
public sealed class SqliteWebHookStoreConformanceTests : WebHookStoreConformance
{
    private readonly SqliteFile _file = new();
    private readonly List<IAsyncDisposable> _open = [];
    // One key ring for both instances, as processes sharing a store must share theirs.
    private readonly WebHookSecretProtector _protector = new(new EphemeralDataProtectionProvider());

    protected override Task<IWebHookStore> CreateStoreAsync() => Task.FromResult<IWebHookStore>(Open());

    protected override Task<IWebHookStore> OpenSecondStoreAsync() => Task.FromResult<IWebHookStore>(Open());

    private SqliteWebHookStore Open()
    {
        var database = new SqliteDatabase(_file.ConnectionString, TimeProvider.System);
        _open.Add(database);
        return new SqliteWebHookStore(database, _protector);
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _open)
        {
            await database.DisposeAsync();
        }
        _file.Dispose();
    }
}
