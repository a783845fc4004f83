using System.Net;
using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Infrastructure;

/// <summary>A producer's services with a fake clock, a recording store and loopback allowed; dispatcher running.</summary>
public sealed class TestProducer : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;

    private TestProducer(ServiceProvider services, FakeTimeProvider time, RecordingStore store)
    {
        _services = services;
        Time = time;
        Store = store;
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    public FakeTimeProvider Time { get; }

    public RecordingStore Store { get; }

    public IWebHookPublisher Publisher => _services.GetRequiredService<IWebHookPublisher>();

    internal WebHookSubscriptionService Subscriptions => _services.GetRequiredService<WebHookSubscriptionService>();

    public IServiceProvider Services => _services;

    public static async Task<TestProducer> StartAsync(Action<WebHookProducerOptions>? configure = null, bool allowLoopback = true,
        Microsoft.Extensions.Logging.ILoggerProvider? logs = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new RecordingStore();
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logs is not null)
            {
                b.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
                b.AddProvider(logs);
            }
        });
        AddTestProducer(services, time, store, configure, allowLoopback);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var producer = new TestProducer(provider, time, store);
        foreach (var hosted in producer._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        return producer;
    }

    /// <summary>
    /// The producer every test uses: the fake clock, the recording store, the test events, plain http, no intent
    /// verification, and loopback opened in the SSRF guard unless <paramref name="allowLoopback"/> is false.
    /// </summary>
    internal static void AddTestProducer(IServiceCollection services, FakeTimeProvider time, RecordingStore store,
        Action<WebHookProducerOptions>? configure, bool allowLoopback = true)
    {
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IWebHookStore>(store);
        services.AddWebHooks()
            .AddEvent<OrderCreated>()
            .AddEvent<OrderCancelled>()
            .AddEvent<CustomerCreated>()
            .AddProducer(o =>
            {
                o.AllowHttp = true;
                o.RequireIntentVerification = false;
                if (allowLoopback)
                {
                    o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                    o.AllowedNetworks.Add(IPNetwork.Parse("::1/128"));
                }
                configure?.Invoke(o);
            });
    }

    /// <summary>Stores an enabled subscription to <paramref name="url"/> directly.</summary>
    public async Task<WebHookSubscription> SubscribeAsync(Uri url, WebHookSecret? secret = null, params string[] eventTypes)
    {
        var now = Time.GetUtcNow();
        var subscription = new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(secret ?? WebHookSecret.Generate(), now, null)],
            EventTypes = eventTypes,
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Assert.True(await Store.CreateSubscriptionAsync(subscription));
        return (await Store.GetSubscriptionAsync(subscription.Id))!; // as stored: with the version an update names
    }

    public async Task StopAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _services.DisposeAsync();
    }
}
