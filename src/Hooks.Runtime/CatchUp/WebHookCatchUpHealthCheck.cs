using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hooks.CatchUp;

/// <summary>
/// The <c>hooks-catch-up</c> health check: healthy while every feed was in sync (a read reached the head with every
/// event settled) within its <see cref="WebHookCatchUpOptions.InSyncThreshold"/>; otherwise the registration's
/// failure status (Unhealthy unless the app chose another), naming the feeds behind and their last error.
/// </summary>
internal sealed class WebHookCatchUpHealthCheck(WebHookCatchUpFeeds feeds, TimeProvider time) : IHealthCheck
{
    public const string Name = "hooks-catch-up";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var behind = new List<string>();
        foreach (var feed in feeds.All)
        {
            var key = feed.ReceiverName + "/" + feed.SubscriptionId;
            var since = feed.LastInSync ?? feed.StartedAt;
            var late = now - since > feed.Options.InSyncThreshold;
            data[key] = string.Create(CultureInfo.InvariantCulture,
                $"{(late ? "behind" : "in sync")}; last in sync: {(feed.LastInSync is { } t ? t.ToString("O", CultureInfo.InvariantCulture) : "never")}; cursor: {(feed.Cursor is { } c ? c.ToString(CultureInfo.InvariantCulture) : "none")}; passed over: {feed.PermanentlySkipped}; expired: {feed.Expired}{(feed.LastError is { } e ? "; last error: " + e : "")}");
            if (late)
            {
                behind.Add(key);
            }
        }
        if (behind.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{feeds.All.Count} catch-up feed(s) in sync.", data));
        }
        return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus,
            $"Not in sync with the producer for longer than the threshold: {string.Join(", ", behind)}.", data: data));
    }
}
