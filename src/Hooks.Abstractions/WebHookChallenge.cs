namespace Hooks;

/// <summary>
/// The intent-verification challenge: before a new subscription receives events, the producer POSTs to its URL a
/// message signed like any other, of type <c>webhook.challenge</c> with <c>data</c> <c>{"challenge":"&lt;random&gt;"}</c>.
/// The URL proves it wants the events by answering 200 with the JSON body <c>{"challenge":"&lt;the same value&gt;"}</c>.
/// Hooks receivers answer automatically after verifying the signature; any other receiver can do the same in a few
/// lines. A challenge is never passed to handlers and never deduplicated.
/// </summary>
public static class WebHookChallenge
{
    /// <summary>The envelope <c>type</c> of a challenge message.</summary>
    public const string EventType = "webhook.challenge";

    /// <summary>The member of <c>data</c> (and of the answer) carrying the challenge value.</summary>
    public const string ChallengeProperty = "challenge";

    /// <summary>The longest challenge value a receiver echoes.</summary>
    public const int MaxChallengeLength = 256;
}
