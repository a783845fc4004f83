using System.Globalization;
using System.Text;
using Hooks.CatchUp;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.CatchUp;

/// <summary>
/// The feed client against a small real Kestrel feed that serves the draft format of docs/catch-up.md and checks each
/// request's consumer signature, as the producer's endpoint will.
/// </summary>
public sealed class FeedClientTests
{
    private const string SubscriptionId = "sub_feed1";
    private static readonly WebHookSecret Secret = WebHookSecret.Generate();

    /// <summary>A feed of <paramref name="count"/> order events (sequences 1..count); bodies keep odd spacing and escapes.</summary>
    private sealed class Feed : IAsyncDisposable
    {
        private LoopbackApp _app = null!;

        public List<(string Id, long Sequence, string Body)> Events { get; } = [];

        public List<string> Targets { get; } = [];

        /// <summary>When set, answers every request with this instead of a page.</summary>
        public Func<HttpContext, Task>? Override { get; set; }

        public Uri Url => new(_app.Address, "/webhooks/feed");

        public static async Task<Feed> StartAsync(int count)
        {
            var feed = new Feed();
            for (var i = 1; i <= count; i++)
            {
                var body = "{\"type\":\"order.created\", \"timestamp\":\"2026-11-30T06:00:" + (i % 60).ToString("00", CultureInfo.InvariantCulture) +
                    "+00:00\",\"data\":{\"orderId\":\"o-\\u00e9" + i.ToString(CultureInfo.InvariantCulture) + "\",\"total\":" + i.ToString(CultureInfo.InvariantCulture) + "}}";
                feed.Events.Add(($"msg_feed{i}", i, body));
            }
            feed._app = await LoopbackApp.StartAsync(_ => { }, app => app.MapGet("/webhooks/feed", feed.ServeAsync));
            return feed;
        }

        private async Task ServeAsync(HttpContext http)
        {
            var target = http.Features.Get<IHttpRequestFeature>()!.RawTarget;
            lock (Targets) Targets.Add(target);
            if (!Verified(http, target))
            {
                http.Response.StatusCode = 401;
                return;
            }
            if (Override is { } answer)
            {
                await answer(http);
                return;
            }
            var after = long.Parse(http.Request.Query["after"].FirstOrDefault() ?? "0", CultureInfo.InvariantCulture);
            var limit = int.Parse(http.Request.Query["limit"]!, CultureInfo.InvariantCulture);
            var page = Events.Where(e => e.Sequence > after).Take(limit).ToList();
            var json = new StringBuilder("{\"events\":[");
            json.AppendJoin(',', page.Select(e => $$$"""{"id":"{{{e.Id}}}","type":"order.created","timestamp":"2026-11-30T06:00:{{{e.Sequence % 60:00}}}+00:00","sequence":{{{e.Sequence}}},"body":{{{e.Body}}}}"""));
            var next = page.Count > 0 ? page[^1].Sequence : after;
            json.Append(CultureInfo.InvariantCulture, $"],\"next\":{next},\"atHead\":{(next >= Events.Count ? "true" : "false")},\"later\":{{\"ignored\":[1]}}}}");
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(json.ToString());
        }

