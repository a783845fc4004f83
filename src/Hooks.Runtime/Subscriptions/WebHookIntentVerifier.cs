using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hooks.Delivery;
using Hooks.Diagnostics;
using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hooks.Subscriptions;

/// <summary>
/// The producer side of intent verification (docs/intent-verification.md): the <c>webhook.challenge</c> echo (see
/// <see cref="WebHookChallenge"/>), or, in <see cref="WebHookIntentVerificationMode.Ping"/> mode, a signed
/// <c>webhook.ping</c> message that must be answered with any 2xx.
/// </summary>
internal sealed class WebHookIntentVerifier(IHttpClientFactory httpClientFactory, TimeProvider time,
    IOptions<WebHookProducerOptions> options, ILogger<WebHookIntentVerifier> logger, ReverseHttp.ReversedConnections reversed)
{
    private static readonly TimeSpan ChallengeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The event type of the signed ping of <see cref="WebHookIntentVerificationMode.Ping"/> mode.</summary>
    public const string PingEventType = "webhook.ping";

    /// <summary>
    /// Checks <paramref name="url"/> in the subscription's mode; returns <c>null</c> when it passed, else why not.
    /// </summary>
    public async Task<string?> VerifyAsync(WebHookSubscription subscription, Uri url, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ping = subscription.Verification == WebHookIntentVerificationMode.Ping;
        var challenge = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var body = ping ? WritePing(subscription.Id, now) : WriteChallenge(challenge, now);
        var id = WebHookIds.NewMessageId(now);
        var secrets = subscription.ActiveSecrets(now).ToArray();
        if (secrets.Length == 0)
        {
            return "The subscription has no active secret.";
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebHookHeaders.Id, id);
        request.Headers.TryAddWithoutValidation(WebHookHeaders.Timestamp, now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(WebHookHeaders.Signature, WebHookSigner.Sign(secrets, id, now.ToUnixTimeSeconds(), body));
        request.Headers.TryAddWithoutValidation("User-Agent", options.Value.UserAgent);

        string? failure;
        using var timeout = new CancellationTokenSource(ChallengeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // A ptth:// URL's challenge travels over a reversed connection the consumer opened (docs/reverse-http.md).
            using var response = ReverseHttp.WebHookReverseHttpAddress.IsReversed(url)
                ? await reversed.SendAsync(subscription.Id, request, url, linked.Token).ConfigureAwait(false)
                : await httpClientFactory.CreateClient(WebHookSender.HttpClientName)
                    .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            if (ping)
            {
                failure = response.IsSuccessStatusCode ? null : $"The signed ping was answered with {(int)response.StatusCode}, not 2xx.";
            }
            else if (response.StatusCode != HttpStatusCode.OK)
            {
                failure = $"The challenge was answered with {(int)response.StatusCode}, not 200.";
            }
            else
            {
                var answer = await ReadAsync(response.Content, linked.Token).ConfigureAwait(false);
                failure = answer is not null && Matches(answer, challenge)
                    ? null
                    : $"The answer was not {{\"{WebHookChallenge.ChallengeProperty}\":\"<the value sent>\"}}.";
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            failure = ping ? "The signed ping was not answered in time." : "The challenge was not answered in time.";
        }
        catch (HttpRequestException ex)
        {
            failure = ex.InnerException is WebHookAddressRefusedException refused
                ? $"{refused.Message} {nameof(WebHookProducerOptions)}.{nameof(WebHookProducerOptions.AllowedNetworks)} opens such networks (tests, samples)."
                : ReverseHttp.WebHookReverseHttpAddress.IsReversed(url)
                    ? NoReversedConnection
                    : "The check could not be sent: connection failed.";
        }
        Log.IntentVerification(logger, subscription.Id, failure is null ? "answered" : "not answered");
        return failure;
    }

    /// <summary>Why a <c>ptth://</c> subscription waits: nobody dialled in yet, and a dial-in sends the check.</summary>
    internal const string NoReversedConnection =
        "No reversed connection from the consumer is open: the check is sent when the consumer connects.";

    internal static byte[] WriteChallenge(string challenge, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, WebHookChallenge.EventType);
            writer.WriteString("timestamp"u8, now.ToUniversalTime());
            writer.WriteStartObject("data"u8);
            writer.WriteString(WebHookChallenge.ChallengeProperty, challenge);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    internal static byte[] WritePing(string subscriptionId, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, PingEventType);
            writer.WriteString("timestamp"u8, now.ToUniversalTime());
            writer.WriteStartObject("data"u8);
            writer.WriteString("subscriptionId"u8, subscriptionId);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool Matches(byte[] answer, string challenge)
    {
        try
        {
            var reader = new Utf8JsonReader(answer);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isChallenge = reader.ValueTextEquals(WebHookChallenge.ChallengeProperty);
                reader.Read();
                if (isChallenge && reader.TokenType == JsonTokenType.String)
                {
                    var value = reader.GetString() ?? "";
                    return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(challenge));
                }
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<byte[]?> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[WebHookChallenge.MaxResponseBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += read;
            }
            return total > WebHookChallenge.MaxResponseBytes ? null : buffer[..total];
        }
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
