using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Hooks.Tests.Subscriptions;

public sealed class ManagementApiTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task<JsonNode> CreateAsync(ProducerApp app, Uri url, string extra = "")
    {
        var response = await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{url}}"{{extra}}}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string? member, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadAsync(response);
        Assert.Equal((int)status, (int)problem["status"]!);
        if (member is not null)
        {
            Assert.NotNull(problem["errors"]?[member]);
        }
    }

    [Fact]
    public async Task Lists_the_registered_event_types_with_descriptions()
    {
        await using var app = await ProducerApp.StartAsync();
        var body = await ReadAsync(await app.Client.GetAsync("/webhooks/event-types"));
        var types = body["data"]!.AsArray();
        Assert.Equal(["customer.created", "order.cancelled", "order.created"], types.Select(t => (string)t!["type"]!));
        Assert.Equal("An order was placed.", (string?)types[2]!["description"]);
    }

    [Fact]
    public async Task Create_shows_the_secret_once_and_the_subscription_signs_with_it()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();

        var created = await CreateAsync(app, receiver.Url, ""","eventTypes":["order.*"],"description":"orders","metadata":{"team":"a"}""");

        var id = (string)created["id"]!;
        Assert.StartsWith("sub_", id, StringComparison.Ordinal);
        Assert.Equal("enabled", (string)created["status"]!);
        var secret = WebHookSecret.Parse((string)created["secret"]!);
        var fetched = await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}"));
        Assert.Null(fetched["secret"]);
        Assert.Equal("orders", (string)fetched["description"]!);
        Assert.Equal("a", (string)fetched["metadata"]!["team"]!);

        await app.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var request = await receiver.NextAsync();
        var result = new WebHookVerifier(secret, app.Time).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
        Assert.True(result.IsValid);
    }

    [Theory]
    [InlineData("""{"url":"not a url"}""", "url")]
    [InlineData("""{"url":"ftp://example.com/x"}""", "url")]
    [InlineData("""{"url":"https://user:pw@example.com/x"}""", "url")]
    [InlineData("""{"url":"/relative"}""", "url")]
    [InlineData("""{}""", "url")]
    [InlineData("""{"url":"https://example.com/x","eventTypes":["order.unknown"]}""", "eventTypes")]
    [InlineData("""{"url":"https://example.com/x","eventTypes":["nothing.*"]}""", "eventTypes")]
    [InlineData("""{"url":"https://example.com/x","secret":"whsec_tooshort"}""", "secret")]
    [InlineData("""{"url":"https://example.com/x","secret":"nope"}""", "secret")]
    public async Task Bad_input_is_answered_with_problem_details_and_nothing_is_stored(string body, string member)
    {
        await using var app = await ProducerApp.StartAsync();

        var response = await app.Client.PostAsync("/webhooks/subscriptions", Json(body));

        await AssertProblemAsync(response, member);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));
    }

    [Fact]
    public async Task Oversized_fields_are_refused()
    {
        await using var app = await ProducerApp.StartAsync(o => o.MaxUrlLength = 64);
        var longUrl = "https://example.com/" + new string('a', 100);
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{longUrl}}"}""")), "url");
        var longDescription = new string('d', 1025);
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"https://example.com/x","description":"{{longDescription}}"}""")), "description");
        var metadata = string.Join(',', Enumerable.Range(0, 33).Select(i => $"\"k{i}\":\"v\""));
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json("{\"url\":\"https://example.com/x\",\"metadata\":{" + metadata + "}}")), "metadata");
        var huge = "{\"url\":\"https://example.com/x\",\"description\":\"" + new string('x', 70_000) + "\"}";
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json(huge)), null, HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));
    }

    [Fact]
    public async Task Malformed_json_and_unknown_members_are_refused()
    {
        await using var app = await ProducerApp.StartAsync();
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json("{\"url\":")), null);
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json("""{"url":"https://example.com/x","evil":1}""")), null);
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", new StringContent("""{"url":"https://example.com/x"}""")), null, HttpStatusCode.UnsupportedMediaType);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));
    }

    [Fact]
    public async Task Plain_http_is_refused_unless_allowed()
    {
        await using var app = await ProducerApp.StartAsync(o => o.AllowHttp = false);
        var refused = await app.Client.PostAsync("/webhooks/subscriptions", Json("""{"url":"http://example.com/x"}"""));
        var body = await refused.Content.ReadAsStringAsync();
        await AssertProblemAsync(refused, "url");
        Assert.Contains("WebHookProducerOptions.AllowHttp", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/webhooks/subscriptions", Json("""{"url":"https://example.com/x"}"""))).StatusCode);
    }

    [Fact]
    public async Task Lists_pages_of_subscriptions()
    {
        await using var app = await ProducerApp.StartAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((string)(await CreateAsync(app, new Uri($"https://example.com/{i}")))["id"]!);
        }
        ids.Sort(StringComparer.Ordinal);

        var first = await ReadAsync(await app.Client.GetAsync("/webhooks/subscriptions?limit=2"));
        Assert.Equal(ids.Take(2), first["data"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.All(first["data"]!.AsArray(), s => Assert.Null(s!["secret"]));
        var second = await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions?limit=2&after={first["next"]}"));
        Assert.Equal(ids.Skip(2), second["data"]!.AsArray().Select(s => (string)s!["id"]!));
        Assert.Null(second["next"]);
        await AssertProblemAsync(await app.Client.GetAsync("/webhooks/subscriptions?limit=0"), "limit");
    }

    [Fact]
    public async Task Update_changes_only_the_given_fields_and_validates_them()
    {
        await using var app = await ProducerApp.StartAsync();
        var id = (string)(await CreateAsync(app, new Uri("https://example.com/a"), ""","description":"d1","eventTypes":["order.created"]"""))["id"]!;

        var bad = await app.Client.PatchAsync($"/webhooks/subscriptions/{id}", Json("""{"eventTypes":["nope"]}"""));
        await AssertProblemAsync(bad, "eventTypes");
        var updated = await ReadAsync(await app.Client.PatchAsync($"/webhooks/subscriptions/{id}", Json("""{"url":"https://example.com/b","eventTypes":["customer.created"]}""")));

        Assert.Equal("https://example.com/b", (string)updated["url"]!);
        Assert.Equal("d1", (string)updated["description"]!);
        Assert.Equal(["customer.created"], updated["eventTypes"]!.AsArray().Select(t => (string)t!));
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.PatchAsync("/webhooks/subscriptions/sub_missing", Json("{}"))).StatusCode);
    }

    [Fact]
    public async Task Disable_and_enable_control_whether_messages_are_delivered()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var id = (string)(await CreateAsync(app, receiver.Url))["id"]!;

        var disabled = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", Json("""{"reason":"maintenance"}""")));
        Assert.Equal("disabled", (string)disabled["status"]!);
        Assert.Equal("maintenance", (string)disabled["statusReason"]!);
        Assert.Equal(0, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);

        var enabled = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/enable", null));
        Assert.Equal("enabled", (string)enabled["status"]!);
        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-2", 1))).Deliveries);
        await receiver.NextAsync();
    }

    [Fact]
    public async Task Rotate_returns_a_new_secret_and_both_sign_during_the_overlap()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var created = await CreateAsync(app, receiver.Url);
        var id = (string)created["id"]!;
        var oldSecret = WebHookSecret.Parse((string)created["secret"]!);

        var rotated = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/rotate-secret", null));
        var newSecret = WebHookSecret.Parse((string)rotated["secret"]!);
        Assert.False(newSecret.KeyEquals(oldSecret));
        await AssertProblemAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/rotate-secret", Json("""{"secret":"bad"}""")), "secret");

        await app.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var request = await receiver.NextAsync();
        foreach (var secret in new[] { oldSecret, newSecret })
        {
            Assert.True(new WebHookVerifier(secret, app.Time).Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body).IsValid);
        }
    }

    [Fact]
    public async Task Delete_removes_the_subscription()
    {
        await using var app = await ProducerApp.StartAsync();
        var id = (string)(await CreateAsync(app, new Uri("https://example.com/a")))["id"]!;

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.DeleteAsync($"/webhooks/subscriptions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync($"/webhooks/subscriptions/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.DeleteAsync($"/webhooks/subscriptions/{id}")).StatusCode);
    }

    [Fact]
    public async Task Test_event_deliveries_and_attempts_are_listed_and_a_message_redelivered()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return ctx.Response.WriteAsync("nope"); };
        var id = (string)(await CreateAsync(app, receiver.Url))["id"]!;

        var test = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var messageId = (string)(await ReadAsync(test))["messageId"]!;
        var request = await receiver.NextAsync();
        Assert.Equal(messageId, request.Header("webhook-id"));
        Assert.Equal("webhook.test", JsonDocument.Parse(request.Body).RootElement.GetProperty("type").GetString());
        await app.Store.NextAttemptAsync();

        var deliveries = await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries?status=pending"));
        var delivery = Assert.Single(deliveries["data"]!.AsArray())!;
        Assert.Equal(messageId, (string)delivery["messageId"]!);
        Assert.Equal(1, (int)delivery["attempts"]!);
        var attempts = await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries/{delivery["id"]}/attempts"));
        var attempt = Assert.Single(attempts["data"]!.AsArray())!;
        Assert.Equal("http_error", (string)attempt["outcome"]!);
        Assert.Equal(500, (int)attempt["statusCode"]!);
        Assert.Equal("nope", (string)attempt["responseBody"]!);
        await AssertProblemAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries?status=bogus"), "status");

        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 204; return Task.CompletedTask; };
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/webhooks/subscriptions/{id}/messages/{messageId}/redeliver", null)).StatusCode);
        await receiver.NextAsync();
        Assert.Equal(WebHookDeliveryStatus.Succeeded, (await app.Store.NextAttemptAsync()).NewStatus);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.PostAsync($"/webhooks/subscriptions/{id}/messages/msg_nope/redeliver", null)).StatusCode);
    }

    [Fact]
    public async Task Recover_requeues_failed_deliveries_since_a_time()
    {
        await using var app = await ProducerApp.StartAsync(o => { o.RetrySchedule.Clear(); o.RetrySchedule.Add(TimeSpan.Zero); });
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var id = (string)(await CreateAsync(app, receiver.Url))["id"]!;
        await app.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        Assert.Equal(WebHookDeliveryStatus.Failed, (await app.Store.NextAttemptAsync()).NewStatus);
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 200; return Task.CompletedTask; };

        await AssertProblemAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/recover", Json("{}")), "since");
        var since = app.Time.GetUtcNow().AddMinutes(-5).ToString("O");
        var response = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/recover", Json($$"""{"since":"{{since}}"}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (int)(await ReadAsync(response))["deliveries"]!);
        Assert.Equal(WebHookDeliveryStatus.Succeeded, (await app.Store.NextAttemptAsync()).NewStatus);
    }

    [Fact]
    public async Task Unknown_subscriptions_are_not_found_with_problem_details()
    {
        await using var app = await ProducerApp.StartAsync();
        foreach (var (method, path) in new[] { ("GET", ""), ("POST", "/enable"), ("POST", "/disable"), ("POST", "/rotate-secret"), ("POST", "/test"), ("GET", "/deliveries"), ("POST", "/verify") })
        {
            var response = await app.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/webhooks/subscriptions/sub_missing{path}"));
            await AssertProblemAsync(response, null, HttpStatusCode.NotFound);
        }
    }

    [Fact]
    public async Task Redeliver_acts_only_on_messages_the_subscription_had_a_delivery_of()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var beforeIt = await app.Publisher.PublishAsync(new OrderCreated("o-0", 1));
        var orders = (string)(await CreateAsync(app, receiver.Url, ""","eventTypes":["order.created"]"""))["id"]!;
        var other = (string)(await CreateAsync(app, receiver.Url))["id"]!;
        var filteredOut = await app.Publisher.PublishAsync(new CustomerCreated("c-1"));
        await receiver.NextAsync();
        await app.Store.NextAttemptAsync();
        var othersTest = (string)(await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{other}/test", null)))["messageId"]!;
        await receiver.NextAsync();
        await app.Store.NextAttemptAsync();

        foreach (var messageId in new[] { beforeIt.MessageId, filteredOut.MessageId, othersTest })
        {
            await AssertProblemAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{orders}/messages/{messageId}/redeliver", null), null, HttpStatusCode.NotFound);
        }
        Assert.Empty(await app.Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = orders }));
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.PostAsync($"/webhooks/subscriptions/{other}/messages/{filteredOut.MessageId}/redeliver", null)).StatusCode);
        Assert.Equal(filteredOut.MessageId, (await receiver.NextAsync()).Header("webhook-id"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/hook", false)]
    [InlineData("http://127.0.0.1:8080/hook", true)]
    [InlineData("http://[::1]/hook", false)]
    [InlineData("http://10.1.2.3/hook", false)]
    [InlineData("http://169.254.169.254/latest/meta-data", true)]
    [InlineData("http://[::ffff:192.168.1.1]/hook", false)]
    [InlineData("http://2130706433/hook", false)] // 127.0.0.1 as one number
    public async Task A_url_whose_host_is_a_refused_address_literal_is_refused_at_creation_and_update(string url, bool verify)
    {
        await using var app = await ProducerApp.StartAsync(o =>
        {
            o.AllowedNetworks.Clear();
            o.RequireIntentVerification = verify;
        });

        var refused = await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{url}}"}"""));
        var body = await refused.Content.ReadAsStringAsync();

        await AssertProblemAsync(refused, "url");
        Assert.Contains("WebHookProducerOptions.AllowedNetworks", body, StringComparison.Ordinal);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));
        var id = "sub_stored";
        Assert.True(await app.Store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = id,
            Url = new Uri("https://example.com/a"),
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), app.Time.GetUtcNow(), null)],
            Status = WebHookSubscriptionStatus.Enabled,
        }));
        await AssertProblemAsync(await app.Client.PatchAsync($"/webhooks/subscriptions/{id}", Json($$"""{"url":"{{url}}"}""")), "url");
        Assert.Equal("https://example.com/a", (await app.Store.GetSubscriptionAsync(id))!.Url.OriginalString);
    }

    [Fact]
    public async Task A_refused_address_literal_is_accepted_when_an_allowed_network_holds_it()
    {
        await using var app = await ProducerApp.StartAsync(o => { o.AllowedNetworks.Clear(); o.AllowedNetworks.Add(System.Net.IPNetwork.Parse("10.0.0.0/8")); });
        Assert.Equal(HttpStatusCode.Created, (await app.Client.PostAsync("/webhooks/subscriptions", Json("""{"url":"http://10.1.2.3/hook"}"""))).StatusCode);
    }

    [Fact]
    public async Task A_secret_with_plus_and_slash_comes_out_as_plain_text_in_the_raw_body()
    {
        await using var app = await ProducerApp.StartAsync();
        // Base64 of FB FF BF is "+/+/"; the default encoder writes + as \u002B (and < > & ' as escapes too).
        var secret = "whsec_" + Convert.ToBase64String([.. Enumerable.Repeat(new byte[] { 0xFB, 0xFF, 0xBF }, 8).SelectMany(b => b)]);
        Assert.Contains('+', secret);

        var created = await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"https://example.com/a","secret":"{{secret}}","description":"<a&b's>"}"""));
        var raw = await created.Content.ReadAsStringAsync();

        Assert.Contains($"\"secret\":\"{secret}\"", raw, StringComparison.Ordinal);
        Assert.Contains("\"description\":\"<a&b's>\"", raw, StringComparison.Ordinal);
        var id = (string)JsonNode.Parse(raw)!["id"]!;
        var rotated = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/rotate-secret", Json($$"""{"secret":"{{secret}}"}"""));
        Assert.Contains($"\"secret\":\"{secret}\"", await rotated.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"url":"https://example.com/a","url":"https://example.com/b"}""")]
    [InlineData("""{"url":"https://example.com/a","URL":"https://example.com/b"}""")]
    [InlineData("""{"url":"https://example.com/a","metadata":{"k":"1","k":"2"}}""")]
    public async Task Duplicate_json_members_are_refused(string body)
    {
        await using var app = await ProducerApp.StartAsync();
        await AssertProblemAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json(body)), null);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));

        var id = (string)(await CreateAsync(app, new Uri("https://example.com/c")))["id"]!;
        await AssertProblemAsync(await app.Client.PatchAsync($"/webhooks/subscriptions/{id}", Json("""{"description":"a","description":"b"}""")), null);
        await AssertProblemAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", Json("""{"reason":"a","reason":"b"}""")), null);
    }

    [Fact]
    public async Task An_unknown_delivery_id_is_not_found()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var id = (string)(await CreateAsync(app, receiver.Url))["id"]!;
        var other = (string)(await CreateAsync(app, receiver.Url))["id"]!;
        await app.Client.PostAsync($"/webhooks/subscriptions/{id}/test", null);
        await app.Store.NextAttemptAsync();
        var delivery = (long)(await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries")))["data"]![0]!["id"]!;

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries/{delivery}/attempts")).StatusCode);
        await AssertProblemAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}/deliveries/{delivery + 1000}/attempts"), null, HttpStatusCode.NotFound);
        await AssertProblemAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{other}/deliveries/{delivery}/attempts"), null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Recover_and_redeliver_on_a_disabled_subscription_say_nothing_is_sent_until_it_is_enabled()
    {
        await using var app = await ProducerApp.StartAsync(o => { o.RetrySchedule.Clear(); o.RetrySchedule.Add(TimeSpan.Zero); });
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 500; return Task.CompletedTask; };
        var id = (string)(await CreateAsync(app, receiver.Url))["id"]!;
        var message = await app.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        Assert.Equal(WebHookDeliveryStatus.Failed, (await app.Store.NextAttemptAsync()).NewStatus);
        await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", null);

        var recovered = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/recover", Json($$"""{"since":"{{app.Time.GetUtcNow().AddHours(-1):O}}"}""")));
        var redelivered = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/messages/{message.MessageId}/redeliver", null);

        Assert.Equal(1, (int)recovered["deliveries"]!);
        Assert.Contains("nothing is sent until it is enabled", (string)recovered["detail"]!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, redelivered.StatusCode);
        Assert.Contains("nothing is sent until it is enabled", (string)(await ReadAsync(redelivered))["detail"]!, StringComparison.Ordinal);

        // Enabled, the held delivery goes out; an enabled subscription's answer has no such note.
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 204; return Task.CompletedTask; };
        await app.Client.PostAsync($"/webhooks/subscriptions/{id}/enable", null);
        Assert.Equal(WebHookDeliveryStatus.Succeeded, (await app.Store.NextAttemptAsync()).NewStatus);
        Assert.Null((await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/messages/{message.MessageId}/redeliver", null)))["detail"]);
    }
}
