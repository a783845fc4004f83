using System.Net;
using System.Text;
using System.Text.Json;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.ReverseHttp;

/// <summary>How a subscription says "deliver over reversed connections", and what that does not open.</summary>
public sealed class ReverseHttpSubscriptionTests
{
    [Fact]
    public async Task A_ptth_subscription_passes_intent_verification_over_the_reversed_connection_and_then_receives()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(producer: o => o.RequireIntentVerification = true);
        using var created = await producer.Client.PostAsync(new Uri("/api/subscriptions", UriKind.Relative), new StringContent(
            $$"""{"url":"ptth://laptop/webhooks","secret":"{{secret.Reveal()}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var id = body.RootElement.GetProperty("id").GetString()!;
        // Nobody has dialled in yet, so the challenge could not be sent.
        Assert.Equal("pending", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("No reversed connection from the consumer is open: the check is sent when the consumer connects.",
            body.RootElement.GetProperty("statusReason").GetString());

        await using var consumer = await PtthConsumer.StartAsync(producer.UpgradeUrl, id, secret);
        await ReverseHttpEndToEndTests.WaitUntilAsync(() =>
            producer.Store.GetSubscriptionAsync(id).AsTask().Result?.Status == WebHookSubscriptionStatus.Enabled);

        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1m));
        await ReverseHttpEndToEndTests.WaitForSuccessAsync(producer.Store, 1);
        Assert.Equal(1, consumer.Log.Count);
    }

    [Theory]
    [InlineData("ptth://user:pass@laptop/webhooks")]
    [InlineData("ptth://laptop/webhooks#x")]
    public async Task A_ptth_url_with_credentials_or_a_fragment_is_refused(string url)
    {
        await using var producer = await PtthProducer.StartAsync();
        using var created = await producer.Client.PostAsync(new Uri("/api/subscriptions", UriKind.Relative), new StringContent(
            $$"""{"url":"{{url}}"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
    }

    [Fact]
    public async Task A_direct_url_naming_a_reversed_connection_does_not_reach_it()
    {
        var secret = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync(producer: o =>
        {
            o.RetrySchedule.Clear();
            o.RetrySchedule.Add(TimeSpan.Zero);
        });
        var reversed = await producer.SubscribeAsync(secret);
        await using var raw = await RawHttpConnection.ConnectAsync(producer.Address);
        await raw.WriteAsync(RawHttpConnection.UpgradeHead(reversed.Id, secret));
        Assert.Equal(101, (await raw.ReadMessageAsync()).Status);
        Assert.Equal("OPTIONS / HTTP/1.1", (await raw.ReadMessageAsync()).StartLine);
        await raw.WriteAsync("HTTP/1.1 204 No Content\r\n\r\n");

        // The reversed connection is the reverse handler's "http://ptth-1"; a direct subscription to that very
        // authority goes through the direct handler (DNS and the SSRF guard), never to the reversed connection, which
        // would hold the request unanswered until the timeout.
        var direct = await producer.SubscribeAsync(secret, "http://ptth-1/webhooks");
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await producer.Store.UpdateSubscriptionAsync(reversed with { Status = WebHookSubscriptionStatus.Disabled }));
        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1m));
        var attempt = (await producer.Store.NextAttemptAsync()).Attempt;
        Assert.Equal(direct.Id, attempt.SubscriptionId);
        Assert.Equal(WebHookAttemptOutcome.ConnectionError, attempt.Outcome);
    }
}
