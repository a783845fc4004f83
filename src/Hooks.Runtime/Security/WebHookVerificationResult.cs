namespace Hooks.Security;

/// <summary>The outcome of verifying a webhook request: valid, or which header failed and why.</summary>
public readonly record struct WebHookVerificationResult
{
    private WebHookVerificationResult(WebHookVerificationStatus status, WebHookVerificationHeader header, long? timestamp)
    {
        Status = status;
        Header = header;
        UnixTimestamp = timestamp;
    }

    /// <summary>Valid, or why not.</summary>
    public WebHookVerificationStatus Status { get; }

    /// <summary>The header the failure concerns; <see cref="WebHookVerificationHeader.None"/> when valid.</summary>
    public WebHookVerificationHeader Header { get; }

    /// <summary>The parsed <c>webhook-timestamp</c> in Unix seconds, once it parsed.</summary>
    public long? UnixTimestamp { get; }

    /// <summary>Whether the request is authentic and fresh.</summary>
    public bool IsValid => Status == WebHookVerificationStatus.Valid;

    internal static WebHookVerificationResult Success(long timestamp) =>
        new(WebHookVerificationStatus.Valid, WebHookVerificationHeader.None, timestamp);

    internal static WebHookVerificationResult Fail(WebHookVerificationStatus status, WebHookVerificationHeader header, long? timestamp = null) =>
        new(status, header, timestamp);

    /// <summary>A sentence for logs and Problem Details; it never contains header values or secrets.</summary>
    public string Describe() => Describe(static header => header switch
    {
        WebHookVerificationHeader.Id => Hooks.WebHookHeaders.Id,
        WebHookVerificationHeader.Timestamp => Hooks.WebHookHeaders.Timestamp,
        WebHookVerificationHeader.Signature => Hooks.WebHookHeaders.Signature,
        _ => "signature",
    });

    /// <summary>The same sentence with the headers named by <paramref name="name"/> (as the sender spelled them).</summary>
    internal string Describe(Func<WebHookVerificationHeader, string> name) => Status switch
    {
        WebHookVerificationStatus.Valid => "The signature is valid.",
        WebHookVerificationStatus.MissingHeader => $"The {name(Header)} header is missing.",
        WebHookVerificationStatus.MalformedHeader => $"The {name(Header)} header is malformed.",
        WebHookVerificationStatus.TimestampTooOld => $"The {name(WebHookVerificationHeader.Timestamp)} is older than the tolerance allows.",
        WebHookVerificationStatus.TimestampTooNew => $"The {name(WebHookVerificationHeader.Timestamp)} is further in the future than the tolerance allows.",
        WebHookVerificationStatus.NoMatchingSignature => $"No signature in {name(WebHookVerificationHeader.Signature)} matches a configured secret.",
        _ => "The request could not be verified.",
    };
}

/// <summary>Why verification failed.</summary>
public enum WebHookVerificationStatus
{
    /// <summary>Authentic and within tolerance.</summary>
    Valid,

    /// <summary>A required header is absent or empty.</summary>
    MissingHeader,

    /// <summary>A header is present but not in the expected form (non-numeric or overflowing timestamp, bad id).</summary>
    MalformedHeader,

    /// <summary>The timestamp is older than now minus the tolerance.</summary>
    TimestampTooOld,

    /// <summary>The timestamp is later than now plus the tolerance.</summary>
    TimestampTooNew,

    /// <summary>No <c>v1</c> signature matches any configured secret.</summary>
    NoMatchingSignature,
}

/// <summary>Which header a verification failure concerns.</summary>
public enum WebHookVerificationHeader
{
    /// <summary>No header (the request is valid).</summary>
    None,

    /// <summary><c>webhook-id</c> (or <c>svix-id</c>).</summary>
    Id,

    /// <summary><c>webhook-timestamp</c> (or <c>svix-timestamp</c>).</summary>
    Timestamp,

    /// <summary><c>webhook-signature</c> (or <c>svix-signature</c>, or <c>X-Hub-Signature-256</c>).</summary>
    Signature,
}
