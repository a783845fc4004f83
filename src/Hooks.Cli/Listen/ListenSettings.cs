using Hooks.Security;

namespace Hooks.Cli.Listen;

/// <summary>What <c>hooks listen</c> was asked to do, checked.</summary>
internal sealed record ListenSettings(Uri Producer, string SubscriptionId, WebHookSecret Secret, Uri Forward)
{
    /// <summary>The only request path forwarded (the path of the subscription's <c>ptth://</c> URL); any when <c>null</c>.</summary>
    public string? Path { get; init; }

    /// <summary>How many reversed connections to keep open (deliveries in parallel).</summary>
    public int Connections { get; init; } = 2;

    /// <summary>How long the local app may take to answer (under the producer's 15 s, so its 504 gets back in time).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How far a delivery's timestamp may be from now.</summary>
    public TimeSpan Tolerance { get; init; } = WebHookVerifier.DefaultTolerance;

    /// <summary>Print one JSON object per line instead of text.</summary>
    public bool Json { get; init; }
}

/// <summary>One delivery as printed: when it came, what it was, and how the local app answered.</summary>
internal sealed class DeliveryLine(DateTimeOffset time, string? id, string? attempt)
{
    public DateTimeOffset Time { get; } = time;

    public string? Id { get; } = id;

    public string? Attempt { get; } = DeliveryForwarder.Printable(attempt);

    public string? Type { get; set; }

    public int Status { get; set; }

    /// <summary>Whether the local app was asked (false: hooks listen answered it itself).</summary>
    public bool Forwarded { get; set; }

    public TimeSpan Duration { get; set; }

    /// <summary>Why hooks listen answered itself, or what went wrong forwarding; never a secret or a header value.</summary>
    public string? Error { get; set; }
}
