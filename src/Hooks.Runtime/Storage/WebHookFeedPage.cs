namespace Hooks.Storage;

/// <summary>One page of a subscription's feed (<see cref="IWebHookStore.ReadFeedAsync"/>).</summary>
public sealed record WebHookFeedPage
{
    /// <summary>An empty page whose cursor has not expired.</summary>
    public static readonly WebHookFeedPage Empty = new() { Entries = [] };

    /// <summary>The subscription's deliveries after the cursor, in sequence order, with their messages.</summary>
    public required IReadOnlyList<WebHookFeedEntry> Entries { get; init; }

    /// <summary>
    /// Whether retention removed deliveries after the cursor: the page does not follow the cursor without a gap, and a
    /// feed answers 410 Gone so the consumer knows what it missed cannot be read any more.
    /// </summary>
    public bool CursorExpired { get; init; }
}

/// <summary>One message in a subscription's feed.</summary>
/// <param name="Sequence">The delivery's <see cref="WebHookDelivery.Sequence"/>: the cursor after this entry.</param>
/// <param name="Status">The delivery's status (a <see cref="WebHookDeliveryStatus.Skipped"/> one was never pushed).</param>
/// <param name="Message">The message, its body as delivered.</param>
public sealed record WebHookFeedEntry(long Sequence, WebHookDeliveryStatus Status, WebHookMessage Message);
