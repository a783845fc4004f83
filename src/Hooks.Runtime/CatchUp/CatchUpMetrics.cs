using System.Diagnostics.Metrics;
using Hooks.Diagnostics;

namespace Hooks.CatchUp;

/// <summary>The feed's and the poller's instruments, on the <c>Hooks</c> meter (docs/telemetry.md).</summary>
internal static class CatchUpMetrics
{
    public static readonly Counter<long> FeedRequests = WebHookDiagnostics.Meter.CreateCounter<long>("hooks.feed.requests", "{request}",
        "Event feed requests answered by the producer, tagged by status code.");

    public static readonly Counter<long> Reads = WebHookDiagnostics.Meter.CreateCounter<long>("hooks.catchup.reads", "{read}",
        "Catch-up reads of a feed by the consumer (each to the head or to where it stopped), tagged by outcome: in_sync, stalled, failed.");

    public static readonly Counter<long> PassedOver = WebHookDiagnostics.Meter.CreateCounter<long>("hooks.catchup.passed_over", "{event}",
        "Feed events the consumer passed over because they can never be processed (malformed, not fitting, unknown type).");

    public static string OutcomeName(WebHookCatchUpOutcome outcome) => outcome switch
    {
        WebHookCatchUpOutcome.InSync => "in_sync",
        WebHookCatchUpOutcome.Stalled => "stalled",
        _ => "failed",
    };
}
