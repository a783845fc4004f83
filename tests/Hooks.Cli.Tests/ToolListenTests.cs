using System.Text.Json;
using Hooks.Cli.Tests.Infrastructure;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Cli.Tests;

/// <summary>
/// <c>hooks listen</c> as users run it: the packed, installed tool as a separate process, a producer on loopback with
/// a <c>ptth://</c> subscription, and a local receiver the producer cannot reach (its SSRF guard refuses loopback):
/// deliveries get there only through the reversed connections the tool dials.
/// </summary>
[Collection(PackedToolCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ToolListenTests(PackedTool tool)
{
    private readonly WebHookSecret _secret = WebHookSecret.Generate();

    private RunningTool Listen(PtthProducerApp producer, string subscriptionId, Uri forward, params string[] more) =>
        tool.Start(["listen", producer.Address.ToString(), "--subscription", subscriptionId, "--forward", forward.ToString(), "--connections", "1", .. more],
            new Dictionary<string, string> { ["HOOKS_SECRET"] = _secret.Reveal() });

    [Fact]
    public async Task Deliveries_arrive_verified_and_the_local_500_is_a_failed_attempt_the_producer_retries()
    {
        var store = new RecordingStore();
        await using var producer = await PtthProducerApp.StartAsync(store);
        var subscriptionId = await producer.SubscribeAsync(_secret);
        await using var local = await Receiver.StartAsync();
        var answers = 0;
        local.Respond = (ctx, _) =>
        {
            ctx.Response.StatusCode = Interlocked.Increment(ref answers) == 1 ? 500 : 200;
            return Task.CompletedTask;
        };
        await using var listen = Listen(producer, subscriptionId, local.Url, "--json");
        await listen.NextLineAsync(l => Event(l) == "connected", "a connected event");

        var published = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 10m));

        var first = await local.NextAsync();
        Assert.Equal(published.MessageId, first.Header("webhook-id"));
        Assert.True(new WebHookVerifier(_secret).Verify(first.Header("webhook-id"), first.Header("webhook-timestamp"), first.Header("webhook-signature"),
            first.Body).IsValid);
        var failed = await store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.HttpError, failed.Attempt.Outcome);
        Assert.Equal(500, failed.Attempt.StatusCode);
        var retried = await local.NextAsync();
        Assert.Equal(published.MessageId, retried.Header("webhook-id"));
        Assert.Equal("2", retried.Header("webhook-attempt"));
        var succeeded = await store.NextAttemptAsync();
        Assert.Equal(WebHookAttemptOutcome.Succeeded, succeeded.Attempt.Outcome);
        Assert.Equal(200, succeeded.Attempt.StatusCode);

        using var line500 = JsonDocument.Parse(await listen.NextLineAsync(l => Event(l) == "delivery", "the first delivery"));
        using var line200 = JsonDocument.Parse(await listen.NextLineAsync(l => Event(l) == "delivery", "the retry"));
        AssertDelivery(line500.RootElement, published.MessageId, 1, 500);
        AssertDelivery(line200.RootElement, published.MessageId, 2, 200);

        listen.Interrupt();
        Assert.Equal(130, await listen.ExitCodeAsync());
        Assert.Contains("\"event\":\"stopped\"", await listen.RestAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(_secret.Reveal(), listen.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_producer_restarts_it_reconnects_and_later_deliveries_arrive_and_Ctrl_C_stops_it()
    {
        var store = new RecordingStore();
        var producer = await PtthProducerApp.StartAsync(store);
        var port = producer.Address.Port;
        var subscriptionId = await producer.SubscribeAsync(_secret);
        await using var local = await Receiver.StartAsync();
        await using var listen = Listen(producer, subscriptionId, local.Url);
        await listen.NextLineAsync(l => l.Contains("connected to ", StringComparison.Ordinal), "connected");

        var before = await producer.Publisher.PublishAsync(new OrderCreated("before", 1m));
        Assert.Equal(before.MessageId, (await local.NextAsync()).Header("webhook-id"));
        Assert.Matches(@"^\d\d:\d\d:\d\d  " + before.MessageId + @"  order\.created  200  \d+ ms$",
            await listen.NextLineAsync(l => l.Contains(before.MessageId, StringComparison.Ordinal), "the first delivery"));

        await producer.DisposeAsync();
        await listen.NextLineAsync(l => l.Contains("disconnected (0 of 1 open)", StringComparison.Ordinal), "disconnected");
        await using var restarted = await PtthProducerApp.StartAsync(store, port);
        await listen.NextLineAsync(l => l.Contains("connected to ", StringComparison.Ordinal), "connected again");

        var after = await restarted.Publisher.PublishAsync(new OrderCreated("after", 2m));
        Assert.Equal(after.MessageId, (await local.NextAsync()).Header("webhook-id"));
        await listen.NextLineAsync(l => l.Contains(after.MessageId, StringComparison.Ordinal), "the delivery after the restart");

        listen.Interrupt();
        Assert.Equal(130, await listen.ExitCodeAsync());
        Assert.EndsWith("stopped" + Environment.NewLine, await listen.RestAsync(), StringComparison.Ordinal);
    }

    private static void AssertDelivery(JsonElement line, string id, int attempt, int status)
    {
        Assert.Equal(id, line.GetProperty("id").GetString());
        Assert.Equal("order.created", line.GetProperty("type").GetString());
        Assert.Equal(attempt, line.GetProperty("attempt").GetInt32());
        Assert.Equal(status, line.GetProperty("status").GetInt32());
        Assert.True(line.GetProperty("forwarded").GetBoolean());
        Assert.True(line.GetProperty("durationMs").GetInt64() >= 0);
        Assert.True(line.TryGetProperty("time", out _));
    }

    private static string? Event(string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.GetProperty("event").GetString();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
