using Hooks.Storage;
using Microsoft.Extensions.Logging;

namespace Hooks.Diagnostics;

/// <summary>Source-generated logs; they carry ids, types and outcomes, never secrets or payloads.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Published {MessageId} ({EventType}) to {Deliveries} subscriptions.")]
    public static partial void Published(ILogger logger, string messageId, string eventType, int deliveries);

    [LoggerMessage(2, LogLevel.Debug, "Delivered {MessageId} to {SubscriptionId} on attempt {Attempt} ({StatusCode}).")]
    public static partial void Delivered(ILogger logger, string messageId, string subscriptionId, int attempt, int? statusCode);

    // Debug: a failing endpoint fails every attempt; its subscription says so once (SubscriptionFailing), and every
    // attempt is in the attempt list and on the hooks.delivery.attempts counter.
    [LoggerMessage(3, LogLevel.Debug, "Attempt {Attempt} of {MessageId} to {SubscriptionId} failed: {Outcome} {StatusCode} {Error}; next at {NextAttemptAt}.")]
    public static partial void AttemptFailed(ILogger logger, int attempt, string messageId, string subscriptionId, WebHookAttemptOutcome outcome, int? statusCode, string? error, DateTimeOffset? nextAttemptAt);

    [LoggerMessage(4, LogLevel.Warning, "Delivery of {MessageId} to {SubscriptionId} exhausted after {Attempts} attempts.")]
    public static partial void Exhausted(ILogger logger, string messageId, string subscriptionId, int attempts);

    // Its owner was told once that the subscription is failing; one Warning per message would repeat that for days.
    [LoggerMessage(13, LogLevel.Debug, "Delivery of {MessageId} to {SubscriptionId} exhausted after {Attempts} attempts while the subscription is failing.")]
    public static partial void ExhaustedWhileFailing(ILogger logger, string messageId, string subscriptionId, int attempts);

    [LoggerMessage(5, LogLevel.Warning, "Subscription {SubscriptionId} disabled: {Reason}")]
    public static partial void SubscriptionDisabled(ILogger logger, string subscriptionId, string reason);

    [LoggerMessage(6, LogLevel.Error, "The dispatcher failed to process delivery {DeliveryId}.")]
    public static partial void DeliveryCrashed(ILogger logger, long deliveryId, Exception exception);

    [LoggerMessage(7, LogLevel.Error, "The dispatcher loop failed; retrying.")]
    public static partial void LoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Refused to connect to {Host}: every resolved address is restricted.")]
    public static partial void AddressRefused(ILogger logger, string host);

    [LoggerMessage(10, LogLevel.Error, "Recording {Count} delivery attempts failed; their leases will expire and they will be attempted again.")]
    public static partial void RecordFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "Subscription {SubscriptionId} started failing: attempt {Attempt} of {MessageId} ended {Outcome} ({Detail}). Further failed attempts are logged at Debug until it recovers.")]
    public static partial void SubscriptionFailing(ILogger logger, string subscriptionId, int attempt, string messageId, string outcome, string detail);

    [LoggerMessage(12, LogLevel.Information, "Subscription {SubscriptionId} recovered: {MessageId} was delivered after failing since {FailingSince:O}.")]
    public static partial void SubscriptionRecovered(ILogger logger, string subscriptionId, string messageId, DateTimeOffset? failingSince);

    [LoggerMessage(9, LogLevel.Information, "Subscription {SubscriptionId} intent verification: {Result}.")]
    public static partial void IntentVerification(ILogger logger, string subscriptionId, string result);

    [LoggerMessage(14, LogLevel.Information, "Purged {Count} finished messages published before {Before:O}.")]
    public static partial void Purged(ILogger logger, long count, DateTimeOffset before);

    [LoggerMessage(15, LogLevel.Error, "Purging finished messages failed; it is tried again at the next interval.")]
    public static partial void PurgeFailed(ILogger logger, Exception exception);
}
