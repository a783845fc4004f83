using System.Net;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Cli.Tests.Infrastructure;

/// <summary>
/// A producer on loopback with its event feed mapped (MapWebHookFeed) and one subscription whose pushes all fail
/// (nothing listens at its URL), so its events are read from the feed.
/// </summary>
public sealed class FeedProducerApp(LoopbackApp app, string subscriptionId, WebHookSecret secret) : IAsyncDisposable
{
    public string SubscriptionId { get; } = subscriptionId;

    public WebHookSecret Secret { get; } = secret;

    public Uri Address => app.Address;

    public string Feed => new Uri(app.Address, "/webhooks/feed").ToString();

    public IWebHookStore Store => app.Services.GetRequiredService<IWebHookStore>();

    public IWebHookPublisher Publisher => app.Services.GetRequiredService<IWebHookPublisher>();

    public static async Task<FeedProducerApp> StartAsync(string subscriptionId)
    {
        var app = await LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddEvent<OrderCreated>().AddProducer(o =>
            {
                o.AllowHttp = true;
                o.RequireIntentVerification = false;
                o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                while (o.RetrySchedule.Count > 1) o.RetrySchedule.RemoveAt(1);
            }),
            a => a.MapWebHookFeed());
        var secret = WebHookSecret.Generate();
        var now = DateTimeOffset.UtcNow;
        Assert.True(await app.Services.GetRequiredService<IWebHookStore>().CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = subscriptionId,
            Url = new Uri("http://127.0.0.1:1/hook"),
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            EventTypes = [],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        }));
        return new FeedProducerApp(app, subscriptionId, secret);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
