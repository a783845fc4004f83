using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

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
}
