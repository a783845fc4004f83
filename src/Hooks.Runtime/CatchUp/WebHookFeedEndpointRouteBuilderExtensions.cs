using System.Globalization;
using System.Text.Json;
using Hooks.CatchUp;
using Hooks.Hosting;
using Hooks.Receiving;
using Hooks.ReverseHttp;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the producer's event feed, where consumers catch up on what their pushes missed (docs/catch-up.md).</summary>
public static class WebHookFeedEndpointRouteBuilderExtensions
{
    /// <summary>The number of events a page holds when the request names no <c>limit</c>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The most events a page may hold.</summary>
    public const int MaxLimit = WebHookFeedClient.MaxLimit;

    /// <summary>
    /// Maps <c>GET {pattern}</c>: one subscription's events in sequence order, for a consumer that proves possession of
    /// one of the subscription's active secrets with the signed consumer request scheme (docs/reverse-http.md; the same
    /// verifier and nonce cache as reversed connections). Query: <c>after</c> (a sequence, the consumer's cursor) or
    /// <c>since</c> (an ISO 8601 time: from the first event at or after it), <c>limit</c> (1 to 1000, default 100),
    /// <c>undelivered=true</c> (only events not delivered successfully). Each event's <c>body</c> is written byte for
    /// byte as it was delivered. Refusals are Problem Details: 401 (missing, wrong or replayed proof), 400 (a malformed
    /// or repeated parameter, a limit out of range, <c>after</c> with <c>since</c>), 410 (the cursor is older than
    /// retention), 429 with <c>Retry-After</c> (too many signed requests remembered).
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route, <c>/webhooks/feed</c> by default.</param>
    public static IEndpointConventionBuilder MapWebHookFeed(this IEndpointRouteBuilder endpoints, string pattern = "/webhooks/feed")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<WebHookRequestVerifier>() is null)
        {
            throw new InvalidOperationException("MapWebHookFeed needs the producer: call services.AddWebHooks().AddProducer() first.");
        }
        return endpoints.MapGet(pattern, (RequestDelegate)WebHookFeedEndpoint.ServeAsync).WithDisplayName("Webhook event feed");
    }
}

/// <summary>The feed endpoint's request handling: parse and bound the query, verify the consumer, read the store, write the page.</summary>
internal static class WebHookFeedEndpoint
{
    /// <summary>At most this many entries are looked at for one <c>undelivered=true</c> page, so a long run of delivered events costs a bounded read.</summary>
    internal const int MaxScanned = 10_000;

    private const int MaxParameterLength = 64;

    public static async Task ServeAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Hooks.CatchUp.Feed");
        var request = http.Request;
        http.Response.Headers.CacheControl = "no-store";