        private static bool Verified(HttpContext http, string target)
        {
            var h = http.Request.Headers;
            if (h[WebHookRequestSigner.SubscriptionHeader] != SubscriptionId) return false;
            var content = WebHookRequestSigner.Content("GET", target, [], out var rented);
            try
            {
                return new WebHookVerifier([Secret]).Verify(h[WebHookHeaders.Id].ToString(), h[WebHookHeaders.Timestamp].ToString(),
                    h[WebHookHeaders.Signature].ToString(), content).IsValid;
            }
            finally
            {
                WebHookRequestSigner.Return(rented, content.Length);
            }
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    private static WebHookFeedClient Client(HttpClient http, Feed feed, WebHookSecret? secret = null, int maxBodyBytes = 4096) =>
        new(http, feed.Url, SubscriptionId, secret ?? Secret, TimeProvider.System, maxBodyBytes);

    [Fact]
    public async Task A_signed_read_returns_a_page_with_each_body_exactly_as_delivered()
    {
        await using var feed = await Feed.StartAsync(5);
        using var http = new HttpClient();

        var page = await Client(http, feed).ReadAsync(after: 1, limit: 3, default);

        Assert.Equal("/webhooks/feed?after=1&limit=3", Assert.Single(feed.Targets));
        Assert.Equal([2L, 3L, 4L], page.Events.Select(e => e.Sequence));
        Assert.Equal(4, page.Next);
        Assert.False(page.AtHead);
        var second = page.Events[0];
        Assert.Equal("msg_feed2", second.Id);
        Assert.Equal("order.created", second.Type);
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 6, 0, 2, TimeSpan.Zero), second.Timestamp);
        Assert.Equal(feed.Events[1].Body, Encoding.UTF8.GetString(second.Body.Span));
    }

