using Hooks.Diagnostics;
using Hooks.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Storage;

/// <summary>
/// Deletes finished history older than <see cref="WebHookProducerOptions.Retention"/> every
/// <see cref="WebHookProducerOptions.PurgeInterval"/> (<see cref="IWebHookStore.PurgeAsync"/>), in batches, so one
/// purge never holds the store for long.
/// </summary>
internal sealed class WebHookRetentionService(IWebHookStore store, TimeProvider time, IOptions<WebHookProducerOptions> options,
    ILogger<WebHookRetentionService> logger) : BackgroundService
{
    internal const int BatchSize = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(settings.PurgeInterval, time, stoppingToken).ConfigureAwait(false);
                try
                {
                    await PurgeAsync(time.GetUtcNow() - settings.Retention, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    Log.PurgeFailed(logger, ex); // tried again at the next interval
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Purges everything finished before <paramref name="before"/>, batch after batch; returns how many messages.</summary>
    internal async Task<long> PurgeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        long total = 0;
        int purged;
        do
        {
            purged = await store.PurgeAsync(before, BatchSize, cancellationToken).ConfigureAwait(false);
            total += purged;
        }
        while (purged == BatchSize);
        if (total > 0)
        {
            Log.Purged(logger, total, before);
        }
        return total;
    }
}
