namespace Hooks.Storage;

/// <summary>One HTTP attempt of a delivery, as shown to the subscription's owner.</summary>
public sealed record WebHookAttempt
{
    /// <summary>The delivery attempted.</summary>
    public required long DeliveryId { get; init; }

    /// <summary>The message sent.</summary>
    public required string MessageId { get; init; }

    /// <summary>The subscription sent to.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>1 for the first attempt of the delivery.</summary>
    public required int Number { get; init; }

    /// <summary>When the request was started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long until the response headers arrived or the attempt failed.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>How the attempt ended.</summary>
    public WebHookAttemptOutcome Outcome { get; init; }

    /// <summary>The HTTP status code, when a response arrived.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The first kilobyte of the response body, as text, when one arrived.</summary>
    public string? ResponseBody { get; init; }

    /// <summary>A short description of the failure (never secrets or payload).</summary>
    public string? Error { get; init; }

    /// <summary>
    /// For a <see cref="WebHookAttemptOutcome.Redirect"/>: the response's <c>Location</c> as sent (not followed), cut to
    /// <see cref="MaxLocationLength"/> characters.
    /// </summary>
    public string? Location { get; init; }

    /// <summary>The most characters of a redirect's <c>Location</c> kept in <see cref="Location"/>.</summary>
    public const int MaxLocationLength = 2048;
}

/// <summary>How an attempt ended.</summary>
public enum WebHookAttemptOutcome
{
    /// <summary>2xx.</summary>
    Succeeded,

    /// <summary>A response other than 2xx, 3xx, 410 or a back-off status.</summary>
    HttpError,

    /// <summary>A 3xx; redirects are not followed.</summary>
    Redirect,

    /// <summary>410 Gone: the subscription is disabled.</summary>
    Gone,

    /// <summary>429, 502, 503 or 504: backed off, honouring Retry-After.</summary>
    BackOff,

    /// <summary>No response within the request timeout.</summary>
    Timeout,

    /// <summary>The connection could not be made or broke.</summary>
    ConnectionError,

    /// <summary>The SSRF guard refused every address the host resolved to.</summary>
    AddressRefused,
}

/// <summary>The wire names of <see cref="WebHookAttemptOutcome"/>, as the management API and telemetry show them.</summary>
internal static class WebHookAttemptOutcomeNames
{
    /// <summary>The snake_case name of an outcome, such as <c>http_error</c>.</summary>
    public static string Of(WebHookAttemptOutcome outcome) => outcome switch
    {
        WebHookAttemptOutcome.Succeeded => "succeeded",
        WebHookAttemptOutcome.HttpError => "http_error",
        WebHookAttemptOutcome.Redirect => "redirect",
        WebHookAttemptOutcome.Gone => "gone",
        WebHookAttemptOutcome.BackOff => "back_off",
        WebHookAttemptOutcome.Timeout => "timeout",
        WebHookAttemptOutcome.ConnectionError => "connection_error",
        WebHookAttemptOutcome.AddressRefused => "address_refused",
        _ => "unknown",
    };

    /// <summary>An attempt's status and error in words for a log line: <c>HTTP 503</c>, <c>Connection refused</c>, <c>no response</c>.</summary>
    public static string Detail(int? statusCode, string? error) => (statusCode, error?.TrimEnd('.')) switch
    {
        ({ } status, null or "") => $"HTTP {status}",
        ({ } status, { } text) => $"HTTP {status}: {text}",
        (null, { Length: > 0 } text) => text,
        _ => "no response",
    };
}

/// <summary>The result of one attempt, recorded with its effect on the delivery and the subscription.</summary>
public sealed record WebHookAttemptResult
{
    /// <summary>The lease the attempt was made under; a stale token records nothing.</summary>
    public required WebHookLeaseRef Lease { get; init; }

    /// <summary>The attempt.</summary>
    public required WebHookAttempt Attempt { get; init; }

    /// <summary>The delivery's new status.</summary>
    public required WebHookDeliveryStatus NewStatus { get; init; }

    /// <summary>When the next attempt is due, for <see cref="WebHookDeliveryStatus.Pending"/>.</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>
    /// When set, the subscription is disabled with this reason (410, or failing longer than the allowed window).
    /// </summary>
    public string? DisableSubscriptionReason { get; init; }
}
