using System.Net;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hooks.Tests.Receiving;

public sealed class NamedReceiverTests
{
    private static readonly WebHookSecret ShopSecret = WebHookSecret.Generate();
    private static readonly WebHookSecret BillingSecret = WebHookSecret.Generate();

    [Fact]
    public async Task Each_named_receiver_has_its_own_path_and_secrets()
    {
        var log = new HandlerLog();
        await using var app = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddWebHooks()
                    .AddReceiver("shop", o => o.Secrets.Add(ShopSecret.Reveal()))
                    .AddReceiver("billing", o => o.Secrets.Add(BillingSecret.Reveal()));
            },
            a =>
            {
                a.MapWebHookReceiver("/hooks/shop", TestDispatcher.Instance, "shop");
                a.MapWebHookReceiver("/hooks/billing", TestDispatcher.Instance, "billing");
            });

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(SignedRequests.Order(ShopSecret, "/hooks/shop", "msg_1"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(SignedRequests.Order(BillingSecret, "/hooks/billing", "msg_1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SendAsync(SignedRequests.Order(ShopSecret, "/hooks/billing", "msg_2"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Client.SendAsync(SignedRequests.Order(BillingSecret, "/hooks/shop", "msg_3"))).StatusCode);

        // The same id at two receivers is two messages (two producers): both ran.
        Assert.Equal(["shop", "billing"], log.Calls.Select(c => c.Context.ReceiverName).ToArray());
    }

    [Fact]
    public async Task Answers_are_counted_by_receiver_and_status()
    {
        var measurements = new System.Collections.Concurrent.ConcurrentQueue<(string Receiver, int Status)>();
        var two = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Hooks.Diagnostics.WebHookDiagnostics.Name && instrument.Name == "hooks.receiver.requests") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string? receiver = null;
            var status = 0;
            foreach (var tag in tags)
            {
                if (tag.Key == "webhook.receiver") receiver = tag.Value as string;
                if (tag.Key == "http.response.status_code") status = (int)tag.Value!;
            }
            if (receiver == "metered")
            {
                measurements.Enqueue((receiver, status));
                if (measurements.Count == 2) two.TrySetResult();
            }
        });
        listener.Start();
        await using var app = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(new HandlerLog());
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddWebHooks().AddReceiver("metered", o => o.Secrets.Add(ShopSecret.Reveal()));
            },
            a => a.MapWebHookReceiver("/hooks", TestDispatcher.Instance, "metered"));

        await app.Client.SendAsync(SignedRequests.Order(ShopSecret, "/hooks"));
        await app.Client.SendAsync(SignedRequests.Order(BillingSecret, "/hooks"));
        // The count is taken after the answer is written, so the client may see the answer first.
        await two.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([("metered", 204), ("metered", 401)], measurements.ToArray());
    }

    [Fact]
    public async Task Mapping_an_unknown_receiver_fails_with_the_fix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddReceiver("shop", o => o.Secrets.Add(ShopSecret.Reveal())),
            a => a.MapWebHookReceiver("/hooks", TestDispatcher.Instance, "billing")));

        Assert.Contains("AddReceiver(\"billing\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mapping_without_any_receiver_fails_with_the_fix()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => LoopbackApp.StartAsync(
            services => services.AddWebHooks(),
            a => a.MapWebHookReceiver("/hooks", TestDispatcher.Instance)));

        Assert.Contains("AddReceiver", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_options_fail_at_start_without_echoing_the_secret()
    {
        const string bad = "whsec_c2hvcnQ=";
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddReceiver(o =>
            {
                o.Secrets.Add(bad);
                o.MaxBodyBytes = 0;
            }),
            _ => { }));

        Assert.Contains("shorter than 24 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxBodyBytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2hvcnQ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receiver_without_secrets_fails_at_start()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddReceiver(_ => { }),
            _ => { }));

        Assert.Contains("has no secrets", error.Message, StringComparison.Ordinal);
    }
}
