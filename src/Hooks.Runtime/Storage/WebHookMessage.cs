namespace Hooks.Storage;

/// <summary>A published message: the exact body every delivery of it sends.</summary>
public sealed record WebHookMessage
{
    /// <summary>The message id, <c>msg_…</c>; the <c>webhook-id</c> of every attempt.</summary>
    public required string Id { get; init; }

    /// <summary>
    /// The tenant the message was published for, whose subscriptions it goes to; <c>null</c> for a message published
    /// to every tenant (<see cref="Publishing.IWebHookPublisher.PublishToAllTenantsAsync{TEvent}"/>).
    /// <see cref="Publishing.WebHookTenant.DefaultId"/> unless set.
    /// </summary>
    public string? Tenant { get; init; } = Publishing.WebHookTenant.DefaultId;

    /// <summary>The event type name.</summary>
    public required string EventType { get; init; }

    /// <summary>When the event was published (the envelope's <c>timestamp</c>).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// The serialized envelope, UTF-8 JSON. Read-only: a message handed out by a store may share its memory with
    /// other reads of the same message.
    /// </summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>
    /// The store's position of the message, increasing in publish order. Assigned by the store. Not a feed cursor: a
    /// feed follows its subscription's <see cref="WebHookDelivery.Sequence"/>.
    /// </summary>
    public long Sequence { get; init; }

    /// <summary>
    /// The trace context the message was published in, as a W3C <c>traceparent</c>
    /// (<c>00-&lt;32 hex trace id&gt;-&lt;16 hex span id&gt;-&lt;2 hex flags&gt;</c>), or <c>null</c> when the publish was not
    /// traced. Every attempt to deliver the message is a child of it, so the consumer, which gets the attempt's context
    /// as its <c>traceparent</c>, joins the publisher's trace. A store keeps it with the message and hands it back with
    /// every read (it may keep it as its bytes and write it out again, lower-case); a value that is not a valid
    /// version-00 <c>traceparent</c> may be dropped. Trace state and baggage are not kept.
    /// </summary>
    public string? TraceParent { get; init; }
}

/// <summary>A message to append, with the subscriptions it goes to.</summary>
public sealed record WebHookMessageDraft
{
    /// <summary>The new message.</summary>
    public required WebHookMessage Message { get; init; }

    /// <summary>
    /// When set, a second append with the same key for the same <see cref="WebHookMessage.Tenant"/> returns the first
    /// message instead of storing another; other tenants' keys are theirs.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// When set, the message goes to this subscription only (test events) and its filter is ignored; otherwise it
    /// goes to every enabled subscription of the message's tenant whose filter takes the event type.
    /// </summary>
    public string? SubscriptionId { get; init; }

    /// <summary>
    /// The app's open transaction to publish in (the outbox pattern): a SQL store writes the message and its deliveries
    /// on that transaction's connection, so they commit or roll back with the app's own data, and nothing is sent
    /// before the app commits. A store that cannot enlist (the in-memory one) refuses a draft that carries one.
    /// </summary>
    public System.Data.Common.DbTransaction? Transaction { get; init; }
}
