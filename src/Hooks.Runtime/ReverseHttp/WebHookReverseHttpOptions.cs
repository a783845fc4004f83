namespace Hooks.ReverseHttp;

/// <summary>
/// Settings of the producer's side of Reverse HTTP (docs/reverse-http.md): limits on reversed connections, liveness
/// and the signed-request check consumers' requests pass.
/// </summary>
public sealed class WebHookReverseHttpOptions
{
    /// <summary>Most reversed connections one subscription may hold open; more are refused with 429.</summary>
    public int MaxConnectionsPerSubscription { get; set; } = 8;

    /// <summary>Most reversed connections open at once across all subscriptions; more are refused with 429.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>The <c>Retry-After</c> of a 429 refusal.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A reversed connection idle this long is sent a ping (<c>OPTIONS</c>); the consumer's answer proves it alive.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A ping not answered within this is taken as a dead connection, which is closed.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far a signed consumer request's timestamp may be from now, each way.</summary>
    public TimeSpan RequestTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most nonces of signed consumer requests remembered at once (each for its tolerance window); when that many are
    /// live, further requests are refused with 429 rather than one forgotten early.
    /// </summary>
    public int MaxRememberedNonces { get; set; } = 100_000;
}