    [Fact]
    public async Task Reading_from_the_start_page_by_page_reaches_the_head_with_every_event_once()
    {
        await using var feed = await Feed.StartAsync(25);
        using var http = new HttpClient();
        var client = Client(http, feed);

        var seen = new List<long>();
        long? cursor = null;
        WebHookFeedPage page;
        do
        {
            page = await client.ReadAsync(cursor, 10, default);
            seen.AddRange(page.Events.Select(e => e.Sequence));
            cursor = page.Next;
        }
        while (!page.AtHead);
        var empty = await client.ReadAsync(cursor, 10, default);

        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), seen);
        Assert.Equal("/webhooks/feed?limit=10", feed.Targets[0]);
        Assert.Empty(empty.Events);
        Assert.Equal(25, empty.Next);
        Assert.True(empty.AtHead);
    }

    [Fact]
    public async Task Feed_events_run_through_the_processor_as_catch_up()
    {
        await using var feed = await Feed.StartAsync(3);
        var log = new HandlerLog();
        await using var consumer = await LoopbackApp.StartAsync(s =>
        {
            s.AddSingleton(log);
            s.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
            s.AddSingleton<Hooks.Infrastructure.IWebHookDispatcher>(TestDispatcher.Instance);
            s.AddWebHooks().AddReceiver(o => o.Secrets.Add(Secret.Reveal()));
        }, _ => { });
        using var http = new HttpClient();
        var processor = consumer.Services.GetRequiredService<WebHookMessageProcessor>();

        var page = await Client(http, feed).ReadAsync(null, 10, default);
        var results = new List<WebHookProcessingStatus>();
        foreach (var e in page.Events) results.Add((await processor.ProcessAsync(e.ToMessage(null))).Status);

        Assert.All(results, r => Assert.Equal(WebHookProcessingStatus.Handled, r));
        Assert.Equal(["o-é1", "o-é2", "o-é3"], log.Calls.Select(c => ((OrderCreated)c.Event).OrderId).Order());
        Assert.All(log.Calls, c => Assert.Equal(WebHookSource.CatchUp, c.Context.Source));
    }

    [Fact]
    public async Task A_refusal_reports_the_status_and_the_problem_without_the_secret()
    {
        await using var feed = await Feed.StartAsync(1);
        feed.Override = http => Results.Problem(statusCode: 410, title: "Cursor expired",
            detail: "Events before this cursor are no longer retained; read from the oldest retained event.").ExecuteAsync(http);
        using var http = new HttpClient();

        var gone = await Assert.ThrowsAsync<WebHookFeedException>(() => Client(http, feed).ReadAsync(1, 10, default));
        var unauthorized = await Assert.ThrowsAsync<WebHookFeedException>(() => Client(http, feed, WebHookSecret.Generate()).ReadAsync(1, 10, default));

        Assert.Equal(410, gone.StatusCode);
        Assert.Contains("Cursor expired", gone.Message, StringComparison.Ordinal);
        Assert.Contains("no longer retained", gone.Message, StringComparison.Ordinal);
        Assert.Equal(401, unauthorized.StatusCode);
        Assert.DoesNotContain(Secret.Reveal()["whsec_".Length..], gone.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> MalformedPages => new()
    {
        { "not JSON", "{\"events\":[" },
        { "not an object", "[]" },
        { "missing atHead", """{"events":[],"next":0}""" },
        { "next not the last sequence", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":3,"body":{}}],"next":4,"atHead":true}""" },
        { "sequence not past the cursor", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":2,"body":{}}],"next":2,"atHead":true}""" },
        { "sequences out of order", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":4,"body":{}},{"id":"msg_2","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":3,"body":{}}],"next":3,"atHead":true}""" },
        { "more events than asked", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":3,"body":{}},{"id":"msg_2","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":4,"body":{}}],"next":4,"atHead":true}""" },
        { "body not an object", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":3,"body":"{}"}],"next":3,"atHead":true}""" },
        { "id with a space", """{"events":[{"id":"msg 1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":3,"body":{}}],"next":3,"atHead":true}""" },
        { "sequence as a string", """{"events":[{"id":"msg_1","type":"t","timestamp":"2026-11-30T06:00:00Z","sequence":"3","body":{}}],"next":3,"atHead":true}""" },
        { "body over the limit", "{\"events\":[{\"id\":\"msg_1\",\"type\":\"t\",\"timestamp\":\"2026-11-30T06:00:00Z\",\"sequence\":3,\"body\":{\"x\":\"" + new string('x', 200) + "\"}}],\"next\":3,\"atHead\":true}" },
    };

    [Theory]
    [MemberData(nameof(MalformedPages))]
    public async Task A_page_outside_the_format_is_refused(string why, string json)
    {
        await using var feed = await Feed.StartAsync(0);
        feed.Override = http => { http.Response.ContentType = "application/json"; return http.Response.WriteAsync(json); };
        using var http = new HttpClient();

        var refused = await Assert.ThrowsAsync<WebHookFeedException>(() => Client(http, feed, maxBodyBytes: 100).ReadAsync(2, 1, default));

        Assert.True(refused.StatusCode is null, why);
    }

    [Fact]
    public async Task A_response_larger_than_the_page_can_be_is_not_read_to_its_end()
    {
        await using var feed = await Feed.StartAsync(0);
        feed.Override = async http =>
        {
            http.Response.ContentType = "application/json";
            // Unbounded stream with no Content-Length: the client must stop at its limit.
            var chunk = Encoding.UTF8.GetBytes(new string(' ', 64 * 1024));
            try
            {
                for (var i = 0; i < 1024 && !http.RequestAborted.IsCancellationRequested; i++) await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        };
        using var http = new HttpClient();
        var client = Client(http, feed, maxBodyBytes: 1024);

        var refused = await Assert.ThrowsAsync<WebHookFeedException>(() => client.ReadAsync(0, 1, default));

        Assert.Null(refused.StatusCode);
        Assert.Contains($"larger than {client.MaxResponseBytes(1)} bytes", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_before_any_request()
    {
        using var http = new HttpClient();
        var client = new WebHookFeedClient(http, new Uri("https://producer.example/webhooks/feed"), SubscriptionId, Secret, TimeProvider.System);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReadAsync(-1, 10, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReadAsync(0, 0, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReadAsync(0, WebHookFeedClient.MaxLimit + 1, default));
        Assert.Throws<ArgumentException>(() => new WebHookFeedClient(http, new Uri("https://producer.example/feed?x=1"), SubscriptionId, Secret, TimeProvider.System));
        Assert.Throws<ArgumentException>(() => new WebHookFeedClient(http, new Uri("ftp://producer.example/feed"), SubscriptionId, Secret, TimeProvider.System));
    }
}
