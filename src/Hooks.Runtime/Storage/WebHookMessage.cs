using System.Diagnostics;

namespace Hooks.Storage;

/// <summary>A published message: the exact body every delivery of it sends.</summary>
public sealed record WebHookMessage
{
    /// <summary>The message id, <c>msg_…</c>; the <c>webhook-id</c> of every attempt.</summary>
    public required string Id { get; init; }

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
    /// The store's position of the message, increasing in publish order; the feed cursor. Assigned by the store.
    /// </summary>
    public long Sequence { get; init; }

    /// <summary>
    /// The trace context the message was published in (<c>default</c> when none): every attempt to deliver it is a
    /// child of this context, so the consumer, which gets the attempt's context as <c>traceparent</c>, joins the
    /// publisher's trace. A store keeps its trace id, span id and trace flags with the message (a durable store, for
    /// example, as a W3C <c>traceparent</c>) and hands them back with every read; it need not keep the trace state.
    /// </summary>
    public ActivityContext PublishContext { get; init; }
}

/// <summary>A message to append, with the subscriptions it goes to.</summary>
public sealed record WebHookMessageDraft
{
    /// <summary>The new message.</summary>
    public required WebHookMessage Message { get; init; }

    /// <summary>
    /// When set, a second append with the same key returns the first message instead of storing another.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// When set, the message goes to this subscription only (test events) and its filter is ignored; otherwise it
    /// goes to every enabled subscription whose filter takes the event type.
    /// </summary>
    public string? SubscriptionId { get; init; }
}

/// <summary>What <see cref="IWebHookStore.AppendMessageAsync"/> stored.</summary>
/// <param name="MessageId">The id of the stored message (the earlier one when the idempotency key was seen).</param>
/// <param name="Deliveries">How many deliveries the message has.</param>
/// <param name="Duplicate">Whether the idempotency key matched an earlier message and nothing new was stored.</param>
public readonly record struct WebHookAppendResult(string MessageId, int Deliveries, bool Duplicate);
