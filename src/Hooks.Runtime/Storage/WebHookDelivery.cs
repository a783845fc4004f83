namespace Hooks.Storage;

/// <summary>One message on its way to one subscription.</summary>
public sealed record WebHookDelivery
{
    /// <summary>The delivery id, unique in the store.</summary>
    public required long Id { get; init; }

    /// <summary>The message delivered.</summary>
    public required string MessageId { get; init; }

    /// <summary>The subscription delivered to.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>The tenant of the subscription (and so of the delivery).</summary>
    public string Tenant { get; init; } = Publishing.WebHookTenant.DefaultId;

    /// <summary>
    /// The delivery's place in its subscription's feed: 1, 2, 3… per subscription, without gaps, in the order the
    /// appends committed. Sent with every push as the <c>webhook-sequence</c> header and used as the feed's cursor.
    /// </summary>
    public long Sequence { get; init; }

    /// <summary>The event type of the message.</summary>
    public required string EventType { get; init; }

    /// <summary>Where the delivery stands.</summary>
    public WebHookDeliveryStatus Status { get; init; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; init; }

    /// <summary>When the next attempt is due (while <see cref="WebHookDeliveryStatus.Pending"/>).</summary>
    public DateTimeOffset NextAttemptAt { get; init; }

    /// <summary>When the delivery was created (the message's publish time).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the last attempt was made.</summary>
    public DateTimeOffset? LastAttemptAt { get; init; }
}

/// <summary>Where a delivery stands.</summary>
public enum WebHookDeliveryStatus
{
    /// <summary>Waiting for its next attempt (or being attempted under a lease).</summary>
    Pending,

    /// <summary>A 2xx answer was received.</summary>
    Succeeded,

    /// <summary>Every scheduled attempt failed, or the endpoint answered 410; redeliverable.</summary>
    Failed,

    /// <summary>
    /// Published while the subscription was disabled or pending: in its feed, never pushed; a recovery or redelivery
    /// makes it pending.
    /// </summary>
    Skipped,
}

/// <summary>A due delivery leased to one dispatcher, with what it needs to send it.</summary>
/// <param name="Delivery">The delivery.</param>
/// <param name="Message">Its message.</param>
/// <param name="Subscription">Its subscription as it was when leased.</param>
/// <param name="LeaseToken">Proves the lease when completing; a lease that expired and was taken again has another.</param>
/// <param name="LeaseExpiresAt">When the delivery becomes due again if not completed.</param>
public sealed record WebHookLease(WebHookDelivery Delivery, WebHookMessage Message, WebHookSubscription Subscription,
    Guid LeaseToken, DateTimeOffset LeaseExpiresAt);

/// <summary>A delivery and its lease token, to release it unchanged.</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="LeaseToken">The token the lease was given.</param>
public readonly record struct WebHookLeaseRef(long DeliveryId, Guid LeaseToken);

/// <summary>Filters for <see cref="IWebHookStore.ListDeliveriesAsync"/>.</summary>
public sealed record WebHookDeliveryQuery
{
    /// <summary>The subscription whose deliveries are listed.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>Only deliveries in this status, when set.</summary>
    public WebHookDeliveryStatus? Status { get; init; }

    /// <summary>Only deliveries of this message, when set.</summary>
    public string? MessageId { get; init; }

    /// <summary>Only deliveries with an id below this one (paging newest first), when set.</summary>
    public long? Before { get; init; }

    /// <summary>The most deliveries returned.</summary>
    public int Limit { get; init; } = 50;
}
