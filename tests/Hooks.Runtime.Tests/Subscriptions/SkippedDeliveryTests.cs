using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Subscriptions;

/// <summary>Messages published while a subscription is disabled join its feed as skipped deliveries, not pushed.</summary>
public sealed class SkippedDeliveryTests
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_message_published_while_disabled_is_listed_as_skipped_and_recover_sends_it_with_its_sequence()
    {
        await using var app = await ProducerApp.StartAsync();
        await using var receiver = await Receiver.StartAsync();
        var created = JsonNode.Parse(await (await app.Client.PostAsync("/webhooks/subscriptions", Json($$"""{"url":"{{receiver.Url}}"}"""))).Content.ReadAsStringAsync())!;
        var id = (string)created["id"]!;
        await app.Client.PostAsync($"/webhooks/subscriptions/{id}/disable", null);

        var published = await app.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var skipped = JsonNode.Parse(await app.Client.GetStringAsync($"/webhooks/subscriptions/{id}/deliveries?status=skipped"))!["data"]!.AsArray();

        Assert.Equal(0, published.Deliveries); // nothing to push
        Assert.Equal("skipped", (string)Assert.Single(skipped)!["status"]!);
        await app.Client.PostAsync($"/webhooks/subscriptions/{id}/enable", null);
        Assert.False(receiver.TryTake(out _)); // enabling does not push what was skipped
        var recovered = await app.Client.PostAsync($"/webhooks/subscriptions/{id}/recover", Json($$"""{"since":"{{app.Time.GetUtcNow().AddHours(-1):O}}"}"""));
        Assert.Equal(HttpStatusCode.Accepted, recovered.StatusCode);
        var request = await receiver.NextAsync();
        Assert.Equal(published.MessageId, request.Header(WebHookHeaders.Id));
        Assert.Equal("1", request.Header(WebHookHeaders.Sequence));
    }
}
