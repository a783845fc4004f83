namespace Hooks.Publishing;

/// <summary>
/// Publishes events to every matching subscription. Only webhook event types compile here: the generic constraint
/// is what the <c>[WebHookEvent]</c> generator implements.
/// </summary>
public interface IWebHookPublisher
{
    /// <summary>
    /// Serializes the event once, assigns its message id and stores the message with one delivery per matching
    /// subscription; returns once that is durable in the configured store (outbox). Delivery happens in the
    /// background.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>The message id and the number of deliveries created.</returns>
    ValueTask<PublishedMessage> PublishAsync<TEvent>(TEvent message, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;
}

/// <summary>What <see cref="IWebHookPublisher.PublishAsync{TEvent}"/> stored.</summary>
/// <param name="MessageId">The message id (<c>msg_…</c>), the same on every delivery attempt.</param>
/// <param name="Deliveries">How many subscriptions the message will be delivered to.</param>
public readonly record struct PublishedMessage(string MessageId, int Deliveries);
