namespace Hooks.CatchUp;

/// <summary>
/// One feed a consumer catches up from (<c>AddCatchUp</c>): where the producer's event feed is, the subscription
/// whose events it reads and one of that subscription's secrets, and how often to read it.
/// </summary>
public sealed class WebHookCatchUpOptions
{
    /// <summary>The producer's feed: an absolute http(s) URL without a query, such as <c>https://producer.example/webhooks/feed</c>.</summary>
    public Uri? FeedUrl { get; set; }

    /// <summary>The producer's subscription whose events are read (<c>sub_…</c>).</summary>
    public string? SubscriptionId { get; set; }

    /// <summary>
    /// One of the subscription's active secrets (<c>whsec_…</c>, normally the one the receiver verifies pushes with).
    /// It signs each feed request and is never sent.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>The receiver whose handlers and deduplication the events go through; <c>"default"</c> unless named.</summary>
    public string ReceiverName { get; set; } = Microsoft.Extensions.DependencyInjection.WebHooksReceiverBuilderExtensions.DefaultReceiverName;

    /// <summary>
    /// How long the poller waits after a read that reached the head before it reads again; 5 minutes by default. It
    /// also reads at start-up, and at once when a push's <c>webhook-sequence</c> shows a gap.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Events asked for per page: 1 to 1000, 100 by default.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>
    /// The longest wait between reads while the producer is unreachable or refuses, or a handler keeps failing; the
    /// wait starts at 5 seconds and doubles (±20% jitter) up to this. <see cref="Interval"/> by default (when <c>null</c>).
    /// </summary>
    public TimeSpan? MaxBackoff { get; set; }

    /// <summary>The longest one feed request may take; 30 seconds by default.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the feed may go without being in sync (a read that reached the head with every event settled) before
    /// the <c>hooks-catch-up</c> health check reports it; 15 minutes (three intervals) by default.
    /// </summary>
    public TimeSpan InSyncThreshold { get; set; } = TimeSpan.FromMinutes(15);
}
