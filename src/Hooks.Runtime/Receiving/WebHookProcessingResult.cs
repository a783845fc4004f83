namespace Hooks.Receiving;

/// <summary>What <see cref="WebHookMessageProcessor.ProcessAsync"/> did with a message.</summary>
public readonly struct WebHookProcessingResult
{
    private WebHookProcessingResult(WebHookProcessingStatus status, WebHookProcessingFailure failure, string? detail, Exception? exception)
    {
        Status = status;
        Failure = failure;
        Detail = detail;
        Exception = exception;
    }

    /// <summary>Handled, a duplicate, ignored, or failed.</summary>
    public WebHookProcessingStatus Status { get; }

    /// <summary>Why it failed; <see cref="WebHookProcessingFailure.None"/> unless <see cref="Status"/> is <see cref="WebHookProcessingStatus.Failed"/>.</summary>
    public WebHookProcessingFailure Failure { get; }

    /// <summary>
    /// Why, in words safe to log: what did not fit names members and positions, never values from the message. <c>null</c>
    /// unless it failed.
    /// </summary>
    public string? Detail { get; }

    /// <summary>What the handler threw, for <see cref="WebHookProcessingFailure.HandlerFailed"/>.</summary>
    public Exception? Exception { get; }

    /// <summary>
    /// Whether the message is settled: handled now or before, or of a type this app ignores. A source that reads in
    /// order (the catch-up cursor) may move past a settled message, and must not move past one that is not.
    /// </summary>
    public bool IsSettled => Status != WebHookProcessingStatus.Failed;

    internal static WebHookProcessingResult Of(WebHookProcessingStatus status) => new(status, WebHookProcessingFailure.None, null, null);

    internal static WebHookProcessingResult Failed(WebHookProcessingFailure failure, string detail, Exception? exception = null) =>
        new(WebHookProcessingStatus.Failed, failure, detail, exception);

    /// <inheritdoc />
    public override string ToString() => Status == WebHookProcessingStatus.Failed ? $"{Status} ({Failure}): {Detail}" : Status.ToString();
}

/// <summary>The outcome of processing one message.</summary>
public enum WebHookProcessingStatus
{
    /// <summary>Its handler ran to completion; the id is marked handled.</summary>
    Handled,

    /// <summary>The id was handled before (by a push or an earlier call); no handler ran.</summary>
    Duplicate,

    /// <summary>
    /// No handler knows its event type and the receiver acknowledges such types
    /// (<see cref="Hosting.WebHookUnknownEventTypeBehavior.Acknowledge"/>); no handler ran.
    /// </summary>
    Ignored,

    /// <summary>It was not handled: <see cref="WebHookProcessingResult.Failure"/> says why.</summary>
    Failed,
}

/// <summary>Why a message was not handled.</summary>
public enum WebHookProcessingFailure
{
    /// <summary>It did not fail.</summary>
    None,

    /// <summary>
    /// Its id is malformed, its body is too large or not an envelope, or the type or timestamp the source reported
    /// disagrees with the body. Permanent: the same message fails the same way.
    /// </summary>
    MalformedMessage,

    /// <summary>Its <c>data</c> does not fit the event type (the generated strict reading refused it). Permanent.</summary>
    PayloadDoesNotFit,

    /// <summary>
    /// No handler knows its event type and the receiver rejects such types
    /// (<see cref="Hosting.WebHookUnknownEventTypeBehavior.Reject"/>). Permanent until a handler is added.
    /// </summary>
    UnknownEventType,

    /// <summary>Another delivery of the id is being handled right now. Transient: try again later.</summary>
    InProgress,

    /// <summary>The handler threw; the id was not marked handled. Transient: the next attempt runs it again.</summary>
    HandlerFailed,
}
