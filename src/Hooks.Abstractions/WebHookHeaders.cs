namespace Hooks;

/// <summary>The header names of the Standard Webhooks 1.0 wire format, and the aliases receivers accept.</summary>
public static class WebHookHeaders
{
    /// <summary>The message id, the same on every attempt: <c>webhook-id</c>.</summary>
    public const string Id = "webhook-id";

    /// <summary>Unix seconds at which this attempt was signed: <c>webhook-timestamp</c>.</summary>
    public const string Timestamp = "webhook-timestamp";

    /// <summary>Space-separated <c>v1,&lt;base64&gt;</c> signatures: <c>webhook-signature</c>.</summary>
    public const string Signature = "webhook-signature";

    /// <summary>
    /// The attempt number (1 for the first) a Hooks producer adds to each request: <c>webhook-attempt</c>. Not part
    /// of Standard Webhooks; receivers treat it as optional information.
    /// </summary>
    public const string Attempt = "webhook-attempt";

    /// <summary>
    /// The delivery's place in its subscription's feed (1, 2, 3… without gaps) a Hooks producer adds to each request:
    /// <c>webhook-sequence</c>. Not part of Standard Webhooks; a consumer that sees a number skipped knows a message
    /// is missing and can read it from the producer's feed.
    /// </summary>
    public const string Sequence = "webhook-sequence";

    /// <summary>Svix's alias of <see cref="Id"/>.</summary>
    public const string SvixId = "svix-id";

    /// <summary>Svix's alias of <see cref="Timestamp"/>.</summary>
    public const string SvixTimestamp = "svix-timestamp";

    /// <summary>Svix's alias of <see cref="Signature"/>.</summary>
    public const string SvixSignature = "svix-signature";

    /// <summary>GitHub's HMAC-SHA256 body signature, <c>sha256=&lt;hex&gt;</c>.</summary>
    public const string GitHubSignature256 = "X-Hub-Signature-256";
}
