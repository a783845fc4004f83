using System.Net;
using Hooks.Publishing;
using Hooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Infrastructure;

/// <summary>A producer web app on real Kestrel with the management API mapped at /webhooks.</summary>
public sealed class ProducerApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ProducerApp(WebApplication app, FakeTimeProvider time, RecordingStore store, HttpClient client)
    {
        _app = app;
        Time = time;
        Store = store;
        Client = client;
    }

    public FakeTimeProvider Time { get; }

    public RecordingStore Store { get; }

    public HttpClient Client { get; }

    public IWebHookPublisher Publisher => _app.Services.GetRequiredService<IWebHookPublisher>();

    public static async Task<ProducerApp> StartAsync(Action<WebHookProducerOptions>? configure = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new RecordingStore();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IWebHookStore>(store);
        builder.Services.AddWebHooks()
            .AddEvent<OrderCreated>()
            .AddEvent<OrderCancelled>()
            .AddEvent<CustomerCreated>()
            .AddProducer(o =>
            {
                o.AllowHttp = true;
                o.RequireIntentVerification = false;
                o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                configure?.Invoke(o);
            });
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapWebHookSubscriptions();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address) };
        return new ProducerApp(app, time, store, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
