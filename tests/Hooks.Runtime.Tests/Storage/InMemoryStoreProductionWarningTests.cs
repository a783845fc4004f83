using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Tests.Storage;

/// <summary>A producer host on the in-memory store says so at start, in Production only.</summary>
public sealed class InMemoryStoreProductionWarningTests
{
    private const string Warning = "keeps its messages in memory";

    [Fact]
    public async Task A_production_host_on_the_in_memory_store_warns_once_at_start()
    {
        var logs = await StartAndStopAsync("Production", _ => { });

        var line = Assert.Single(logs, l => l.Contains(Warning, StringComparison.Ordinal));
        Assert.StartsWith("Warning", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_development_host_on_the_in_memory_store_does_not_warn()
    {
        var logs = await StartAndStopAsync("Development", _ => { });

        Assert.DoesNotContain(logs, l => l.Contains(Warning, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_production_host_on_another_store_does_not_warn()
    {
        var logs = await StartAndStopAsync("Production", s => s.AddSingleton<IWebHookStore>(new RecordingStore()));

        Assert.DoesNotContain(logs, l => l.Contains(Warning, StringComparison.Ordinal));
    }

    private static async Task<string[]> StartAndStopAsync(string environment, Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        services(builder.Services);
        builder.Services.AddWebHooks().AddProducer();
        await using var app = builder.Build();
        await app.StartAsync();
        await app.StopAsync();
        return [.. logs.Lines];
    }
}
