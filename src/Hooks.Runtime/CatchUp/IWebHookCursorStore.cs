namespace Hooks.CatchUp;

/// <summary>
/// Where a consumer keeps, per receiver and subscription, how far it has caught up with the producer's event feed:
/// the sequence number of the last event it settled (handled, already handled, or ignored). The cursor moves only
/// forward, so a slow writer can never take it back past events a faster one settled, and it is durable in the
/// SQLite and PostgreSQL stores, so a restarted consumer resumes where it stopped.
/// </summary>
public interface IWebHookCursorStore
{
    /// <summary>The stored cursor, or <c>null</c> when this receiver has not caught up with the subscription yet.</summary>
    /// <param name="receiverName">The receiver the events are handled by.</param>
    /// <param name="subscriptionId">The producer's subscription whose feed is read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<long?> GetAsync(string receiverName, string subscriptionId, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the cursor to <paramref name="sequence"/> unless it is there or further already; atomic, so concurrent
    /// callers leave the greatest value.
    /// </summary>
    /// <param name="receiverName">The receiver the events are handled by.</param>
    /// <param name="subscriptionId">The producer's subscription whose feed is read.</param>
    /// <param name="sequence">The sequence number of the last event settled; zero or more.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The cursor as stored afterwards: <paramref name="sequence"/>, or the greater value already there.</returns>
    ValueTask<long> AdvanceAsync(string receiverName, string subscriptionId, long sequence, CancellationToken cancellationToken);
}
