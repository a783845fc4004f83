using Hooks.CatchUp;
using Hooks.Security;
using Hooks.Storage.Postgres;
using Hooks.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.Cursors;

/// <summary>UseSqlite/UsePostgres make the catch-up cursors durable, whichever side of AddReceiver they are called on.</summary>
public sealed class CursorStoreRegistrationTests
{
    [Fact]
    public async Task The_durable_stores_replace_the_in_memory_cursor_store_in_either_order()
    {
        const string Postgres = "Host=127.0.0.1;Username=nobody;Database=nothing";
        var secret = WebHookSecret.Generate().Reveal();
        await using var sqliteBefore = Build(s => s.AddWebHooks().UseSqlite("Data Source=cursors-before.db").AddReceiver(o => o.Secrets.Add(secret)));
        await using var sqliteAfter = Build(s => s.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret)).UseSqlite("Data Source=cursors-after.db"));
        await using var postgresBefore = Build(s => s.AddWebHooks().UsePostgres(Postgres).AddReceiver(o => o.Secrets.Add(secret)));
        await using var postgresAfter = Build(s => s.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret)).UsePostgres(Postgres));
        await using var inMemory = Build(s => s.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret)));

        Assert.IsType<SqliteWebHookCursorStore>(sqliteBefore.GetRequiredService<IWebHookCursorStore>());
        Assert.IsType<SqliteWebHookCursorStore>(sqliteAfter.GetRequiredService<IWebHookCursorStore>());
        Assert.IsType<PostgresWebHookCursorStore>(postgresBefore.GetRequiredService<IWebHookCursorStore>());
        Assert.IsType<PostgresWebHookCursorStore>(postgresAfter.GetRequiredService<IWebHookCursorStore>());
        Assert.Equal("InMemoryWebHookCursorStore", inMemory.GetRequiredService<IWebHookCursorStore>().GetType().Name);
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services);
        return services.BuildServiceProvider();
    }
}
