using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Hooks.Diagnostics;

/// <summary>The <see cref="ActivitySource"/> and <see cref="Meter"/> named <c>Hooks</c>, and their instruments.</summary>
public static class WebHookDiagnostics
{
    /// <summary>The name of the activity source and the meter.</summary>
    public const string Name = "Hooks";

    /// <summary>Spans for publishing and for each delivery attempt.</summary>
    public static readonly ActivitySource ActivitySource = new(Name, "0.1.0");

    /// <summary>Counters and histograms of the producer and the receivers.</summary>
    public static readonly Meter Meter = new(Name, "0.1.0");

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

    private static Func<long>? s_backlog;

    static WebHookDiagnostics()
    {
        Meter.CreateObservableGauge("hooks.delivery.backlog", () => s_backlog?.Invoke() ?? 0, "{delivery}",
            "Pending deliveries that are due, as last counted by the dispatcher.");
    }

    internal static void SetBacklogSource(Func<long> source) => s_backlog = source;
}
