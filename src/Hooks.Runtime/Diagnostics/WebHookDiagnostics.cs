using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hooks.Diagnostics;

/// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>Hooks</c>, and their instruments.</summary>
public static class WebHookDiagnostics
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "Hooks";

    /// <summary>Spans for publishing, for each delivery attempt and for each request a receiver handles.</summary>
    public static readonly ActivitySource ActivitySource = new(Name, Version);

    /// <summary>
    /// Counters and histograms of the producer and the receivers. The producer's backlog gauge is on the app's own
    /// meter of the same name (see docs/telemetry.md); a listener that subscribes by name gets both.
    /// </summary>
    public static readonly Meter Meter = new(Name, Version);

    internal static readonly Counter<long> MessagesPublished =
        Meter.CreateCounter<long>("hooks.messages.published", "{message}", "Messages stored by PublishAsync.");

    internal static readonly Counter<long> DeliveriesCreated =
        Meter.CreateCounter<long>("hooks.deliveries.created", "{delivery}", "Deliveries created by PublishAsync.");

    internal static readonly Counter<long> Attempts =
        Meter.CreateCounter<long>("hooks.delivery.attempts", "{attempt}", "Delivery attempts, tagged by outcome.");

    internal static readonly Histogram<double> AttemptDuration =
        Meter.CreateHistogram<double>("hooks.delivery.attempt.duration", "s", "Duration of one delivery attempt.");

    internal static readonly Histogram<double> DeliveryLatency =
        Meter.CreateHistogram<double>("hooks.delivery.latency", "s", "Time from publish to successful delivery.");

    internal static readonly Counter<long> ReceiverRequests =
        Meter.CreateCounter<long>("hooks.receiver.requests", "{request}",
            "Requests answered by webhook receivers, tagged by receiver and status code.");

    /// <summary>
    /// The name of the due-backlog gauge. Only a running dispatcher has one: it is created on the app's own
    /// <c>Hooks</c> meter (from <see cref="IMeterFactory"/>) when the dispatcher is, and goes with the app, so an app
    /// that only receives exports no backlog at all rather than a constant zero.
    /// </summary>
    internal const string BacklogGaugeName = "hooks.delivery.backlog";

    /// <summary>The version of the source and the meters.</summary>
    internal const string Version = "0.1.0";
}
