using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hooks.Storage;

/// <summary>
/// Says at start, once, when a host in the Production environment keeps its producer's messages in memory: the
/// default suits tests and demos, and a restart there loses every message not delivered yet.
/// </summary>
internal sealed partial class InMemoryStoreProductionWarning(IServiceProvider services, ILogger<InMemoryStoreProductionWarning> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Optional: a bare service provider (no host) has no environment, and then nothing to say.
        if (services.GetService<IHostEnvironment>() is { } environment && environment.IsProduction() &&
            services.GetRequiredService<IWebHookStore>() is InMemoryWebHookStore)
        {
            Log.InMemoryInProduction(logger);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, EventName = "InMemoryStoreInProduction",
            Message = "The webhook producer keeps its messages in memory (InMemoryWebHookStore) in the Production environment: a restart loses every message not delivered yet.")]
        public static partial void InMemoryInProduction(ILogger logger);
    }
}