        if (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
        {
            await RefuseAsync(http, logger, StatusCodes.Status400BadRequest, "Bad Request", "A feed request has no body.").ConfigureAwait(false);
            return;
        }
        if (!TryParse(request.Query, out var query, out var problem))
        {
            // Checked before the proof so a malformed request costs no store read; it names nothing of the subscription.
            await RefuseAsync(http, logger, StatusCodes.Status400BadRequest, "Bad Request", problem!).ConfigureAwait(false);
            return;
        }

        var verifier = services.GetRequiredService<WebHookRequestVerifier>();
        var (proof, subscription) = await verifier.VerifyAsync(http, ReadOnlyMemory<byte>.Empty, http.RequestAborted, allowDisabled: true).ConfigureAwait(false);
        switch (proof)
        {
            case WebHookRequestProof.Valid:
                break;
            case WebHookRequestProof.Busy:
                var retry = services.GetRequiredService<IOptions<WebHookReverseHttpOptions>>().Value.RetryAfter;
                http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await RefuseAsync(http, logger, StatusCodes.Status429TooManyRequests, "Too Many Requests",
                    "Too many signed requests are being remembered; try again later.").ConfigureAwait(false);
                return;
            default:
                http.Response.Headers.WWWAuthenticate = "Webhook-Signature";
                await RefuseAsync(http, logger, StatusCodes.Status401Unauthorized, "Unauthorized",
                    proof == WebHookRequestProof.Replayed
                        ? "The request's proof was used before; sign each request afresh."
                        : "The request does not prove possession of an active secret of the named subscription.").ConfigureAwait(false);
                return;
        }

        var store = services.GetRequiredService<IWebHookStore>();
        var ct = http.RequestAborted;
        var subscriptionId = subscription!.Id;
        long after;
        if (query.Since is { } since)
        {
            after = await SeekAsync(store, subscriptionId, since, ct).ConfigureAwait(false);
        }
        else
        {
            after = query.After ?? 0;
        }

        // One more than asked for says whether the page reaches the head.
        var entries = new List<WebHookFeedEntry>(Math.Min(query.Limit, 256));
        var next = after;
        var atHead = false;
        var scanned = 0;
        var first = true;
        while (true)
        {
            var page = await store.ReadFeedAsync(subscriptionId, next, query.Limit + 1, ct).ConfigureAwait(false);
            if (first && page.CursorExpired && query.After is not null)
            {
                var retention = services.GetRequiredService<IOptions<WebHookProducerOptions>>().Value.Retention;
                await RefuseAsync(http, logger, StatusCodes.Status410Gone, "Cursor expired", string.Create(CultureInfo.InvariantCulture,
                    $"Events after sequence {query.After} are no longer retained (retention is {retention.TotalDays:0.##} days): they cannot be read any more. Read from the oldest retained event (repeat the request without 'after'), and reconcile what happened in between another way.")).ConfigureAwait(false);
                return;
            }
            first = false;
            var taken = 0;
            foreach (var entry in page.Entries)
            {
                if (taken == query.Limit)
                {
                    break;
                }
                taken++;
                next = entry.Sequence;
                if (!query.Undelivered || entry.Status != WebHookDeliveryStatus.Succeeded)
                {
                    entries.Add(entry);
                    if (entries.Count == query.Limit)
                    {
                        break;
                    }
                }
            }
            scanned += taken;
            if (page.Entries.Count <= taken)
            {
                atHead = true; // nothing past what was taken
                break;
            }
            if (entries.Count == query.Limit || !query.Undelivered || scanned >= MaxScanned)
            {
                break;
            }
        }
        if (!query.Undelivered && entries.Count > 0)
        {
            next = entries[^1].Sequence;
        }

        FeedLog.Served(logger, subscriptionId, after, entries.Count, atHead);
        Count(StatusCodes.Status200OK); // before the page is written: a reader that has it sees it counted
        await WritePageAsync(http, entries, next, atHead).ConfigureAwait(false);
    }

