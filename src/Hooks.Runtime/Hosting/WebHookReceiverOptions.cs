using Hooks.Security;

namespace Hooks.Hosting;

/// <summary>How one named receiver verifies and accepts webhook requests.</summary>
public sealed class WebHookReceiverOptions
{
    /// <summary>The default body limit: 1 MiB.</summary>
    public const int DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// The producer's signing secrets, <c>whsec_…</c>; during a rotation list both the old and the new one. A request
    /// signed with any of them is accepted. At least one is required.
    /// </summary>
    public IList<string> Secrets { get; } = [];

    /// <summary>How far <c>webhook-timestamp</c> may be from now, each way. Default five minutes.</summary>
    public TimeSpan Tolerance { get; set; } = WebHookVerifier.DefaultTolerance;

    /// <summary>The largest body accepted, in bytes; larger requests get 413. Default 1 MiB.</summary>
    public int MaxBodyBytes { get; set; } = DefaultMaxBodyBytes;

    /// <summary>
    /// What to answer for an event type no handler knows. Default 200 (and a log line): producers add event types
    /// over time and a consumer should not make them retry for events it does not care about.
    /// </summary>
    public WebHookUnknownEventTypeBehavior UnknownEventType { get; set; } = WebHookUnknownEventTypeBehavior.Acknowledge;

    /// <summary>
    /// How long a handled message id is remembered for deduplication. Default 7 days: longer than the Standard
    /// Webhooks retry schedule (about 3 days), so a late retry of a handled message is not handled twice.
    /// </summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long one delivery may hold a message id while its handler runs; a concurrent delivery of the same id is
    /// answered 409 meanwhile. After it, the id may be claimed again (a handler that hung or a process that died).
    /// </summary>
    public TimeSpan HandlerLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Answer the producer's intent-verification challenge automatically. Default on.</summary>
    public bool AnswerChallenges { get; set; } = true;
}

/// <summary>What a receiver answers for an event type no handler knows.</summary>
public enum WebHookUnknownEventTypeBehavior
{
    /// <summary>200 and a log line.</summary>
    Acknowledge,

    /// <summary>400 Problem Details.</summary>
    Reject,
}
