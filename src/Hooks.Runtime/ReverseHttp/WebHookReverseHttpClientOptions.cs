using System.Net.Http;

namespace Hooks.ReverseHttp;

/// <summary>
/// Settings of a consumer that receives over Reverse HTTP (docs/reverse-http.md): where to dial, which subscription
/// and secret to prove, how many connections, and liveness and reconnection timing.
/// </summary>
public sealed class WebHookReverseHttpClientOptions
{
    /// <summary>The producer's upgrade endpoint, <c>https://producer.example/webhooks/ptth</c>.</summary>
    public Uri? ProducerUrl { get; set; }

    /// <summary>The id of the subscription (its URL a <c>ptth://</c> one) whose deliveries this app receives.</summary>
    public string? SubscriptionId { get; set; }

    /// <summary>One of the subscription's active secrets, <c>whsec_…</c>; the upgrade request is signed with it.</summary>
    public string? Secret { get; set; }

    /// <summary>How many reversed connections to keep open in parallel (each carries one delivery at a time).</summary>
    public int Connections { get; set; } = 2;

    /// <summary>The <c>Upgrade</c> token sent: <c>PTTH/1.0</c> (or <c>PTTH/0.9</c>).</summary>
    public string Protocol { get; set; } = "PTTH/1.0";

    /// <summary>The first reconnection delay (jittered to between half and all of it); it doubles per failure.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest reconnection delay.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A connection with no request in progress from which nothing arrived for this long is taken for dead and
    /// closed (the producer pings idle connections every 10 s), then dialled again.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long dialling and the upgrade exchange may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Adjusts the handler the connections are dialled with (TLS settings, a proxy).</summary>
    public Action<SocketsHttpHandler>? ConfigureHandler { get; set; }
}
