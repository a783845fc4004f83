using Hooks.Security;
using Hooks.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.Hosting;

/// <summary>UsePostgres stores the producer's outbox too, whichever order it and AddProducer are called in.</summary>
public sealed class PostgresRegistrationTests
{
    [Fact]
    public async Task UsePostgres_replaces_the_in_memory_producer_store_before_or_after_AddProducer()
    {
        const string ConnectionString = "Host=127.0.0.1;Username=nobody;Database=nothing";
        await using var before = Build(s => s.AddWebHooks().UsePostgres(ConnectionString).AddProducer());
        await using var after = Build(s => s.AddWebHooks().AddProducer().UsePostgres(ConnectionString));
        await using var inMemory = Build(s => s.AddWebHooks().AddProducer());

        Assert.IsType<PostgresWebHookStore>(before.GetRequiredService<IWebHookStore>());
        Assert.IsType<PostgresWebHookStore>(after.GetRequiredService<IWebHookStore>());
        Assert.IsType<InMemoryWebHookStore>(inMemory.GetRequiredService<IWebHookStore>());
        Assert.NotNull(after.GetRequiredService<WebHookSecretProtector>());
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services);
        return services.BuildServiceProvider();
    }
}
