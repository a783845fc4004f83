using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using Hooks.Hosting;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.Options;

namespace Hooks.Delivery;

/// <summary>What one signed POST produced.</summary>
internal readonly record struct WebHookSendResult(
    WebHookAttemptOutcome Outcome,
    int? StatusCode,
    string? ResponseBody,
    TimeSpan? RetryAfter,
    TimeSpan Duration,
    string? Error,
    string? Location = null);

/// <summary>Signs and sends one attempt through the <c>Hooks</c> named HTTP client; classifies the result.</summary>
internal sealed class WebHookSender(IHttpMessageHandlerFactory handlerFactory, TimeProvider time, IOptions<WebHookProducerOptions> options,
    ReverseHttp.ReversedConnections reversed)
{
    /// <summary>The name of the <see cref="HttpClient"/> deliveries use.</summary>
    public const string HttpClientName = "Hooks.Delivery";

    /// <summary>How much of a response body is kept.</summary>
    public const int MaxResponseBytes = 1024;

    // The named client's handler chain from the factory, invoked directly: the handler lives as long as the app
    // (SetHandlerLifetime(Infinite); it rotates its own connections), and HttpClient's extras (its own timeout, a
    // linked token per request) are not needed: each attempt has its own timeout.
    private HttpMessageInvoker? _invoker;


    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebHookSendResult> SendAsync(string subscriptionId, Uri url, string messageId, ReadOnlyMemory<byte> body,
        WebHookSecret[] secrets, int attempt, long sequence, DateTimeOffset now, WebHookAttemptTimeout timeout, WebHookHmacCache hmac)
    {
        var settings = options.Value;
        var seconds = now.ToUnixTimeSeconds();
        var signature = WebHookSigner.Sign(secrets, messageId, seconds, body.Span, hmac);
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ReadOnlyMemoryContent(body),
            Version = HttpVersion.Version11,
        };
        // Plain strings: a header added without validation is stored as the string itself and written as is; a typed
        // value costs its objects, a per-header lock and a ToString when the request is written.
        request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        var headers = request.Headers;
        headers.TryAddWithoutValidation(WebHookHeaders.Id, messageId);
        headers.TryAddWithoutValidation(WebHookHeaders.Timestamp, TimestampText(seconds));
        headers.TryAddWithoutValidation(WebHookHeaders.Signature, signature);
        headers.TryAddWithoutValidation(WebHookHeaders.Attempt, AttemptText(attempt));
        if (sequence > 0)
        {
            headers.TryAddWithoutValidation(WebHookHeaders.Sequence, sequence.ToString(CultureInfo.InvariantCulture));
            // Which feed the number belongs to, so a consumer reading several feeds knows which one has the gap.
            headers.TryAddWithoutValidation(Security.WebHookRequestSigner.SubscriptionHeader, subscriptionId);
        }
        headers.TryAddWithoutValidation("User-Agent", settings.UserAgent);

        var started = time.GetTimestamp();
        var token = timeout.Start(settings.RequestTimeout);
        ReverseHttp.ReversedConnection? connection = null;
        try
        {
            HttpMessageInvoker client;
            if (ReverseHttp.WebHookReverseHttpAddress.IsReversed(url))
            {
                // Over a reversed connection of the subscription (docs/reverse-http.md): the same request, signature,
                // classification and recording; only the connection comes from the consumer's dial-in.
                connection = await reversed.AcquireAsync(subscriptionId, token).ConfigureAwait(false);
                if (connection is null)
                {
                    return new(WebHookAttemptOutcome.ConnectionError, null, null, null, time.GetElapsedTime(started), NoReversedConnection);
                }
                request.RequestUri = connection.RequestUri(url);
                client = reversed.Invoker;
            }
            else
            {
                client = _invoker ??= new HttpMessageInvoker(handlerFactory.CreateHandler(HttpClientName), disposeHandler: false);
            }
            // HttpMessageInvoker returns once the headers are read; the body is read below, up to 1 KiB.
            using var response = await client.SendAsync(request, token).ConfigureAwait(false);
            var duration = time.GetElapsedTime(started);
            var status = (int)response.StatusCode;
            // 204 and 304 have no body (RFC 9110); the handler's content for them has no length to test.
            var text = status is 204 or 304 || response.Content.Headers.ContentLength == 0
                ? null
                : await ReadPrefixAsync(response.Content, token).ConfigureAwait(false);
            var outcome = Classify(status);
            return new WebHookSendResult(outcome, status, text, RetryAfter(response, now), duration, null,
                outcome == WebHookAttemptOutcome.Redirect ? Location(response) : null);
        }
        catch (OperationCanceledException) when (timeout.TimedOut)
        {
            return new(WebHookAttemptOutcome.Timeout, null, null, null, time.GetElapsedTime(started),
                $"No response within {settings.RequestTimeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException ex) when (Find<WebHookAddressRefusedException>(ex) is { } refused)
        {
            return new(WebHookAttemptOutcome.AddressRefused, null, null, null, time.GetElapsedTime(started), refused.Message);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !timeout.IsStopping)
        {
            return new(WebHookAttemptOutcome.ConnectionError, null, null, null, time.GetElapsedTime(started), Describe(ex));
        }
        finally
        {
            timeout.Stop();
            if (connection is not null)
            {
                reversed.Release(connection);
            }
        }
    }

    private const string NoReversedConnection = "Connection failed: no reversed connection from the consumer is open.";

    // The schedule has a handful of attempts: their header values are made once.
    private static readonly string[] AttemptTexts = [.. Enumerable.Range(0, 33).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static string AttemptText(int attempt) =>
        (uint)attempt < (uint)AttemptTexts.Length ? AttemptTexts[attempt] : attempt.ToString(CultureInfo.InvariantCulture);

    private const string ContentType = "application/json; charset=utf-8";

    // Every attempt within the same second sends the same timestamp text: made once per second, not per request.
    private sealed class Timestamp(long seconds)
    {
        public readonly long Seconds = seconds;
        public readonly string Text = seconds.ToString(CultureInfo.InvariantCulture);
    }

    private Timestamp? _timestamp;

    private string TimestampText(long seconds)
    {
        var cached = Volatile.Read(ref _timestamp); // one reference, replaced whole: never a torn pair
        if (cached is null || cached.Seconds != seconds)
        {
            cached = new Timestamp(seconds);
            Volatile.Write(ref _timestamp, cached);
        }
        return cached.Text;
    }

    internal static WebHookAttemptOutcome Classify(int status) => status switch
    {
        >= 200 and < 300 => WebHookAttemptOutcome.Succeeded,
        >= 300 and < 400 => WebHookAttemptOutcome.Redirect,
        410 => WebHookAttemptOutcome.Gone,
        429 or 502 or 503 or 504 => WebHookAttemptOutcome.BackOff,
        _ => WebHookAttemptOutcome.HttpError,
    };

    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        var value = response.Headers.RetryAfter;
        if (value?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (value?.Date is { } date)
        {
            var wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<string?> ReadPrefixAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxResponseBytes);
        try
        {
            var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var total = 0;
                int read;
                while (total < MaxResponseBytes &&
                       (read = await stream.ReadAsync(buffer.AsMemory(total, MaxResponseBytes - total), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                }
                return total == 0 ? null : Encoding.UTF8.GetString(buffer, 0, total);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return null; // the status line arrived; a broken body does not change the outcome
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Where a redirect pointed (it is not followed), as sent, cut to <see cref="WebHookAttempt.MaxLocationLength"/>.</summary>
    private static string? Location(HttpResponseMessage response)
    {
        if (!response.Headers.NonValidated.TryGetValues("Location", out var values))
        {
            return null;
        }
        foreach (var value in values)
        {
            return value.Length > WebHookAttempt.MaxLocationLength ? value[..WebHookAttempt.MaxLocationLength] : value;
        }
        return null;
    }

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T match)
            {
                return match;
            }
        }
        return null;
    }

    private static string Describe(Exception ex)
    {
        if (Find<System.Net.Sockets.SocketException>(ex) is { } socket)
        {
            return "Connection failed: " + socket.SocketErrorCode.ToString() + ".";
        }
        return ex is HttpRequestException { HttpRequestError: var kind and not HttpRequestError.Unknown }
            ? "Connection failed: " + kind.ToString() + "."
            : "Connection failed: " + ex.GetType().Name + ".";
    }

    /// <summary>
    /// Starts the attempt's span as a child of the message's publish context (a root when it has none), so the
    /// <c>traceparent</c> the request carries puts the consumer in the publisher's trace, every retry included.
    /// </summary>
    internal static Activity? StartAttemptActivity(string? publishTraceParent, string messageId, string subscriptionId,
        string eventType, int attempt)
    {
        var source = Diagnostics.WebHookDiagnostics.ActivitySource;
        if (!source.HasListeners())
        {
            return null; // nothing parsed, nothing made
        }
        ActivityContext.TryParse(publishTraceParent, null, isRemote: true, out var parent);
        var activity = source.StartActivity("webhook attempt", ActivityKind.Client, parent);
        if (activity is not null)
        {
            activity.SetTag("webhook.message_id", messageId);
            activity.SetTag("webhook.subscription_id", subscriptionId);
            activity.SetTag("webhook.event_type", eventType);
            activity.SetTag("webhook.attempt", attempt);
        }
        return activity;
    }
}
