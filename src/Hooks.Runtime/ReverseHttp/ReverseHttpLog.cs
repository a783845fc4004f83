using Microsoft.Extensions.Logging;

namespace Hooks.ReverseHttp;

/// <summary>Reverse HTTP's source-generated logs: ids and outcomes, never secrets or signatures.</summary>
internal static partial class ReverseHttpLog
{
    [LoggerMessage(301, LogLevel.Information, "Reversed connection {ConnectionId} of {SubscriptionId} opened ({Protocol}).")]
    public static partial void Opened(ILogger logger, string subscriptionId, string connectionId, string protocol);

    [LoggerMessage(302, LogLevel.Debug, "Reversed connection {ConnectionId} of {SubscriptionId} closed.")]
    public static partial void Closed(ILogger logger, string subscriptionId, string connectionId);

    [LoggerMessage(303, LogLevel.Information, "Reversed connection refused with {StatusCode}: {Reason}")]
    public static partial void Refused(ILogger logger, int statusCode, string reason);

    [LoggerMessage(304, LogLevel.Warning, "Reversed connection {ConnectionId} of {SubscriptionId} did not answer a ping; closed.")]
    public static partial void PingFailed(ILogger logger, string subscriptionId, string connectionId);

    [LoggerMessage(310, LogLevel.Information, "Reverse HTTP connection to {Producer} open.")]
    public static partial void Dialled(ILogger logger, Uri producer);

    [LoggerMessage(311, LogLevel.Warning, "Reverse HTTP: {Producer} refused the connection with {StatusCode}; retrying in {Delay}.")]
    public static partial void DialRefused(ILogger logger, Uri producer, int statusCode, TimeSpan delay);

    [LoggerMessage(312, LogLevel.Warning, "Reverse HTTP: connecting to {Producer} failed ({Error}); retrying in {Delay}.")]
    public static partial void DialFailed(ILogger logger, Uri producer, string error, TimeSpan delay);

    [LoggerMessage(313, LogLevel.Warning, "Reverse HTTP: nothing arrived from {Producer} for {Timeout}; the connection is taken for dead and closed.")]
    public static partial void Silent(ILogger logger, Uri producer, TimeSpan timeout);
}
