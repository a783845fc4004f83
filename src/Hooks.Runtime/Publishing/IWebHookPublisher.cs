namespace Hooks.Publishing;

/// <summary>
/// Publishes events to the matching subscriptions of one tenant (the default tenant unless one is named), or of every
/// tenant when asked explicitly. Only webhook event types compile here: the generic constraint is what the
/// <c>[WebHookEvent]</c> generator implements.
/// </summary>
public interface IWebHookPublisher
{
    /// <summary>
    /// Serializes the event once, assigns its message id and stores the message with one delivery per matching
    /// subscription of the default tenant (<see cref="WebHookTenant.Default"/>: what single-tenant apps use); returns once that is durable in the configured store (outbox). Delivery happens in the
    /// background.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <returns>The message id and the number of deliveries created.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;

    /// <summary>
    /// Like <see cref="PublishAsync{TEvent}(TEvent, CancellationToken)"/>, but a second call with the same
    /// <paramref name="idempotencyKey"/> stores nothing and returns the first call's message id.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="idempotencyKey">1 to 256 chars identifying this publish, or <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, string? idempotencyKey, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;

    /// <summary>
    /// Like <see cref="PublishAsync{TEvent}(TEvent, CancellationToken)"/> for <paramref name="tenant"/>: the message
    /// goes to that tenant's matching subscriptions only.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="tenant">The tenant whose subscriptions get the event.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookTenant tenant, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;

    /// <summary>
    /// Like <see cref="PublishAsync{TEvent}(TEvent, WebHookTenant, CancellationToken)"/>, but a second call for the
    /// same tenant with the same <paramref name="idempotencyKey"/> stores nothing and returns the first call's message
    /// id. Keys are per tenant: another tenant's use of the same key is another publish.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="tenant">The tenant whose subscriptions get the event.</param>
    /// <param name="idempotencyKey">1 to 256 chars identifying this publish, or <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookTenant tenant, string? idempotencyKey, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;

    /// <summary>
    /// Publishes with <paramref name="options"/>: a tenant, an idempotency key, and the app's open database
    /// transaction to publish in (<see cref="WebHookPublishOptions.Transaction"/>: the message commits or rolls back with
    /// the app's data). Returns once the message is written (in that transaction, when one is given).
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="options">The tenant, idempotency key and transaction.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    /// <exception cref="NotSupportedException">A transaction is given and the store cannot write in it.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookPublishResult> PublishAsync<TEvent>(TEvent message, WebHookPublishOptions options, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;

    /// <summary>
    /// Publishes a platform-wide event: one message with a delivery to every matching subscription of every tenant.
    /// Use it only for events every tenant may see (a maintenance notice), never for one user's action. A repeated
    /// <paramref name="idempotencyKey"/> matches earlier calls of this method only.
    /// </summary>
    /// <typeparam name="TEvent">A <c>[WebHookEvent]</c> type.</typeparam>
    /// <param name="message">The event.</param>
    /// <param name="idempotencyKey">1 to 256 chars identifying this publish, or <c>null</c> for none.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    ValueTask<WebHookPublishResult> PublishToAllTenantsAsync<TEvent>(TEvent message, string? idempotencyKey = null, CancellationToken cancellationToken = default)
        where TEvent : IWebHookEvent<TEvent>;
}

/// <summary>
/// What a publish stored: returned by <see cref="IWebHookPublisher.PublishAsync{TEvent}(TEvent, CancellationToken)"/>
/// and by the store's <see cref="Storage.IWebHookStore.AppendMessageAsync"/>.
/// </summary>
/// <param name="MessageId">The message id (<c>msg_…</c>), the same on every delivery attempt; the earlier message's id
/// when the idempotency key was seen before.</param>
/// <param name="Deliveries">How many subscriptions the message will be delivered to.</param>
/// <param name="Duplicate">Whether the idempotency key matched an earlier message, so nothing new was stored.</param>
public readonly record struct WebHookPublishResult(string MessageId, int Deliveries, bool Duplicate = false);
