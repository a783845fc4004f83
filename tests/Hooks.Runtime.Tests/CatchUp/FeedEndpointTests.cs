using System.Net;
using System.Text;
using System.Text.Json;
using Hooks.CatchUp;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.CatchUp;

/// <summary>
/// The producer's feed endpoint (MapWebHookFeed) on real Kestrel, read with real signed requests: pages in sequence
/// order with the bodies as delivered, seeking by time, the undelivered filter, and every refusal.
/// </summary>
public sealed class FeedEndpointTests
{
    private const string SubscriptionId = "sub_feed_endpoint";
    private static readonly WebHookSecret Secret = WebHookSecret.Generate();

    private static async Task<ProducerApp> StartWithEventsAsync(int count, Uri? url = null, int attempts = 10)
    {
        var producer = await CatchUpApps.StartProducerAsync(attempts);
        await CatchUpApps.SubscribeAsync(producer, SubscriptionId, Secret, url ?? CatchUpApps.Nowhere);
        for (var i = 1; i <= count; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
            producer.Time.Advance(TimeSpan.FromMinutes(1)); // one event a minute, for seeking by time
        }
        return producer;
    }

    private static HttpRequestMessage Signed(ProducerApp producer, string query, string subscriptionId = SubscriptionId, WebHookSecret? secret = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(CatchUpApps.FeedUrl(producer) + query));
        WebHookRequestSigner.Sign(request, subscriptionId, secret ?? Secret, default, producer.Time.GetUtcNow());
        return request;
    }

    private static async Task<JsonDocument> PageAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.Clone();
    }

    [Fact]
    public async Task A_signed_read_returns_the_subscriptions_events_in_order_with_each_body_byte_for_byte()
    {
        await using var producer = await StartWithEventsAsync(5);

        using var response = await producer.Client.SendAsync(Signed(producer, "?after=1&limit=3"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var page = JsonDocument.Parse(bytes);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([2L, 3L, 4L], events.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.Equal(4, page.RootElement.GetProperty("next").GetInt64());
        Assert.False(page.RootElement.GetProperty("atHead").GetBoolean());
        foreach (var e in events)
        {
            var message = await producer.Store.GetMessageAsync(e.GetProperty("id").GetString()!);
            Assert.NotNull(message);
            Assert.Equal("order.created", e.GetProperty("type").GetString());
            Assert.Equal(message.Timestamp, e.GetProperty("timestamp").GetDateTimeOffset());
            // The very bytes stored (and pushed): a raw slice of the page equals the message body.
            var raw = e.GetProperty("body").GetRawText();
            Assert.Equal(Encoding.UTF8.GetString(message.Body.Span), raw);
            Assert.True(bytes.AsSpan().IndexOf(message.Body.Span) >= 0);
        }

        // The internal client reads the same page and hands out the same bytes.
        using var http = new HttpClient();
        var client = new WebHookFeedClient(http, CatchUpApps.FeedUrl(producer), SubscriptionId, Secret, producer.Time);
        var read = await client.ReadAsync(after: 4, limit: 10, default);
        var last = Assert.Single(read.Events);
        Assert.Equal(5, last.Sequence);
        Assert.True(read.AtHead);
        Assert.Equal((await producer.Store.GetMessageAsync(last.Id))!.Body.ToArray(), last.Body.ToArray());
    }

    [Fact]
    public async Task Without_a_cursor_the_feed_starts_at_the_oldest_event_and_an_empty_page_at_the_head_keeps_the_cursor()
    {
        await using var producer = await StartWithEventsAsync(3);

        using var all = await PageAsync(await producer.Client.SendAsync(Signed(producer, "")));
        using var after = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?after=3")));

        Assert.Equal([1L, 2L, 3L], all.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.True(all.RootElement.GetProperty("atHead").GetBoolean());
        Assert.Empty(after.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal(3, after.RootElement.GetProperty("next").GetInt64());
        Assert.True(after.RootElement.GetProperty("atHead").GetBoolean());
    }

    [Fact]
    public async Task Since_seeks_to_the_first_event_at_or_after_the_time()
    {
        await using var producer = await StartWithEventsAsync(40);
        var third = (await producer.Store.ReadFeedAsync(SubscriptionId, 2, 1)).Entries[0].Message.Timestamp;
        var thirtieth = (await producer.Store.ReadFeedAsync(SubscriptionId, 29, 1)).Entries[0].Message.Timestamp;

        using var at = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?limit=2&since=" + Uri.EscapeDataString(thirtieth.ToString("O")))));
        using var between = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?limit=1&since=" + Uri.EscapeDataString(third.AddSeconds(1).ToString("O")))));
        using var before = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?limit=1&since=2000-01-01T00:00:00Z")));
        using var later = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?limit=1&since=2100-01-01T00:00:00Z")));

        Assert.Equal([30L, 31L], at.RootElement.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.Equal(4, between.RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64());
        Assert.Equal(1, before.RootElement.GetProperty("events")[0].GetProperty("sequence").GetInt64());
        Assert.Empty(later.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal(40, later.RootElement.GetProperty("next").GetInt64());
        Assert.True(later.RootElement.GetProperty("atHead").GetBoolean());
    }

    [Fact]
    public async Task Undelivered_lists_only_events_not_delivered_successfully()
    {
        await using var receiver = await Receiver.StartAsync();
        // The consumer takes the first two pushes and refuses the rest.
        var answered = 0;
        receiver.Respond = (ctx, _) =>
        {
            ctx.Response.StatusCode = Interlocked.Increment(ref answered) <= 2 ? 200 : 500;
            return Task.CompletedTask;
        };
        await using var producer = await CatchUpApps.StartProducerAsync(attempts: 1);
        await CatchUpApps.SubscribeAsync(producer, SubscriptionId, Secret, receiver.Url);
        for (var i = 1; i <= 4; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
            await producer.Store.NextAttemptAsync(); // one at a time, so the first two are the ones that succeed
        }

        using var page = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?undelivered=true")));

        var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([3L, 4L], events.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.All(events, e => Assert.Equal("failed", e.GetProperty("status").GetString()));
        Assert.True(page.RootElement.GetProperty("atHead").GetBoolean());
    }

    [Fact]
    public async Task Missing_wrong_and_replayed_credentials_are_refused_with_401()
    {
        await using var producer = await StartWithEventsAsync(1);

        using var unsigned = await producer.Client.GetAsync(CatchUpApps.FeedUrl(producer));
        using var wrong = await producer.Client.SendAsync(Signed(producer, "", secret: WebHookSecret.Generate()));
        using var unknown = await producer.Client.SendAsync(Signed(producer, "", subscriptionId: "sub_nobody"));
        using var first = Signed(producer, "?after=0");
        using var replay = new HttpRequestMessage(HttpMethod.Get, first.RequestUri);
        foreach (var header in first.Headers) replay.Headers.TryAddWithoutValidation(header.Key, header.Value);
        using var accepted = await producer.Client.SendAsync(first);
        using var replayed = await producer.Client.SendAsync(replay);

        await ProblemAsync(unsigned, HttpStatusCode.Unauthorized);
        await ProblemAsync(wrong, HttpStatusCode.Unauthorized);
        await ProblemAsync(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var problem = await ProblemAsync(replayed, HttpStatusCode.Unauthorized);
        Assert.Contains("used before", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_full_nonce_cache_refuses_with_429_and_Retry_After_instead_of_forgetting_a_nonce()
    {
        await using var producer = await CatchUpApps.StartProducerAsync(services: s => s.AddWebHooks().AddReverseHttp(o => o.MaxRememberedNonces = 1));
        await CatchUpApps.SubscribeAsync(producer, SubscriptionId, Secret, CatchUpApps.Nowhere);

        using var first = await producer.Client.SendAsync(Signed(producer, ""));
        using var second = await producer.Client.SendAsync(Signed(producer, ""));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await ProblemAsync(second, HttpStatusCode.TooManyRequests);
        Assert.NotNull(second.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_subscriptions_secret_reads_its_own_events_never_another_subscriptions()
    {
        await using var producer = await StartWithEventsAsync(2);
        var otherSecret = WebHookSecret.Generate();
        await CatchUpApps.SubscribeAsync(producer, "sub_other", otherSecret, CatchUpApps.Nowhere);
        await producer.Publisher.PublishAsync(new OrderCreated("o-both", 3));

        using var asOther = await PageAsync(await producer.Client.SendAsync(Signed(producer, "", "sub_other", otherSecret)));
        using var otherSecretForMine = await producer.Client.SendAsync(Signed(producer, "", SubscriptionId, otherSecret));
        using var mySecretForOther = await producer.Client.SendAsync(Signed(producer, "", "sub_other", Secret));

        // sub_other was created after the first two events: its feed has only the third, numbered 1 in its own sequence.
        var only = Assert.Single(asOther.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal(1, only.GetProperty("sequence").GetInt64());
        Assert.Contains("o-both", only.GetProperty("body").GetRawText());
        await ProblemAsync(otherSecretForMine, HttpStatusCode.Unauthorized);
        await ProblemAsync(mySecretForOther, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_disabled_subscription_still_reads_its_feed_including_what_was_skipped_while_disabled()
    {
        await using var producer = await StartWithEventsAsync(1);
        var stored = (await producer.Store.GetSubscriptionAsync(SubscriptionId))!;
        Assert.Equal(Hooks.Storage.WebHookSubscriptionUpdateResult.Updated, await producer.Store.UpdateSubscriptionAsync(
            stored with { Status = Hooks.Storage.WebHookSubscriptionStatus.Disabled, UpdatedAt = producer.Time.GetUtcNow() }));
        await producer.Publisher.PublishAsync(new OrderCreated("o-while-disabled", 2));

        using var page = await PageAsync(await producer.Client.SendAsync(Signed(producer, "")));

        var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal([1L, 2L], events.Select(e => e.GetProperty("sequence").GetInt64()));
        Assert.Equal("skipped", events[1].GetProperty("status").GetString());
        Assert.Contains("o-while-disabled", events[1].GetProperty("body").GetRawText());
    }

    [Theory]
    [InlineData("?after=-1")]
    [InlineData("?after=abc")]
    [InlineData("?after=1.5")]
    [InlineData("?after=99999999999999999999")]
    [InlineData("?after=1&after=2")]
    [InlineData("?after=")]
    [InlineData("?limit=0")]
    [InlineData("?limit=1001")]
    [InlineData("?limit=-5")]
    [InlineData("?since=yesterday")]
    [InlineData("?after=1&since=2026-11-30T06:00:00Z")]
    [InlineData("?undelivered=maybe")]
    public async Task A_malformed_cursor_or_a_limit_out_of_range_is_refused_with_400(string query)
    {
        await using var producer = await StartWithEventsAsync(1);

        using var response = await producer.Client.SendAsync(Signed(producer, query));

        await ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("?limit=1", 1)]
    [InlineData("?limit=1000", 3)]
    public async Task Limits_from_1_to_1000_are_served(string query, int expected)
    {
        await using var producer = await StartWithEventsAsync(3);

        using var page = await PageAsync(await producer.Client.SendAsync(Signed(producer, query)));

        Assert.Equal(expected, page.RootElement.GetProperty("events").GetArrayLength());
    }

    [Fact]
    public async Task A_cursor_older_than_retention_gets_410_saying_what_to_do()
    {
        // Pushes fail once and are exhausted: finished, so the purge may take them.
        await using var producer = await StartWithEventsAsync(0, attempts: 1);
        for (var i = 1; i <= 4; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
            await producer.Store.NextAttemptAsync();
        }
        producer.Time.Advance(TimeSpan.FromMinutes(1));
        var purgedBefore = producer.Time.GetUtcNow();
        await producer.Publisher.PublishAsync(new OrderCreated("o-kept", 5));
        Assert.Equal(4, await producer.Store.PurgeAsync(purgedBefore, 100));

        using var expired = await producer.Client.SendAsync(Signed(producer, "?after=2"));
        using var fromOldest = await PageAsync(await producer.Client.SendAsync(Signed(producer, "")));
        using var current = await PageAsync(await producer.Client.SendAsync(Signed(producer, "?after=4")));

        var problem = await ProblemAsync(expired, HttpStatusCode.Gone);
        Assert.Contains("without 'after'", problem.GetProperty("detail").GetString());
        Assert.Equal(5, Assert.Single(fromOldest.RootElement.GetProperty("events").EnumerateArray()).GetProperty("sequence").GetInt64());
        Assert.Equal(5, Assert.Single(current.RootElement.GetProperty("events").EnumerateArray()).GetProperty("sequence").GetInt64());
    }
}
