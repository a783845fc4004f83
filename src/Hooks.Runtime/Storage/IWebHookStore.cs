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
/// <para>
/// Versions: every write of a subscription, its owner's (<see cref="UpdateSubscriptionAsync"/>) or the dispatcher's
/// (<see cref="RecordAttemptsAsync"/> setting failing-since or disabling it), stores it with
/// <see cref="WebHookSubscription.Version"/> one more than before, so a writer that started from a stale read fails
/// (<see cref="WebHookSubscriptionUpdateResult.VersionConflict"/>) instead of undoing another's change.
/// </para>
/// <para>
/// Fan-out: a message goes to the subscriptions of its tenant whose filter takes its event type. The in-memory store
/// keeps a per-tenant index of subscriptions; a SQL store keeps the filters normalized in a table of
/// <c>(subscription, kind, value)</c> rows, <c>exact</c> for a name and <c>prefix</c> for <c>order.*</c> (stored as
/// <c>order.</c>), with a catch-all row for an empty filter, and selects targets in the append's own statement:
/// <c>kind = 'exact' AND value = @type OR kind = 'prefix' AND starts_with(@type, value) OR kind = 'all'</c>, indexed on
/// <c>(tenant, value)</c>, so a publish never loads every subscription.
/// </para>
/// <para>
/// Sequences: each subscription numbers its deliveries 1, 2, 3… without gaps, assigned at the append in commit order
/// (a counter on the subscription row updated inside the append's transaction, not a database sequence, whose numbers
/// are not commit-ordered). Subscriptions that are disabled or pending when a message is published still get a
/// delivery of it, <see cref="WebHookDeliveryStatus.Skipped"/>: in the feed, never pushed unless recovered or
/// redelivered. The number is the feed's cursor (<see cref="ReadFeedAsync"/>) and travels with each push.
/// </para>
/// <para>
/// Clocks: lease times are computed from the <c>now</c> the caller passes; a store shared by several hosts may use its
/// own (the database's) clock for lease expiry instead, so that hosts whose clocks disagree do not take each other's
/// leases early.
/// </para>
/// </remarks>
public interface IWebHookStore
{
    // Subscriptions

    /// <summary>
    /// Stores a new subscription with <see cref="WebHookSubscription.Version"/> 1 (whatever the record says); returns
    /// <c>false</c> when its id exists.
    /// </summary>
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
    /// Replaces a subscription (matched by id) when the stored one still has the <see cref="WebHookSubscription.Version"/>
    /// that <paramref name="subscription"/> carries (the version its writer read), storing it with that version plus
    /// one. <see cref="WebHookSubscriptionUpdateResult.NotFound"/> when it does not exist or belongs to another tenant
    /// than <paramref name="subscription"/> names (a subscription never moves between tenants);
    /// <see cref="WebHookSubscriptionUpdateResult.VersionConflict"/>, changing nothing, when another write came first:
    /// read it again and re-apply the change.
    /// </summary>
    ValueTask<WebHookSubscriptionUpdateResult> UpdateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default);

    /// <summary>Deletes a subscription with its deliveries and attempts; returns <c>false</c> when it did not exist.</summary>
    ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default);

    // Messages (the outbox)

    /// <summary>
    /// Stores the message (with its <see cref="WebHookMessage.TraceParent"/>) and one delivery per target
    /// subscription, in one operation; durable when the task completes. The targets are the subscriptions of the
    /// message's <see cref="WebHookMessage.Tenant"/> (of every tenant when it is <c>null</c>) whose filter takes the
    /// event type: an enabled one gets a pending delivery due at the message's timestamp, a disabled or pending one a
    /// <see cref="WebHookDeliveryStatus.Skipped"/> delivery (it joins the feed; the result's count is of pending ones).
    /// Each delivery takes its subscription's next <see cref="WebHookDelivery.Sequence"/>. With
    /// <see cref="WebHookMessageDraft.Transaction"/> set, a SQL store writes in that transaction (the message commits or
    /// rolls back with the app's data); a store that cannot enlist refuses the draft. With an idempotency key the same tenant (or, for a message to
    /// every tenant, the same kind of publish) used before, stores nothing and returns the earlier message. The body is read during the call
    /// only: the caller may reuse its memory once the task completes, so a store keeps a copy (or has written it out).
    /// </summary>
    ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default);

    /// <summary>The message, or <c>null</c>.</summary>
    ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The feed: the subscription's deliveries (whatever their status) with their messages, in
    /// <see cref="WebHookDelivery.Sequence"/> order, after the cursor <paramref name="afterSequence"/> (0 for the
    /// start), at most <paramref name="limit"/>. <see cref="WebHookFeedPage.CursorExpired"/> says that retention
    /// (<see cref="PurgeAsync"/>) removed deliveries after the cursor, so the page does not follow it without a gap (the
    /// feed answers 410 then).
    /// </summary>
    ValueTask<WebHookFeedPage> ReadFeedAsync(string subscriptionId, long afterSequence, int limit, CancellationToken cancellationToken = default);

    // Deliveries

    /// <summary>
    /// Leases up to <paramref name="limit"/> pending deliveries of enabled subscriptions that are due at
    /// <paramref name="now"/> and not under an unexpired lease, oldest due first, never leaving more than
    /// <paramref name="perSubscriptionLimit"/> unexpired leases on one subscription (counted across every caller
    /// sharing the store, so dispatchers that share it hold a subscription's concurrency together). A delivery held
    /// back by that limit stays due and is leased once one of its subscription's leases ends.
    /// </summary>
    ValueTask<IReadOnlyList<WebHookLease>> LeaseDueAsync(DateTimeOffset now, int limit, int perSubscriptionLimit, TimeSpan leaseDuration,
        CancellationToken cancellationToken = default);

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

    /// <summary>Deliveries of a subscription, newest first (by id).</summary>
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
    /// Makes every failed or skipped delivery of the subscription whose message was published at or after
    /// <paramref name="since"/> pending and due at <paramref name="now"/>; returns how many.
    /// </summary>
    ValueTask<int> RecoverAsync(string subscriptionId, DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>How many pending deliveries of enabled subscriptions are due at <paramref name="now"/>.</summary>
    ValueTask<long> CountDueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>When the earliest pending delivery of an enabled subscription is due, or <c>null</c> if none is.</summary>
    ValueTask<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default);

    // Retention

    /// <summary>
    /// Deletes up to <paramref name="limit"/> messages published before <paramref name="before"/> whose deliveries have
    /// all finished (succeeded, failed or skipped), with those deliveries, their attempts and idempotency keys; returns
    /// how many messages it deleted (call again while it returns <paramref name="limit"/>). Messages with a pending
    /// delivery are kept. Feed cursors before a purged delivery expire (<see cref="WebHookFeedPage.CursorExpired"/>).
    /// </summary>
    ValueTask<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}
