using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Subscriptions;

public sealed class IntentVerificationTests
{
    private static readonly string Secret = WebHookSecret.Generate().Reveal();

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>A receiver that verifies the signature and echoes the challenge, as docs/intent-verification.md says.</summary>
    private static Func<HttpContext, ReceivedRequest, Task> Answering(TimeProvider time, string secret) => async (ctx, request) =>
    {
        var verifier = new WebHookVerifier(WebHookSecret.Parse(secret), time);
        if (!verifier.Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body).IsValid)
        {
            ctx.Response.StatusCode = 401;
            return;
        }
        using var doc = JsonDocument.Parse(request.Body);
        Assert.Equal(WebHookChallenge.EventType, doc.RootElement.GetProperty("type").GetString());
        var challenge = doc.RootElement.GetProperty("data").GetProperty(WebHookChallenge.ChallengeProperty).GetString();
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string?> { [WebHookChallenge.ChallengeProperty] = challenge }));
    };

    [Fact]
    public async Task A_subscription_whose_url_answers_the_challenge_is_enabled()
    {
        await using var app = await ProducerApp.StartAsync(o => o.RequireIntentVerification = true);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = Answering(app.Time, Secret);

        var response = await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}","secret":"{{Secret}}"}"""));
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("enabled", (string)created["status"]!);
        var challenge = await receiver.NextAsync();
        Assert.StartsWith("msg_", challenge.Header("webhook-id"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_subscription_stays_pending_until_its_url_answers_and_gets_nothing_meanwhile()
    {
        await using var app = await ProducerApp.StartAsync(o => o.RequireIntentVerification = true);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.StatusCode = 200; return ctx.Response.WriteAsync("ok"); };

        var created = JsonNode.Parse(await (await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}"}"""))).Content.ReadAsStringAsync())!;
        var id = (string)created["id"]!;
        var secret = (string)created["secret"]!;

        Assert.Equal("pending", (string)created["status"]!);
        Assert.NotNull((string?)created["statusReason"]);
        Assert.Equal(0, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);

        // The owner configures the receiver with the secret, then asks for verification again.
        receiver.Respond = Answering(app.Time, secret);
        var verified = JsonNode.Parse(await (await app.Client.PostAsync($"/webhooks/subscriptions/{id}/verify", null)).Content.ReadAsStringAsync())!;
        Assert.Equal("enabled", (string)verified["status"]!);
        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-2", 1))).Deliveries);
    }

    [Fact]
    public async Task A_wrong_echo_does_not_verify()
    {
        await using var app = await ProducerApp.StartAsync(o => o.RequireIntentVerification = true);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = static (ctx, _) => { ctx.Response.ContentType = "application/json"; return ctx.Response.WriteAsync("""{"challenge":"guess"}"""); };

        var created = JsonNode.Parse(await (await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}","secret":"{{Secret}}"}"""))).Content.ReadAsStringAsync())!;

        Assert.Equal("pending", (string)created["status"]!);
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static Func<HttpContext, ReceivedRequest, Task> NoContent => static (ctx, _) => { ctx.Response.StatusCode = 204; return Task.CompletedTask; };

    private static Func<HttpContext, ReceivedRequest, Task> AnswersOkWithoutEcho => static (ctx, _) => { ctx.Response.StatusCode = 200; return ctx.Response.WriteAsync("ok"); };

    /// <summary>
    /// What a stock Standard Webhooks receiver does (the Svix or JS library, no Hooks code): check the HMAC of
    /// id.timestamp.body with the secret, answer 204 when one signature matches, 401 otherwise.
    /// </summary>
    private static Func<HttpContext, ReceivedRequest, Task> StockReceiver(string secret) => (ctx, request) =>
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{request.Header("webhook-id")}.{request.Header("webhook-timestamp")}.").Concat(request.Body).ToArray();
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        ctx.Response.StatusCode = request.Header("webhook-signature").Split(' ').Contains(expected) ? 204 : 401;
        return Task.CompletedTask;
    };

    private const string AdminPolicy = "webhook-admin";

    /// <summary>Verification on; callers sending X-Test-Admin: yes pass the administrator policy.</summary>
    private static Task<ProducerApp> StartWithAdministratorsAsync(bool withPolicy = true) => ProducerApp.StartAsync(
        o =>
        {
            o.RequireIntentVerification = true;
            o.VerificationModePolicy = withPolicy ? AdminPolicy : null;
        },
        s => s.AddAuthorization(a => a.AddPolicy(AdminPolicy, p => p.RequireAssertion(c =>
            c.Resource is HttpContext h && h.Request.Headers["X-Test-Admin"] == "yes"))));

    private static Task<HttpResponseMessage> SendAsync(ProducerApp app, HttpMethod method, string path, string? json, bool asAdministrator = false)
    {
        var request = new HttpRequestMessage(method, path) { Content = json is null ? null : Json(json) };
        if (asAdministrator)
        {
            request.Headers.Add("X-Test-Admin", "yes");
        }
        return app.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_pending_subscription_is_not_enabled_by_disable_then_enable_without_passing_the_challenge()
    {
        await using var app = await ProducerApp.StartAsync(o => o.RequireIntentVerification = true);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = AnswersOkWithoutEcho;
        var created = await ReadAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}"}""")));
        var id = (string)created["id"]!;
        Assert.Equal("pending", (string)created["status"]!);

        Assert.Equal("disabled", (string)(await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", null)))["status"]!);
        var enabled = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/enable", null));

        Assert.Equal("pending", (string)enabled["status"]!);
        Assert.Equal(0, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);
        // The enable sent a fresh challenge (one at creation, one now), and it was not answered.
        Assert.Equal(WebHookChallenge.EventType, JsonNode.Parse((await receiver.NextAsync()).Body)!["type"]!.GetValue<string>());
        Assert.Equal(WebHookChallenge.EventType, JsonNode.Parse((await receiver.NextAsync()).Body)!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_new_url_of_an_enabled_subscription_gets_nothing_before_it_passes_and_the_old_url_keeps_receiving()
    {
        await using var app = await ProducerApp.StartAsync(o => o.RequireIntentVerification = true);
        await using var oldReceiver = await Receiver.StartAsync();
        await using var newReceiver = await Receiver.StartAsync();
        oldReceiver.Respond = Answering(app.Time, Secret);
        newReceiver.Respond = AnswersOkWithoutEcho;
        var id = (string)(await ReadAsync(await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{oldReceiver.Url}}","secret":"{{Secret}}"}"""))))["id"]!;
        await oldReceiver.NextAsync(); // its challenge
        oldReceiver.Respond = NoContent;

        var updated = await ReadAsync(await app.Client.PatchAsync($"/webhooks/subscriptions/{id}", Json($$"""{"url":"{{newReceiver.Url}}"}""")));

        Assert.Equal("enabled", (string)updated["status"]!);
        Assert.Equal(oldReceiver.Url.ToString(), (string)updated["url"]!);
        Assert.Equal(newReceiver.Url.ToString(), (string)updated["pendingUrl"]!);
        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);
        Assert.Equal("order.created", JsonNode.Parse((await oldReceiver.NextAsync()).Body)!["type"]!.GetValue<string>());
        await app.Store.NextAttemptAsync();
        Assert.Equal(WebHookChallenge.EventType, JsonNode.Parse((await newReceiver.NextAsync()).Body)!["type"]!.GetValue<string>());
        Assert.False(newReceiver.TryTake(out _));

        // Once the new URL answers, it replaces the old one.
        newReceiver.Respond = Answering(app.Time, Secret);
        var verified = await ReadAsync(await app.Client.PostAsync($"/webhooks/subscriptions/{id}/verify", null));
        Assert.Equal(newReceiver.Url.ToString(), (string)verified["url"]!);
        Assert.Null(verified["pendingUrl"]);
        await newReceiver.NextAsync(); // the challenge
        newReceiver.Respond = NoContent;
        await app.Publisher.PublishAsync(new OrderCreated("o-2", 1));
        Assert.Equal("order.created", JsonNode.Parse((await newReceiver.NextAsync()).Body)!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stock_receiver_fails_the_challenge_but_passes_the_signed_ping_an_administrator_chose()
    {
        await using var app = await StartWithAdministratorsAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = StockReceiver(Secret);

        var challenged = await ReadAsync(await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions", $$"""{"url":"{{receiver.Url}}","secret":"{{Secret}}"}"""));
        Assert.Equal("pending", (string)challenged["status"]!);
        Assert.Equal("challenge", (string)challenged["verification"]!);
        await receiver.NextAsync();

        var response = await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions",
            $$"""{"url":"{{receiver.Url}}","secret":"{{Secret}}","verification":"ping"}""", asAdministrator: true);
        var pinged = await ReadAsync(response);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("enabled", (string)pinged["status"]!);
        Assert.Equal("ping", (string)pinged["verification"]!);
        var ping = await receiver.NextAsync();
        Assert.Equal("webhook.ping", JsonNode.Parse(ping.Body)!["type"]!.GetValue<string>());
        // One message goes to the pinged subscription; the challenged one still gets nothing.
        Assert.Equal(1, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);
        Assert.Equal("order.created", JsonNode.Parse((await receiver.NextAsync()).Body)!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_ping_answered_with_an_error_leaves_the_subscription_pending()
    {
        await using var app = await StartWithAdministratorsAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = StockReceiver(WebHookSecret.Generate().Reveal()); // configured with another secret: 401

        var created = await ReadAsync(await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions",
            $$"""{"url":"{{receiver.Url}}","secret":"{{Secret}}","verification":"ping"}""", asAdministrator: true));

        Assert.Equal("pending", (string)created["status"]!);
        Assert.Contains("401", (string)created["statusReason"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "ping")]
    [InlineData(true, "none")]
    [InlineData(false, "ping")]
    public async Task Only_a_caller_passing_the_administrator_policy_may_choose_ping_or_none(bool withPolicy, string mode)
    {
        await using var app = await StartWithAdministratorsAsync(withPolicy);
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = AnswersOkWithoutEcho;

        var refused = await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions", $$"""{"url":"{{receiver.Url}}","verification":"{{mode}}"}""");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("VerificationModePolicy", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await app.Store.ListSubscriptionsAsync(null, null, 10));

        var id = (string)(await ReadAsync(await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions", $$"""{"url":"{{receiver.Url}}"}""")))["id"]!;
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(app, HttpMethod.Patch, $"/webhooks/subscriptions/{id}", $$"""{"verification":"{{mode}}"}""")).StatusCode);
        Assert.Equal("challenge", (string)(await ReadAsync(await app.Client.GetAsync($"/webhooks/subscriptions/{id}")))["verification"]!);
    }

    [Fact]
    public async Task An_administrator_exemption_is_for_one_url_and_a_new_url_must_pass_the_challenge()
    {
        await using var app = await StartWithAdministratorsAsync();
        await using var exempt = await Receiver.StartAsync();
        await using var other = await Receiver.StartAsync();
        other.Respond = AnswersOkWithoutEcho;

        var created = await ReadAsync(await SendAsync(app, HttpMethod.Post, "/webhooks/subscriptions",
            $$"""{"url":"{{exempt.Url}}","verification":"none"}""", asAdministrator: true));
        Assert.Equal("enabled", (string)created["status"]!);
        Assert.False(exempt.TryTake(out _)); // nothing was sent to check it
        var id = (string)created["id"]!;

        var moved = await ReadAsync(await SendAsync(app, HttpMethod.Patch, $"/webhooks/subscriptions/{id}", $$"""{"url":"{{other.Url}}"}"""));

        Assert.Equal("challenge", (string)moved["verification"]!);
        Assert.Equal("pending", (string)moved["status"]!);
        Assert.Equal(WebHookChallenge.EventType, JsonNode.Parse((await other.NextAsync()).Body)!["type"]!.GetValue<string>());
        Assert.Equal(0, (await app.Publisher.PublishAsync(new OrderCreated("o-1", 1))).Deliveries);
    }
}
