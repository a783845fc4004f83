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

    [LoggerMessage(3, LogLevel.Information, "Attempt {Attempt} of {MessageId} to {SubscriptionId} failed: {Outcome} {StatusCode} {Error}; next at {NextAttemptAt}.")]
    public static partial void AttemptFailed(ILogger logger, int attempt, string messageId, string subscriptionId, WebHookAttemptOutcome outcome, int? statusCode, string? error, DateTimeOffset? nextAttemptAt);

    [LoggerMessage(4, LogLevel.Warning, "Delivery of {MessageId} to {SubscriptionId} exhausted after {Attempts} attempts.")]
    public static partial void Exhausted(ILogger logger, string messageId, string subscriptionId, int attempts);

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

    [LoggerMessage(9, LogLevel.Information, "Subscription {SubscriptionId} intent verification: {Result}.")]
    public static partial void IntentVerification(ILogger logger, string subscriptionId, string result);
}
