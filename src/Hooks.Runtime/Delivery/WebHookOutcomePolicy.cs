using Hooks.Storage;

namespace Hooks.Delivery;

/// <summary>What happens to a delivery after an attempt: the decision alone, no I/O, no clock of its own.</summary>
/// <param name="Status">Pending (retry at <paramref name="NextAttemptAt"/>), Succeeded or Failed.</param>
/// <param name="NextAttemptAt">When the retry is due; meaningful only while <paramref name="Status"/> is Pending.</param>
/// <param name="DisableSubscriptionReason">Set when the attempt disables the subscription.</param>
/// <param name="Exhausted">The attempt failed and the schedule has no retry left.</param>
internal readonly record struct WebHookNextStep(
    WebHookDeliveryStatus Status,
    DateTimeOffset NextAttemptAt,
    string? DisableSubscriptionReason,
    bool Exhausted);

/// <summary>
/// The delivery outcome policy: 2xx succeeds; 410 fails the delivery and disables the subscription; every other
/// failure (3xx, 4xx, 5xx, timeout, connection error, refused address) retries on the schedule, a back-off status
/// (429/502/503/504) after its <c>Retry-After</c> when it sent one (capped), until the schedule is exhausted; and a
/// subscription failing for longer than the configured window is disabled. Every delivery path (direct HTTP, a
/// reversed connection) decides through this one function.
/// </summary>
internal sealed class WebHookOutcomePolicy(WebHookRetrySchedule schedule, TimeSpan maxRetryAfter, TimeSpan disableAfterFailingFor)
{
    /// <summary>The reason recorded when a 410 disables a subscription.</summary>
    internal const string GoneReason = "The endpoint answered 410 Gone.";

    /// <summary>Decides the next step after attempt <paramref name="attemptNumber"/> (1-based) ended in <paramref name="outcome"/>.</summary>
    /// <param name="outcome">How the attempt ended.</param>
    /// <param name="retryAfter">The response's <c>Retry-After</c>, if any (honoured for back-off statuses only).</param>
    /// <param name="attemptNumber">The attempt's number, 1 for the first.</param>
    /// <param name="startedAt">When the attempt started.</param>
    /// <param name="failingSince">Since when the subscription has failed without a success, or <c>null</c> when it is healthy.</param>
    public WebHookNextStep Decide(WebHookAttemptOutcome outcome, TimeSpan? retryAfter, int attemptNumber, DateTimeOffset startedAt,
        DateTimeOffset? failingSince)
    {
        switch (outcome)
        {
            case WebHookAttemptOutcome.Succeeded:
                return new(WebHookDeliveryStatus.Succeeded, default, null, Exhausted: false);
            case WebHookAttemptOutcome.Gone:
                return new(WebHookDeliveryStatus.Failed, default, GoneReason, Exhausted: false);
        }

        var delay = schedule.DelayAfter(attemptNumber);
        if (outcome == WebHookAttemptOutcome.BackOff && retryAfter is { } asked && delay is not null)
        {
            delay = asked > maxRetryAfter ? maxRetryAfter : asked;
        }
        var since = failingSince ?? startedAt;
        var disable = startedAt - since >= disableAfterFailingFor ? $"Failing without a success since {since:O}." : null;
        return delay is { } d
            ? new(WebHookDeliveryStatus.Pending, startedAt + d, disable, Exhausted: false)
            : new(WebHookDeliveryStatus.Failed, default, disable, Exhausted: true);
    }

    /// <summary>Decides the next step after an HTTP response with <paramref name="statusCode"/>.</summary>
    public WebHookNextStep DecideForResponse(int statusCode, TimeSpan? retryAfter, int attemptNumber, DateTimeOffset startedAt,
        DateTimeOffset? failingSince) =>
        Decide(WebHookSender.Classify(statusCode), retryAfter, attemptNumber, startedAt, failingSince);
}
