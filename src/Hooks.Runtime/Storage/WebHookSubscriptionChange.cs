namespace Hooks.Storage;

/// <summary>
/// A change of a subscription's health made by recording attempts (<see cref="IWebHookStore.RecordAttemptsAsync"/>);
/// reported once per change, so the dispatcher can say it once, not once per attempt.
/// </summary>
public sealed record WebHookSubscriptionChange
{
    /// <summary>The subscription that changed.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>What changed.</summary>
    public required WebHookSubscriptionChangeKind Kind { get; init; }

    /// <summary>The attempt whose result made the change.</summary>
    public required WebHookAttempt Attempt { get; init; }

    /// <summary>
    /// For <see cref="WebHookSubscriptionChangeKind.Recovered"/> and <see cref="WebHookSubscriptionChangeKind.Disabled"/>:
    /// since when the subscription had been failing without a success, when it had.
    /// </summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>For <see cref="WebHookSubscriptionChangeKind.Disabled"/>: why it was disabled.</summary>
    public string? Reason { get; init; }
}

/// <summary>How a subscription's health changed.</summary>
public enum WebHookSubscriptionChangeKind
{
    /// <summary>A failed attempt of a subscription that was not failing: its failing-since is now set.</summary>
    StartedFailing,

    /// <summary>A successful attempt of a failing subscription: its failing-since is cleared.</summary>
    Recovered,

    /// <summary>An enabled subscription was disabled (410 Gone, or failing longer than the allowed window).</summary>
    Disabled,
}
