namespace Hooks;

/// <summary>
/// Handles one webhook event type on the consumer side. Implementations are found by the Hooks source generator,
/// registered in dependency injection and called by the generated <c>MapWebHooks()</c> endpoint after the request's
/// signature, timestamp and id were verified.
/// </summary>
/// <typeparam name="TEvent">The event type handled.</typeparam>
public interface IWebHookHandler<in TEvent> where TEvent : IWebHookEvent<TEvent>
{
    /// <summary>
    /// Handles a verified event. Throwing makes the receiver answer 500 without marking the message handled, so the
    /// producer's retry delivers it again.
    /// </summary>
    /// <param name="message">The event.</param>
    /// <param name="context">The message id, type, timestamps and headers of this delivery.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    Task HandleAsync(TEvent message, WebHookContext context, CancellationToken cancellationToken);
}
