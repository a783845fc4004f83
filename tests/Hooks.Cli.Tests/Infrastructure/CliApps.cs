using System.Net;
using Hooks.Infrastructure;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Cli.Tests.Infrastructure;

/// <summary>A Hooks receiver on loopback (the runtime's real endpoint) whose handlers record what they ran.</summary>
public sealed class ReceiverApp(LoopbackApp app, HandlerLog log) : IAsyncDisposable
{
    public Uri Url { get; } = new(app.Address, "/webhooks");

    public HandlerLog Log { get; } = log;

    public static async Task<ReceiverApp> StartAsync(WebHookSecret secret)
    {
        var log = new HandlerLog();
        var app = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddScoped<IWebHookHandler<InvoicePaid>, InvoicePaidHandler>();
                services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
            },
            a => a.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
        return new ReceiverApp(app, log);
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}

/// <summary>
/// A producer on loopback with the management API at /api/webhooks behind a bearer token, a recording store, and a
/// recording endpoint to subscribe (loopback and http allowed, no intent verification).
/// </summary>
public sealed class ProducerWithApi : IAsyncDisposable
{
    public const string Token = "test-token-5f1c2a";

    private readonly LoopbackApp _app;

    private ProducerWithApi(LoopbackApp app, RecordingStore store, Receiver receiver)
    {
        _app = app;
        Store = store;
        Receiver = receiver;
    }

    public Uri Api => new(_app.Address, "/api/webhooks");

    public RecordingStore Store { get; }

    /// <summary>Where subscriptions point: records each delivery.</summary>
    public Receiver Receiver { get; }

    public IWebHookPublisher Publisher => _app.Services.GetRequiredService<IWebHookPublisher>();

    /// <summary>HOOKS_API_URL and HOOKS_API_TOKEN for this producer.</summary>
    public Dictionary<string, string> Environment => new() { ["HOOKS_API_URL"] = Api.ToString(), ["HOOKS_API_TOKEN"] = Token };

    public static async Task<ProducerWithApi> StartAsync()
    {
        var store = new RecordingStore();
        var receiver = await Receiver.StartAsync();
        var app = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton<IWebHookStore>(store);
                services.AddWebHooks()
                    .AddEvent<OrderCreated>()
                    .AddEvent<OrderCancelled>()
                    .AddProducer(o =>
                    {
                        o.AllowHttp = true;
                        o.RequireIntentVerification = false;
                        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                    });
            },
            a =>
            {
                // The app's own authentication, as the README asks for: here a fixed bearer token.
                a.Use(async (context, next) =>
                {
                    if (context.Request.Path.StartsWithSegments("/api") && context.Request.Headers.Authorization != $"Bearer {Token}")
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        return;
                    }
                    await next(context);
                });
                a.MapWebHookSubscriptions("/api/webhooks");
            });
        return new ProducerWithApi(app, store, receiver);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
