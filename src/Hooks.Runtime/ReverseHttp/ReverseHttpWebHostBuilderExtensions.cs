using Hooks.ReverseHttp;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Receives webhooks over Reverse HTTP: the consumer's side (docs/reverse-http.md).</summary>
public static class ReverseHttpWebHostBuilderExtensions
{
    /// <summary>
    /// Adds a Kestrel endpoint whose connections this app dials out to a producer instead of accepting: each is
    /// upgraded with a request signed with the subscription's secret, then carries the producer's deliveries to the
    /// app's usual endpoints (<c>MapWebHooks()</c>). No socket is listened on for it; other endpoints are unaffected.
    /// </summary>
    /// <param name="builder">The web host builder (<c>builder.WebHost</c>).</param>
    /// <param name="configure">Sets the producer URL, subscription id and secret, and optionally the rest.</param>
    public static IWebHostBuilder UseReverseHttp(this IWebHostBuilder builder, Action<WebHookReverseHttpClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.ConfigureServices(services =>
        {
            services.AddOptions<WebHookReverseHttpClientOptions>().Configure(configure).Validate(o =>
                o.ProducerUrl is { IsAbsoluteUri: true } url && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp) &&
                !string.IsNullOrEmpty(o.SubscriptionId) && Hooks.Security.WebHookSecret.TryParse(o.Secret, out _) &&
                o.Connections >= 1 && o.ReconnectDelay > TimeSpan.Zero && o.MaxReconnectDelay >= o.ReconnectDelay &&
                o.IdleTimeout > TimeSpan.Zero && o.ConnectTimeout > TimeSpan.Zero,
                "WebHookReverseHttpClientOptions needs an http(s) ProducerUrl, a SubscriptionId, a valid Secret (whsec_…), " +
                "at least one connection and positive delays.").ValidateOnStart();
            services.AddSingleton<IConnectionListenerFactory, ReverseHttpTransportFactory>();
        });
        builder.ConfigureKestrel(kestrel => kestrel.Listen(new ReverseHttpEndPoint(), listen => listen.Protocols = HttpProtocols.Http1));
        return builder;
    }
}
