using Hooks.Receiving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hooks.CatchUp;

/// <summary>
/// The catch-up poller: one loop per feed. It reads at start-up, then after each <see cref="WebHookCatchUpOptions.Interval"/>,
/// and at once when a push shows a gap; hands each event to <see cref="WebHookMessageProcessor"/>; and advances the
/// durable cursor only past settled events. While the producer is unreachable or refuses, or a handler keeps failing,
/// it backs off (5 s doubling to <see cref="WebHookCatchUpOptions.MaxBackoff"/>, ±20% jitter) and ignores gap
/// wake-ups, so it never hammers the producer.
/// </summary>
internal sealed class WebHookCatchUpService(
    WebHookCatchUpFeeds feeds,
    WebHookMessageProcessor processor,
    IWebHookCursorStore cursors,
    IHttpClientFactory clients,
    TimeProvider time,
    ILogger<WebHookCatchUpService> logger) : BackgroundService
{
    public const string HttpClientName = "Hooks.CatchUp";

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // start-up is not held by the first reads
        await Task.WhenAll(feeds.All.Select(feed => RunAsync(feed, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunAsync(WebHookCatchUpFeed feed, CancellationToken stopping)
    {
        var client = new WebHookFeedClient(clients.CreateClient(HttpClientName), feed.Options.FeedUrl!, feed.SubscriptionId, feed.Secret, time,
            feed.MaxBodyBytes);
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            WebHookCatchUpOutcome outcome;
            try
            {
                outcome = await PollAsync(feed, client, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or WebHookFeedException or OperationCanceledException or IOException)
            {
                feed.LastError = ex is OperationCanceledException ? "The feed request timed out." : ex.Message;
                outcome = WebHookCatchUpOutcome.Failed;
            }
            catch (Exception ex)
            {
                // The cursor store or something unforeseen: logged, and the loop goes on (backing off) rather than dying.
                feed.LastError = ex.GetType().Name;
                CatchUpLog.PollCrashed(logger, ex, feed.ReceiverName, feed.SubscriptionId);
                outcome = WebHookCatchUpOutcome.Failed;
            }

            TimeSpan wait;
            if (outcome == WebHookCatchUpOutcome.InSync)
            {
                failures = 0;
                wait = feed.Options.Interval;
            }
            else
            {
                failures++;
                wait = Backoff(failures, feed.Options.MaxBackoff ?? feed.Options.Interval);
                if (outcome == WebHookCatchUpOutcome.Failed)
                {
                    CatchUpLog.PollFailed(logger, feed.ReceiverName, feed.SubscriptionId, feed.LastError ?? "", wait);
                }
            }
            CatchUpMetrics.Reads.Add(1, new KeyValuePair<string, object?>("webhook.outcome", CatchUpMetrics.OutcomeName(outcome)));
            feed.OnPolled(outcome);
            try
            {
                await feed.WaitAsync(wait, wakeable: failures == 0, time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>5 s doubling per failure up to <paramref name="max"/>, spread ±20% so many consumers do not come back at once.</summary>
    internal static TimeSpan Backoff(int failures, TimeSpan max)
    {
        var exponent = Math.Min(failures - 1, 20);
        var ticks = Math.Min(FirstBackoff.Ticks * (1L << exponent), max.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + (0.4 * Random.Shared.NextDouble()))));
    }

    /// <summary>Reads pages from the stored cursor until the head, or until an event fails transiently.</summary>
    private async Task<WebHookCatchUpOutcome> PollAsync(WebHookCatchUpFeed feed, WebHookFeedClient client, CancellationToken stopping)
    {
        var cursor = await cursors.GetAsync(feed.ReceiverName, feed.SubscriptionId, stopping).ConfigureAwait(false);
        feed.Cursor = cursor;
        while (true)
        {
            WebHookFeedPage page;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                timeout.CancelAfter(feed.Options.RequestTimeout);
                try
                {
                    page = await client.ReadAsync(cursor, feed.Options.PageSize, timeout.Token).ConfigureAwait(false);
                }
                catch (WebHookFeedException ex) when (ex.StatusCode == 410 && cursor is not null)
                {
                    // What followed the cursor was purged by the producer's retention: it cannot be read any more.
                    // Carry on from the oldest event still retained; say loudly that events were lost.
                    feed.CountExpired();
                    CatchUpLog.CursorExpired(logger, feed.ReceiverName, feed.SubscriptionId, cursor.Value);
                    cursor = null;
                    continue;
                }
            }

            var settled = cursor;
            var stalled = false;
            try
            {
                foreach (var item in page.Events)
                {
                    var result = await processor.ProcessAsync(item.ToMessage(feed.ReceiverName), stopping).ConfigureAwait(false);
                    if (result.IsSettled)
                    {
                        settled = item.Sequence;
                        continue;
                    }
                    if (result.Failure is WebHookProcessingFailure.MalformedMessage or WebHookProcessingFailure.PayloadDoesNotFit
                        or WebHookProcessingFailure.UnknownEventType)
                    {
                        // The same bytes fail the same way every time: stopping here would stop the feed for good. It is
                        // logged and counted (the health check shows the count), and the poller moves on.
                        feed.CountPermanentlySkipped();
                        CatchUpMetrics.PassedOver.Add(1);
                        CatchUpLog.PermanentlyFailed(logger, feed.ReceiverName, feed.SubscriptionId, item.Id, item.Sequence,
                            result.Failure.ToString(), result.Detail ?? "");
                        settled = item.Sequence;
                        continue;
                    }
                    feed.LastError = $"Event {item.Id} (sequence {item.Sequence}) failed: {result.Failure}.";
                    CatchUpLog.Stalled(logger, feed.ReceiverName, feed.SubscriptionId, item.Id, item.Sequence, result.Failure.ToString());
                    stalled = true;
                    break;
                }
            }
            finally
            {
                // Also when stopping mid-page: what was settled stays settled.
                if (settled is { } through && through > (cursor ?? -1))
                {
                    cursor = await cursors.AdvanceAsync(feed.ReceiverName, feed.SubscriptionId, through, CancellationToken.None).ConfigureAwait(false);
                    feed.Cursor = cursor;
                }
            }
            feed.Known(page.Next);
            if (stalled)
            {
                return WebHookCatchUpOutcome.Stalled;
            }
            if (page.AtHead)
            {
                feed.LastError = null;
                feed.LastInSync = time.GetUtcNow();
                CatchUpLog.InSync(logger, feed.ReceiverName, feed.SubscriptionId, cursor ?? 0);
                return WebHookCatchUpOutcome.InSync;
            }
            if (page.Events.Count == 0)
            {
                throw new WebHookFeedException(null, "The feed answered an empty page that is not at the head.");
            }
        }
    }
}

/// <summary>The poller's source-generated logs: ids, numbers and outcomes, never secrets or bodies.</summary>
internal static partial class CatchUpLog
{
    [LoggerMessage(410, LogLevel.Debug, "Catch-up of {ReceiverName} from {SubscriptionId} in sync at sequence {Cursor}.")]
    public static partial void InSync(ILogger logger, string receiverName, string subscriptionId, long cursor);

    [LoggerMessage(411, LogLevel.Warning, "Catch-up of {ReceiverName} from {SubscriptionId} failed ({Error}); reading again in {Delay}.")]
    public static partial void PollFailed(ILogger logger, string receiverName, string subscriptionId, string error, TimeSpan delay);

    [LoggerMessage(412, LogLevel.Warning, "Catch-up of {ReceiverName} from {SubscriptionId} stopped at {MessageId} (sequence {Sequence}): {Failure}; it is read again after a back-off.")]
    public static partial void Stalled(ILogger logger, string receiverName, string subscriptionId, string messageId, long sequence, string failure);

    [LoggerMessage(413, LogLevel.Error, "Catch-up of {ReceiverName} from {SubscriptionId} passed over {MessageId} (sequence {Sequence}), which can never be processed: {Failure}. {Detail}")]
    public static partial void PermanentlyFailed(ILogger logger, string receiverName, string subscriptionId, string messageId, long sequence, string failure, string detail);

    [LoggerMessage(414, LogLevel.Error, "Catch-up of {ReceiverName} from {SubscriptionId}: the events after sequence {Cursor} are past the producer's retention and were lost; reading on from the oldest event it retains.")]
    public static partial void CursorExpired(ILogger logger, string receiverName, string subscriptionId, long cursor);

    [LoggerMessage(415, LogLevel.Error, "Catch-up of {ReceiverName} from {SubscriptionId} failed unexpectedly; reading again after a back-off.")]
    public static partial void PollCrashed(ILogger logger, Exception exception, string receiverName, string subscriptionId);
}
