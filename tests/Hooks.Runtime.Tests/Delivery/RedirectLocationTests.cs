using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Delivery;

/// <summary>A redirect is not followed, but where it pointed is kept for the subscription's owner to see.</summary>
public sealed class RedirectLocationTests
{
    private static async Task<JsonNode> GetAsync(ProducerApp app, string path) =>
        JsonNode.Parse(await app.Client.GetStringAsync(new Uri(path, UriKind.Relative)))!;

    private static async Task<JsonNode> AttemptOfRedirectAsync(string location)
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        receiver.Respond = (ctx, _) =>
        {
            ctx.Response.StatusCode = 307;
            ctx.Response.Headers.Location = location;
            return Task.CompletedTask;
        };
        using var created = await app.Client.PostAsync(new Uri("/webhooks/subscriptions", UriKind.Relative),
            new StringContent($$"""{"url":"{{receiver.Url}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!;

        await app.Publisher.PublishAsync(new OrderCreated("o-moved", 1));
        var result = await app.Store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.Redirect, result.Attempt.Outcome);

        var delivery = (await GetAsync(app, $"/webhooks/subscriptions/{id}/deliveries"))["data"]![0]!;
        var attempts = await GetAsync(app, $"/webhooks/subscriptions/{id}/deliveries/{delivery["id"]}/attempts");
        var attempt = Assert.Single(attempts["data"]!.AsArray())!;
        Assert.Equal("redirect", (string)attempt["outcome"]!);
        Assert.Equal(307, (int)attempt["statusCode"]!);
        return attempt;
    }

    [Fact]
    public async Task A_redirect_attempt_shows_its_Location_in_the_attempt_list()
    {
        var attempt = await AttemptOfRedirectAsync("https://hooks.example.com/v2/orders?tenant=7");

        Assert.Equal("https://hooks.example.com/v2/orders?tenant=7", (string?)attempt["location"]);
    }

    [Fact]
    public async Task A_long_redirect_Location_is_kept_cut_to_its_bound()
    {
        var location = "https://hooks.example.com/" + new string('a', 10_000);

        var attempt = await AttemptOfRedirectAsync(location);

        var kept = (string?)attempt["location"];
        Assert.NotNull(kept);
        Assert.Equal(WebHookAttempt.MaxLocationLength, kept.Length);
        Assert.StartsWith(kept, location, StringComparison.Ordinal);
    }
}