    /// <summary>
    /// The cursor before the first event that happened at or after <paramref name="since"/>: a binary search over the
    /// sequence (events are numbered in commit order, their times rise with it), a bounded number of one-entry reads.
    /// </summary>
    internal static async ValueTask<long> SeekAsync(IWebHookStore store, string subscriptionId, DateTimeOffset since, CancellationToken ct)
    {
        // The first entry at sequence s or later.
        async ValueTask<WebHookFeedEntry?> At(long s)
        {
            var page = await store.ReadFeedAsync(subscriptionId, Math.Max(0, s - 1), 1, ct).ConfigureAwait(false);
            return page.Entries.Count > 0 ? page.Entries[0] : null;
        }

        var oldest = await At(1).ConfigureAwait(false);
        if (oldest is null || oldest.Message.Timestamp >= since)
        {
            return oldest is null ? 0 : oldest.Sequence - 1;
        }
        // lo: an entry that happened before since. Gallop for hi, a sequence whose first entry is at or after since (or none).
        long lo = oldest.Sequence, step = 1, hi;
        for (var i = 0; ; i++)
        {
            hi = lo + step;
            var probe = await At(hi).ConfigureAwait(false);
            if (probe is null || probe.Message.Timestamp >= since || i >= 62)
            {
                break;
            }
            lo = probe.Sequence;
            step = step < long.MaxValue / 4 ? step * 2 : step;
        }
        // Smallest s in (lo, hi] whose first entry is at or after since (or none).
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            var probe = await At(mid).ConfigureAwait(false);
            if (probe is null || probe.Message.Timestamp >= since)
            {
                hi = mid;
            }
            else
            {
                lo = probe.Sequence >= hi ? hi - 1 : probe.Sequence;
            }
        }
        return hi - 1;
    }

    private static async Task WritePageAsync(HttpContext http, List<WebHookFeedEntry> entries, long next, bool atHead)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        var body = response.BodyWriter;
        var writer = new Utf8JsonWriter(body);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events"u8);
            foreach (var entry in entries)
            {
                var message = entry.Message;
                writer.WriteStartObject();
                writer.WriteString("id"u8, message.Id);
                writer.WriteString("type"u8, message.EventType);
                writer.WriteString("timestamp"u8, message.Timestamp);
                writer.WriteNumber("sequence"u8, entry.Sequence);
                writer.WriteString("status"u8, StatusText(entry.Status));
                // The envelope as delivered: JSON already, copied in byte for byte (never parsed and written again).
                writer.WritePropertyName("body"u8);
                writer.WriteRawValue(message.Body.Span, skipInputValidation: true);
                writer.WriteEndObject();
                if (writer.BytesPending > 32 * 1024)
                {
                    writer.Flush();
                    await body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
                }
            }
            writer.WriteEndArray();
            writer.WriteNumber("next"u8, next);
            writer.WriteBoolean("atHead"u8, atHead);
            writer.WriteEndObject();
        }
        await body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static string StatusText(WebHookDeliveryStatus status) => status switch
    {
        WebHookDeliveryStatus.Succeeded => "succeeded",
        WebHookDeliveryStatus.Failed => "failed",
        WebHookDeliveryStatus.Skipped => "skipped",
        _ => "pending",
    };

    internal readonly record struct FeedQuery(long? After, DateTimeOffset? Since, int Limit, bool Undelivered);

    internal static bool TryParse(IQueryCollection query, out FeedQuery parsed, out string? problem)
    {
        parsed = default;
        if (!TrySingle(query, "after", out var afterText, out problem) || !TrySingle(query, "since", out var sinceText, out problem) ||
            !TrySingle(query, "limit", out var limitText, out problem) || !TrySingle(query, "undelivered", out var undeliveredText, out problem))
        {
            return false;
        }
        long? after = null;
        if (afterText is not null)
        {
            if (!IsDigits(afterText) || !long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                problem = "'after' must be a sequence number: digits only, zero or more, as a page's 'next' gave it.";
                return false;
            }
            after = value;
        }
        DateTimeOffset? since = null;
        if (sinceText is not null)
        {
            if (after is not null)
            {
                problem = "Give 'after' or 'since', not both.";
                return false;
            }
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            {
                problem = "'since' must be an ISO 8601 time, such as 2026-11-30T06:00:00Z.";
                return false;
            }
            since = value;
        }
        var limit = DefaultLimitValue;
        if (limitText is not null &&
            (!IsDigits(limitText) || !int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > WebHookFeedClient.MaxLimit))
        {
            problem = $"'limit' must be a whole number from 1 to {WebHookFeedClient.MaxLimit}.";
            return false;
        }
        var undelivered = false;
        if (undeliveredText is not null && !bool.TryParse(undeliveredText, out undelivered))
        {
            problem = "'undelivered' must be true or false.";
            return false;
        }
        parsed = new FeedQuery(after, since, limit, undelivered);
        return true;
    }

    private const int DefaultLimitValue = WebHookFeedEndpointRouteBuilderExtensions.DefaultLimit;

    private static bool TrySingle(IQueryCollection query, string name, out string? value, out string? problem)
    {
        value = null;
        problem = null;
        if (!query.TryGetValue(name, out StringValues values))
        {
            return true;
        }
        if (values.Count != 1 || string.IsNullOrEmpty(values[0]) || values[0]!.Length > MaxParameterLength)
        {
            problem = $"'{name}' must be given once, with a value of at most {MaxParameterLength} characters.";
            return false;
        }
        value = values[0];
        return true;
    }

    private static bool IsDigits(string text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static Task RefuseAsync(HttpContext http, ILogger logger, int status, string title, string detail)
    {
        FeedLog.Refused(logger, status, detail);
        Count(status);
        return Problem.WriteAsync(http, status, title, detail);
    }

    private static void Count(int status) =>
        CatchUpMetrics.FeedRequests.Add(1, new KeyValuePair<string, object?>("http.response.status_code", status));
}

/// <summary>The feed's and the poller's source-generated logs: ids, numbers and outcomes, never secrets or signatures.</summary>
internal static partial class FeedLog
{
    [LoggerMessage(401, LogLevel.Debug, "Feed of {SubscriptionId} read after {After}: {Count} events, at head: {AtHead}.")]
    public static partial void Served(ILogger logger, string subscriptionId, long after, int count, bool atHead);

    [LoggerMessage(402, LogLevel.Information, "Feed request refused with {StatusCode}: {Reason}")]
    public static partial void Refused(ILogger logger, int statusCode, string reason);
}
