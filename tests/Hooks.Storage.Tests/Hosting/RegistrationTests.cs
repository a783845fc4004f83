using Hooks.Delivery;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Storage.Postgres;
using Hooks.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Storage.Tests.Hosting;

/// <summary>One call picks the storage, whichever order it is called in (resolving connects to nothing).</summary>
public sealed class RegistrationTests
{
    [Fact]
    public async Task UseSqlite_replaces_the_in_memory_idempotency_store_before_or_after_AddReceiver()
    {
        await using var before = Build(s => s.AddWebHooks().UseSqlite("Data Source=before.db").AddReceiver(o => o.Secrets.Add(WebHookSecret.Generate().Reveal())));
        await using var after = Build(s => s.AddWebHooks().AddReceiver(o => o.Secrets.Add(WebHookSecret.Generate().Reveal())).UseSqlite("Data Source=after.db"));

        Assert.IsType<SqliteWebHookIdempotencyStore>(before.GetRequiredService<IWebHookIdempotencyStore>());
        Assert.IsType<SqliteWebHookIdempotencyStore>(after.GetRequiredService<IWebHookIdempotencyStore>());
        Assert.NotNull(after.GetRequiredService<WebHookSecretProtector>());
    }

    [Fact]
    public async Task UsePostgres_replaces_the_idempotency_store_and_the_in_process_notifier_in_either_order()
    {
        const string ConnectionString = "Host=127.0.0.1;Username=nobody;Database=nothing";
        await using var before = Build(s => s.AddWebHooks().UsePostgres(ConnectionString).AddProducer().AddReceiver(o => o.Secrets.Add(WebHookSecret.Generate().Reveal())));
        await using var after = Build(s => s.AddWebHooks().AddProducer().AddReceiver(o => o.Secrets.Add(WebHookSecret.Generate().Reveal())).UsePostgres(ConnectionString));
        await using var inMemory = Build(s => s.AddWebHooks().AddProducer());

        foreach (var services in new[] { before, after })
        {
            Assert.IsType<PostgresWebHookIdempotencyStore>(services.GetRequiredService<IWebHookIdempotencyStore>());
            Assert.IsType<PostgresWebHookNotifier>(services.GetRequiredService<IWebHookNotifier>());
        }
        Assert.Equal("InProcessWebHookNotifier", inMemory.GetRequiredService<IWebHookNotifier>().GetType().Name);
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services);
        return services.BuildServiceProvider();
    }
}
