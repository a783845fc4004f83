namespace Hooks;

/// <summary>What a handler knows about the message it handles besides the event itself.</summary>
public sealed class WebHookContext
{
    /// <summary>The message id (<c>webhook-id</c>), the same on every attempt; the key for deduplication.</summary>
    public required string MessageId { get; init; }

    /// <summary>The event type name from the envelope, such as <c>order.created</c>.</summary>
    public required string EventType { get; init; }

    /// <summary>When the event happened, from the envelope's <c>timestamp</c>.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>
    /// When this attempt was signed, from <c>webhook-timestamp</c>; for a message read while catching up, when it was
    /// read.
    /// </summary>
    public required DateTimeOffset SentAt { get; init; }

    /// <summary>The attempt number the producer reported (1 for the first), or <c>null</c> when it did not say.</summary>
    public int? Attempt { get; init; }

    /// <summary>The name of the receiver that accepted the message (several receivers may serve one app).</summary>
    public string ReceiverName { get; init; } = "";

    /// <summary>How the message arrived.</summary>
    public WebHookSource Source { get; init; } = WebHookSource.Push;

    /// <summary>
    /// The request headers, by case-insensitive name. A view over the live request: read it while the handler runs,
    /// copy what must outlive it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyHeaders;

    private static readonly IReadOnlyDictionary<string, string> EmptyHeaders =
        new Dictionary<string, string>(0, StringComparer.OrdinalIgnoreCase);
}

/// <summary>How a message reached the consumer.</summary>
public enum WebHookSource
{
    /// <summary>The producer POSTed it to this app's endpoint.</summary>
    Push,

    /// <summary>
    /// The producer sent it as a request over a connection this app dialled out and the producer reversed (Reverse
    /// HTTP): signed and verified exactly as a push.
    /// </summary>
    Reversed,

    /// <summary>
    /// This app read it from the producer's event feed while catching up on events it missed; the feed request, not
    /// the message, was authenticated.
    /// </summary>
    CatchUp,
}
