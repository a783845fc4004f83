namespace Hooks.Receiving;

/// <summary>
/// A message that reached the app other than as a signed request to a mapped endpoint (for example read from the
/// producer's event feed while catching up), for <see cref="WebHookMessageProcessor.ProcessAsync"/>.
/// </summary>
public sealed class WebHookInboundMessage
{
    /// <summary>The message id, the same the producer sends as <c>webhook-id</c> with every push of it: the deduplication key.</summary>
    public required string MessageId { get; init; }

    /// <summary>The event type the source reported; it must equal the body's <c>type</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>When the event happened, as the source reported it; it must equal the body's <c>timestamp</c>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// The body exactly as the producer delivers it: the envelope <c>{"type":…,"timestamp":…,"data":…}</c> in UTF-8.
    /// Read only during <see cref="WebHookMessageProcessor.ProcessAsync"/>.
    /// </summary>
    public required ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>How the message arrived; handlers see it as <see cref="WebHookContext.Source"/>.</summary>
    public WebHookSource Source { get; init; } = WebHookSource.CatchUp;

    /// <summary>The receiver whose handled ids, limits and options apply; the default receiver when <c>null</c>.</summary>
    public string? ReceiverName { get; init; }

    /// <summary>When the source sent it, for <see cref="WebHookContext.SentAt"/>; the time it is processed when <c>null</c>.</summary>
    public DateTimeOffset? SentAt { get; init; }
}
