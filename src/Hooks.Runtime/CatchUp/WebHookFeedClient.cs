using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hooks.Receiving;
using Hooks.Security;

namespace Hooks.CatchUp;

/// <summary>
/// Reads one subscription's event feed from its producer, a page at a time: <c>GET {feed}?after={cursor}&amp;limit={n}</c>,
/// signed with the consumer request scheme (<see cref="WebHookRequestSigner"/>), answered with the page format of
/// docs/catch-up.md (served by <c>MapWebHookFeed</c>). Everything read is bounded and checked: the response size, the
/// number of events, their order and each body's size. Internal: the catch-up poller is its only user (the CLI reads
/// pages as JSON for display and needs none of its checks).
/// </summary>
internal sealed class WebHookFeedClient
{
    /// <summary>The most events a page may ask for.</summary>
    public const int MaxLimit = 1000;

    private readonly HttpClient _http;
    private readonly Uri _feed;
    private readonly string _subscriptionId;
    private readonly WebHookSecret _secret;
    private readonly TimeProvider _time;
    private readonly int _maxBodyBytes;

    /// <param name="http">Sends the requests (its handler must not follow redirects: the signature covers the target).</param>
    /// <param name="feed">The feed's absolute URL, without a query.</param>
    /// <param name="subscriptionId">The subscription whose events are read.</param>
    /// <param name="secret">One of the subscription's active secrets; proves possession, never sent.</param>
    /// <param name="time">The signing clock.</param>
    /// <param name="maxBodyBytes">The largest event body accepted (the receiver's <c>MaxBodyBytes</c>).</param>
    public WebHookFeedClient(HttpClient http, Uri feed, string subscriptionId, WebHookSecret secret, TimeProvider time,
        int maxBodyBytes = Hosting.WebHookReceiverOptions.DefaultMaxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(feed);
        ArgumentException.ThrowIfNullOrEmpty(subscriptionId);
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(time);
        if (!feed.IsAbsoluteUri || !string.IsNullOrEmpty(feed.Query) || (feed.Scheme != Uri.UriSchemeHttps && feed.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("The feed URL must be an absolute http(s) URL without a query.", nameof(feed));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBodyBytes, 1);
        _http = http;
        _feed = feed;
        _subscriptionId = subscriptionId;
        _secret = secret;
        _time = time;
        _maxBodyBytes = maxBodyBytes;
    }

    /// <summary>The most bytes a response of <paramref name="limit"/> events may have: every body at its limit, plus framing.</summary>
    public long MaxResponseBytes(int limit) => (long)limit * (_maxBodyBytes + 1024) + 1024;

    /// <summary>Reads the events after <paramref name="after"/> (from the oldest retained when <c>null</c>), at most <paramref name="limit"/>.</summary>
    /// <exception cref="WebHookFeedException">The producer refused the request, or its answer does not follow the format.</exception>
    /// <exception cref="HttpRequestException">The producer could not be reached.</exception>
    public async Task<WebHookFeedPage> ReadAsync(long? after, int limit, CancellationToken cancellationToken)
    {
        if (after is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(after), "A cursor is zero or more.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxLimit);

        var query = after is { } cursor
            ? string.Create(CultureInfo.InvariantCulture, $"?after={cursor}&limit={limit}")
            : string.Create(CultureInfo.InvariantCulture, $"?limit={limit}");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_feed, _feed.AbsolutePath + query));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        WebHookRequestSigner.Sign(request, _subscriptionId, _secret, default, _time.GetUtcNow());

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var max = MaxResponseBytes(limit);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw await RefusalAsync(response, cancellationToken).ConfigureAwait(false);
        }
        if (response.Content.Headers.ContentType?.MediaType is not { } mediaType ||
            !mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new WebHookFeedException(null, "The feed answered 200 with a body that is not application/json.");
        }
        var body = await ReadBoundedAsync(response.Content, max, cancellationToken).ConfigureAwait(false)
            ?? throw new WebHookFeedException(null, $"The feed's page is larger than {max} bytes for {limit} events.");
        return Parse(body, after, limit);
    }

    /// <summary>Parses a page and checks it against the request: at most the limit, sequences increasing past the cursor.</summary>
    internal WebHookFeedPage Parse(ReadOnlyMemory<byte> json, long? after, int limit)
    {
        try
        {
            return ParseCore(json, after, limit);
        }
        catch (JsonException)
        {
            throw new WebHookFeedException(null, "The feed's page is not valid JSON.");
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader's typed getters throw this on a value of the wrong JSON kind.
            throw new WebHookFeedException(null, "The feed's page has a member of the wrong JSON kind.");
        }
        catch (FormatException)
        {
            throw new WebHookFeedException(null, "The feed's page has a malformed value.");
        }
    }

    private WebHookFeedPage ParseCore(ReadOnlyMemory<byte> json, long? after, int limit)
    {
        var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = 64 });
        Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject, "The feed's page is not a JSON object.");
        List<WebHookFeedEvent>? events = null;
        long? next = null;
        bool? atHead = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("events"u8))
            {
                Expect(events is null, "The feed's page has 'events' twice.");
                reader.Read();
                events = ReadEvents(ref reader, json, after, limit);
            }
            else if (reader.ValueTextEquals("next"u8))
            {
                reader.Read();
                next = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("atHead"u8))
            {
                reader.Read();
                atHead = reader.GetBoolean();
            }
            else
            {
                // Members a later version adds are skipped.
                reader.Read();
                reader.Skip();
            }
        }
        Expect(events is not null && next is not null && atHead is not null, "The feed's page lacks 'events', 'next' or 'atHead'.");
        var last = events!.Count > 0 ? events[^1].Sequence : after ?? 0;
        Expect(next == last, "The feed's 'next' cursor is not the sequence of the page's last event.");
        return new WebHookFeedPage(events, next!.Value, atHead!.Value);
    }

    private List<WebHookFeedEvent> ReadEvents(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, long? after, int limit)
    {
        Expect(reader.TokenType == JsonTokenType.StartArray, "The feed's 'events' is not an array.");
        var events = new List<WebHookFeedEvent>();
        var previous = after ?? 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(events.Count < limit, $"The feed sent more than the {limit} events asked for.");
            Expect(reader.TokenType == JsonTokenType.StartObject, "A feed event is not a JSON object.");
            string? id = null, type = null;
            DateTimeOffset? timestamp = null;
            long? sequence = null;
            ReadOnlyMemory<byte>? body = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8)) { reader.Read(); id = reader.GetString(); }
                else if (reader.ValueTextEquals("type"u8)) { reader.Read(); type = reader.GetString(); }
                else if (reader.ValueTextEquals("timestamp"u8)) { reader.Read(); timestamp = reader.GetDateTimeOffset(); }
                else if (reader.ValueTextEquals("sequence"u8)) { reader.Read(); sequence = reader.GetInt64(); }
                else if (reader.ValueTextEquals("body"u8))
                {
                    reader.Read();
                    Expect(reader.TokenType == JsonTokenType.StartObject, "A feed event's body is not a JSON object.");
                    // The body is embedded as the producer delivered it: slice its exact bytes out of the page.
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    var length = (int)reader.BytesConsumed - start;
                    Expect(length <= _maxBodyBytes, $"A feed event's body is larger than {_maxBodyBytes} bytes.");
                    body = json.Slice(start, length);
                }
                else { reader.Read(); reader.Skip(); }
            }
            Expect(id is { Length: > 0 } && type is { Length: > 0 } && timestamp is not null && sequence is not null && body is not null,
                "A feed event lacks 'id', 'type', 'timestamp', 'sequence' or 'body'.");
            Expect(WebHookVerifier.IsWellFormedId(id!), "A feed event's id is not 1 to 256 printable ASCII characters without spaces.");
            Expect(sequence > previous, "The feed's events are not in increasing sequence after the cursor.");
            previous = sequence!.Value;
            events.Add(new WebHookFeedEvent(id!, type!, timestamp!.Value, sequence.Value, body!.Value));
        }
        return events;
    }

    private static void Expect(bool condition, string problem)
    {
        if (!condition)
        {
            throw new WebHookFeedException(null, problem);
        }
    }

    /// <summary>The body, or <c>null</c> past <paramref name="max"/> bytes (read no further than that).</summary>
    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, long max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > max)
        {
            return null;
        }
        using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The producer's refusal: its status, and its Problem Details' title and detail when it sent them (bounded).</summary>
    private static async Task<WebHookFeedException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        string? said = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            var body = await ReadBoundedAsync(response.Content, 16 * 1024, cancellationToken).ConfigureAwait(false);
            if (body is not null)
            {
                said = ProblemText(body);
            }
        }
        return new WebHookFeedException(status, $"The feed answered {status}{(said is null ? "." : ": " + said)}");
    }

    private static string? ProblemText(byte[] body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            var title = problem.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var detail = problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            var text = string.Join(" ", new[] { title, detail }.Where(s => !string.IsNullOrEmpty(s)));
            return text.Length == 0 ? null : text.Length > 500 ? text[..500] + "…" : text;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One page of a subscription's feed.</summary>
/// <param name="Events">The events after the cursor, in sequence order.</param>
/// <param name="Next">The cursor to ask after next: the last event's sequence (the cursor given when the page is empty).</param>
/// <param name="AtHead">Whether these were the newest events when the producer answered.</param>
internal sealed record WebHookFeedPage(IReadOnlyList<WebHookFeedEvent> Events, long Next, bool AtHead);

/// <summary>An event as the feed serves it.</summary>
/// <param name="Id">The message id (<c>webhook-id</c> of its pushes).</param>
/// <param name="Type">The event type.</param>
/// <param name="Timestamp">When the event happened.</param>
/// <param name="Sequence">Its number in the subscription's gapless sequence.</param>
/// <param name="Body">The body exactly as delivered, sliced from the page.</param>
internal sealed record WebHookFeedEvent(string Id, string Type, DateTimeOffset Timestamp, long Sequence, ReadOnlyMemory<byte> Body)
{
    /// <summary>The event as a message for <see cref="WebHookMessageProcessor"/>.</summary>
    public WebHookInboundMessage ToMessage(string? receiverName) => new()
    {
        MessageId = Id,
        EventType = Type,
        Timestamp = Timestamp,
        Body = Body,
        Source = WebHookSource.CatchUp,
        ReceiverName = receiverName,
    };
}

/// <summary>The feed refused a request (<see cref="StatusCode"/>) or answered outside the format (<c>null</c>).</summary>
internal sealed class WebHookFeedException(int? statusCode, string message) : Exception(message)
{
    /// <summary>The producer's status code, or <c>null</c> when its answer did not follow the format.</summary>
    public int? StatusCode { get; } = statusCode;
}
