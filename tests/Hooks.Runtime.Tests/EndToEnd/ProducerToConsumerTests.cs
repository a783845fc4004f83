using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hooks.Infrastructure;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.EndToEnd;

/// <summary>
/// Both halves for real, in two Kestrel apps on loopback: a producer subscribes a consumer's receiver through its
/// management API (the receiver answers the intent-verification challenge itself), publishes, and the consumer's
/// handler runs once — also when the producer redelivers the same message.
/// </summary>
public sealed class ProducerToConsumerTests
{
    [Fact]
    public async Task Subscribe_verify_publish_handle_and_redelivery_is_deduplicated()
    {
        var secret = WebHookSecret.Generate();
        var log = new HandlerLog();
        await using var consumer = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
        await using var producer = await LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddEvent<OrderCreated>().AddProducer(o =>
            {
                o.AllowHttp = true;
                o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
            }),
            app => app.MapWebHookSubscriptions("/api"));

        // Subscribe with the secret the consumer holds: the challenge is answered and the subscription enabled.
        using var created = await producer.Client.PostAsync(new Uri("/api/subscriptions", UriKind.Relative), JsonContent(
            $$"""{"url":"{{new Uri(consumer.Address, "webhooks")}}","eventTypes":["order.*"],"secret":"{{secret.Reveal()}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var subscription = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        Assert.Equal("enabled", subscription.RootElement.GetProperty("status").GetString());
        var subscriptionId = subscription.RootElement.GetProperty("id").GetString();
        Assert.Equal(0, log.Count);

        var published = await producer.Services.GetRequiredService<IWebHookPublisher>().PublishAsync(new OrderCreated("o-77", 77m));
        Assert.Equal(1, published.Deliveries);
        await WaitForAsync(() => log.Count == 1);
        var (evt, context) = Assert.Single(log.Calls);
        Assert.Equal(new OrderCreated("o-77", 77m), evt);
        Assert.Equal(published.MessageId, context.MessageId);
        Assert.Equal(1, context.Attempt);

        // The owner redelivers: the producer sends it again (a second succeeded attempt), the consumer dedupes.
        using var redeliver = await producer.Client.PostAsync(
            new Uri($"/api/subscriptions/{subscriptionId}/messages/{published.MessageId}/redeliver", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        await WaitForAsync(async () =>
        {
            using var deliveries = JsonDocument.Parse(await producer.Client.GetStringAsync(
                new Uri($"/api/subscriptions/{subscriptionId}/deliveries", UriKind.Relative)));
            var delivery = deliveries.RootElement.GetProperty("data")[0];
            var id = delivery.GetProperty("id").GetRawText();
            using var attempts = JsonDocument.Parse(await producer.Client.GetStringAsync(
                new Uri($"/api/subscriptions/{subscriptionId}/deliveries/{id}/attempts", UriKind.Relative)));
            var list = attempts.RootElement.GetProperty("data").EnumerateArray().ToArray();
            return list.Length == 2 && list.All(a => a.GetProperty("statusCode").ValueKind == JsonValueKind.Number)
                ? list.Select(a => a.GetProperty("statusCode").GetInt32()).ToArray() is [204, 200] or [200, 204]
                : false;
        });
        Assert.Equal(1, log.Count);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static Task WaitForAsync(Func<bool> condition) => WaitForAsync(() => Task.FromResult(condition()));

    /// <summary>Polls a condition that has no signal of its own (another app's state), with a deadline.</summary>
    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!await condition())
        {
            await tick.WaitForNextTickAsync(deadline.Token);
        }
    }
}
