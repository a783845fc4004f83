namespace Hooks.Receiving;

/// <summary>
/// Remembers which message ids a receiver handled, so a retried or replayed delivery does not run its handler
/// twice, and so two deliveries of one id arriving at once run it once. Keys are per receiver.
/// </summary>
public interface IWebHookIdempotencyStore
{
    /// <summary>
    /// Claims <paramref name="key"/> for handling until <paramref name="leaseUntil"/>, unless it was handled within
    /// the deduplication window or another delivery holds an unexpired claim.
    /// </summary>
    ValueTask<WebHookIdempotencyClaim> TryClaimAsync(string key, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Marks a claimed key handled; it is remembered until <paramref name="rememberUntil"/>.</summary>
    ValueTask MarkHandledAsync(string key, DateTimeOffset rememberUntil, CancellationToken cancellationToken);

    /// <summary>Releases a claim without marking it handled (the handler failed): the next delivery runs it again.</summary>
    ValueTask ReleaseAsync(string key, CancellationToken cancellationToken);
}

/// <summary>The outcome of <see cref="IWebHookIdempotencyStore.TryClaimAsync"/>.</summary>
public enum WebHookIdempotencyClaim
{
    /// <summary>The caller holds the claim and must mark it handled or release it.</summary>
    Claimed,

    /// <summary>The id was handled already: answer success without running the handler.</summary>
    AlreadyHandled,

    /// <summary>Another delivery of the id is being handled right now.</summary>
    InProgress,
}
