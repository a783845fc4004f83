using Hooks.Publishing;

namespace Hooks.Storage;

/// <summary>
/// Where the producer keeps subscriptions, messages, deliveries and attempts. Every method is one store operation
/// (one transaction in a SQL store); none takes a delegate. Times are passed in by the caller, which owns the clock.
/// </summary>
/// <remarks>
/// Tenants: every subscription belongs to one tenant (<see cref="WebHookSubscription.Tenant"/>, fixed at creation),
/// and so does every delivery (its subscription's); a message names the tenant it was published for, or none when it
/// went to every tenant. Fan-out selects by tenant and event type; idempotency keys are per tenant. Lookups that take
/// a tenant answer only within it: the management API uses those, and reaches deliveries, attempts and redeliveries
/// only through a subscription it found in the caller's tenant. The lookups by id alone are for callers that the
/// subscription itself authenticated (the dispatcher, the feed, reversed connections).
/// </remarks>
public interface IWebHookStore
{
    // Subscriptions

    /// <summary>Stores a new subscription; returns <c>false</c> when its id exists.</summary>
    ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default);

    /// <summary>
    /// The subscription, or <c>null</c>, whatever its tenant: for callers the subscription authenticated (by its
    /// secret), never for a lookup on behalf of a tenant.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The subscription when it belongs to <paramref name="tenant"/>; <c>null</c> when it does not exist or belongs to another.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    ValueTask<WebHookSubscription?> GetSubscriptionAsync(string tenant, string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscriptions of <paramref name="tenant"/> (of every tenant when <c>null</c>: operator views only) ordered by
    /// id, after <paramref name="afterId"/> when given.
    /// </summary>
    ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? tenant, string? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>How many subscriptions <paramref name="tenant"/> has, whatever their status.</summary>
    ValueTask<int> CountSubscriptionsAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a subscription (matched by id); returns <c>false</c> when it does not exist, or when it belongs to
    /// another tenant than <paramref name="subscription"/> names: a subscription never moves between tenants.
    /// </summary>
    ValueTask<bool> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default);

    /// <summary>Deletes a subscription and its pending deliveries; returns <c>false</c> when it did not exist.</summary>
    ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default);

    // Messages (the outbox)

    /// <summary>
    /// Stores the message (with its <see cref="WebHookMessage.TraceParent"/>) and one pending delivery, due at the
    /// message's timestamp, per target subscription, in one operation; durable when the task completes. The targets
    /// are the enabled subscriptions of the message's <see cref="WebHookMessage.Tenant"/> (of every tenant when it is
    /// <c>null</c>) whose filter takes the event type. With an idempotency key the same tenant (or, for a message to
    /// every tenant, the same kind of publish) used before, stores nothing and returns the earlier message. The body is read during the call
    /// only: the caller may reuse its memory once the task completes, so a store keeps a copy (or has written it out).
    /// </summary>
    ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default);

    /// <summary>The message, or <c>null</c>.</summary>
    ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The feed: messages with a delivery to the subscription, in <see cref="WebHookMessage.Sequence"/> order, after
    /// the cursor <paramref name="afterSequence"/> (0 for the start).
    /// </summary>
    ValueTask<IReadOnlyList<WebHookMessage>> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default);

    // Deliveries

    /// <summary>
    /// Leases up to <paramref name="limit"/> pending deliveries of enabled subscriptions that are due at
    /// <paramref name="now"/> and not under an unexpired lease, oldest due first.
    /// </summary>
    ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records attempts and applies their effects (delivery status and next time, subscription failing-since or
    /// disable) and ends their leases. Results whose lease token is stale are ignored. The list belongs to the caller,
    /// which reuses it once the call completes: read it during the call, do not keep it.
    /// </summary>
    /// <returns>
    /// The changes of subscription health the results made, in the order they were made (empty, the usual case, when
    /// none): a subscription starts failing when a failed attempt sets its failing-since, recovers when a successful
    /// one clears it, is disabled when a result disables an enabled subscription. Each change is reported once, by the
    /// operation that made it, however many attempts of the subscription are recorded at once or by how many
    /// dispatchers.
    /// </returns>
    ValueTask<IReadOnlyList<WebHookSubscriptionChange>> RecordAttemptsAsync(IReadOnlyList<WebHookAttemptResult> results, CancellationToken cancellationToken = default);

    /// <summary>Ends leases without an attempt, so the deliveries are due again as they were.</summary>
    ValueTask ReleaseLeasesAsync(IReadOnlyList<WebHookLeaseRef> leases, CancellationToken cancellationToken = default);

    /// <summary>Deliveries of a subscription, newest first.</summary>
    ValueTask<IReadOnlyList<WebHookDelivery>> ListDeliveriesAsync(WebHookDeliveryQuery query, CancellationToken cancellationToken = default);

    /// <summary>The subscription's delivery with this id, or <c>null</c> when the subscription has none.</summary>
    ValueTask<WebHookDelivery?> GetDeliveryAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default);

    /// <summary>Attempts of one delivery of the subscription, oldest first.</summary>
    ValueTask<IReadOnlyList<WebHookAttempt>> ListAttemptsAsync(string subscriptionId, long deliveryId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes the subscription's delivery of a message pending and due at <paramref name="now"/>; returns <c>false</c>
    /// when the subscription has no delivery of that message (never creates one: a message the filter refused, one
    /// published before the subscription existed or another subscription's test event is not the subscription's).
    /// When an attempt of that delivery is running under a lease, its result is still recorded and one more attempt
    /// becomes due as soon as it is (or when the lease expires, if it never is).
    /// </summary>
    ValueTask<bool> RedeliverAsync(string subscriptionId, string messageId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes every failed delivery of the subscription whose message was published at or after
    /// <paramref name="since"/> pending and due at <paramref name="now"/>; returns how many.
    /// </summary>
    ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>How many pending deliveries of enabled subscriptions are due at <paramref name="now"/>.</summary>
    ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>When the earliest pending delivery of an enabled subscription is due, or <c>null</c> if none is.</summary>
    ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default);
}
