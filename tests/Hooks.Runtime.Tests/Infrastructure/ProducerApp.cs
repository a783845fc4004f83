using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Infrastructure;

/// <summary>A producer web app on real Kestrel with the management API mapped at /webhooks.</summary>
public sealed class ProducerApp : IAsyncDisposable
{
    private readonly LoopbackApp _app;

    private ProducerApp(LoopbackApp app, FakeTimeProvider time, RecordingStore store)
    {
        _app = app;
        Time = time;
        Store = store;
    }

    public FakeTimeProvider Time { get; }

    public RecordingStore Store { get; }

    public HttpClient Client => _app.Client;

    public IWebHookPublisher Publisher => _app.Services.GetRequiredService<IWebHookPublisher>();

    /// <param name="configure">Producer options.</param>
    /// <param name="services">More services.</param>
    /// <param name="map">Maps the app's endpoints; the management API at /webhooks by default.</param>
    public static async Task<ProducerApp> StartAsync(Action<WebHookProducerOptions>? configure = null, Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var store = new RecordingStore();
        var app = await LoopbackApp.StartAsync(
            s =>
            {
                TestProducer.AddTestProducer(s, time, store, configure);
                services?.Invoke(s);
            },
            map ?? (a => a.MapWebHookSubscriptions()));
        return new ProducerApp(app, time, store);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
