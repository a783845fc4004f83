namespace Hooks;

/// <summary>
/// The intent-verification challenge (docs/intent-verification.md). Before a new subscription receives events, the
/// producer POSTs a normally signed message of type <see cref="EventType"/> whose <c>data</c> is
/// <c>{"challenge":"&lt;value&gt;"}</c>; the receiver verifies it like any message and answers <c>200</c> with the
/// JSON body <c>{"challenge":"&lt;value&gt;"}</c>, echoing the value.
/// </summary>
public static class WebHookChallenge
{
    /// <summary>The event type of the challenge message: <c>webhook.challenge</c>.</summary>
    public const string EventType = "webhook.challenge";

    /// <summary>The JSON member carrying the value, in the request's <c>data</c> and in the answer: <c>challenge</c>.</summary>
    public const string ChallengeProperty = "challenge";

    /// <summary>The most bytes of the answer the producer reads; longer answers fail.</summary>
    public const int MaxResponseBytes = 1024;

    /// <summary>The most chars a challenge value has (the producer sends 43: 32 random bytes, base64url).</summary>
    public const int MaxChallengeLength = 128;
}
