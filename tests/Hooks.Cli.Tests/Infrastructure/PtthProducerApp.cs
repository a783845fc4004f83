using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Cli.Tests.Infrastructure;

/// <summary>
/// A producer on loopback that delivers over Reverse HTTP (<c>MapReverseHttp()</c> at /webhooks/ptth). Its SSRF guard
/// is the default one, which refuses loopback: the local receiver is reachable only through <c>hooks listen</c>.
/// Retries every 100 ms so a failed attempt is retried soon; the store is passed in so a restart keeps it.
/// </summary>
public sealed class PtthProducerApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private PtthProducerApp(WebApplication app, Uri address, RecordingStore store)
    {
        _app = app;
        Address = address;
        Store = store;
    }

    public Uri Address { get; }

    public RecordingStore Store { get; }

    public IWebHookPublisher Publisher => _app.Services.GetRequiredService<IWebHookPublisher>();

    public static async Task<PtthProducerApp> StartAsync(RecordingStore store, int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IWebHookStore>(store);
        builder.Services.AddWebHooks().AddEvent<OrderCreated>()
            .AddProducer(o =>
            {
                o.RequireIntentVerification = false;
                o.RetrySchedule.Clear();
                o.RetrySchedule.Add(TimeSpan.Zero);
                for (var i = 0; i < 50; i++)
                {
                    o.RetrySchedule.Add(TimeSpan.FromMilliseconds(100));
                }
                o.RetryJitter = 0;
                o.PollInterval = TimeSpan.FromMilliseconds(100);
            })
            .AddReverseHttp(_ => { });
        var app = builder.Build();
        app.MapReverseHttp();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new PtthProducerApp(app, new Uri(address), store);
    }

    /// <summary>Stores an enabled subscription delivered over reversed connections to the consumer's /webhooks.</summary>
    public async Task<string> SubscribeAsync(WebHookSecret secret)
    {
        var now = DateTimeOffset.UtcNow;
        var subscription = new WebHookSubscription
        {
            Id = "sub_" + Guid.CreateVersion7().ToString("N"),
            Url = new Uri("ptth://laptop/webhooks"),
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Assert.True(await Store.CreateSubscriptionAsync(subscription));
        return subscription.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
