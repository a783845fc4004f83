using System.Net;
using System.Runtime.CompilerServices;
using Hooks.CatchUp;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hooks.Tests.CatchUp;

/// <summary>
/// The consumer's catch-up poller against a real producer's feed, both on real Kestrel and one fake clock (so the
/// 5-minute timer never fires unless a test moves the clock): catching up after being down, push and poll together,
/// a dropped push noticed by its sequence gap, back-off, poison events, and the health check.
/// </summary>
public sealed class CatchUpPollerTests
{
    private static readonly WebHookSecret Secret = WebHookSecret.Generate();

    [Fact]
    public async Task A_consumer_down_while_1000_events_were_published_handles_all_of_them_once_through_catch_up()
    {
        const string subscription = "sub_down1000";
        await using var producer = await CatchUpApps.StartProducerAsync(attempts: 1);
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        var ids = new HashSet<string>();
        for (var i = 1; i <= 1000; i++)
        {
            ids.Add((await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i))).MessageId);
        }
        // Every push failed (nothing listens) and, with a one-attempt schedule, is exhausted.
        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(Hooks.Storage.WebHookDeliveryStatus.Failed, (await producer.Store.NextAttemptAsync()).NewStatus);
        }
        var failed = await producer.Store.ListDeliveriesAsync(new() { SubscriptionId = subscription, Status = Hooks.Storage.WebHookDeliveryStatus.Failed, Limit = 1000 });
        Assert.Equal(1000, failed.Count);

        var log = new HandlerLog();
        var counted = new Counted();
        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted, o => o.PageSize = 250);
        var feed = CatchUpApps.Feed(consumer);
        await CatchUpApps.WaitForPollAsync(feed, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 1000);

        Assert.Equal(1000, log.Count);
        Assert.Equal(ids.Order(), log.Calls.Select(c => c.Context.MessageId).Order());
        Assert.All(log.Calls, c => Assert.Equal(WebHookSource.CatchUp, c.Context.Source));
        Assert.Equal(1000, await consumer.Services.GetRequiredService<IWebHookCursorStore>().GetAsync("default", subscription, default));
        Assert.NotNull(feed.LastInSync);
    }

    [Fact]
    public async Task A_consumer_up_all_along_gets_pushes_and_polls_and_runs_each_handler_once()
    {
        const string subscription = "sub_upalong";
        await using var producer = await CatchUpApps.StartProducerAsync();
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        var log = new HandlerLog();
        var counted = new Counted();
        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted);
        var feed = CatchUpApps.Feed(consumer);
        await CatchUpApps.WaitForPollAsync(feed, (_, outcome) => outcome == WebHookCatchUpOutcome.InSync);
        await CatchUpApps.PointAsync(producer, subscription, new Uri(consumer.Address, "/webhooks"));

        for (var i = 1; i <= 50; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
        }
        await counted.At(50);
        // The timer's poll reads the same 50 events: all duplicates.
        var polled = CatchUpApps.WaitForPollAsync(feed, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 50);
        producer.Time.Advance(TimeSpan.FromMinutes(5));
        await polled;

        Assert.Equal(50, log.Count);
        Assert.Equal(50, log.Calls.Select(c => c.Context.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task A_dropped_push_is_noticed_by_the_sequence_gap_and_caught_up_without_waiting_for_the_timer()
    {
        const string subscription = "sub_gap";
        await using var producer = await CatchUpApps.StartProducerAsync();
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new HandlerLog();
        var counted = new Counted();
        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted, map: app => app.Use(async (ctx, next) =>
        {
            // The network loses the second push: the consumer never sees it (the producer sees a 502).
            if (ctx.Request.Headers[WebHookHeaders.Sequence] == "2")
            {
                ctx.Response.StatusCode = StatusCodes.Status502BadGateway;
                dropped.TrySetResult();
                return;
            }
            await next(ctx);
        }));
        var feed = CatchUpApps.Feed(consumer);
        await CatchUpApps.WaitForPollAsync(feed, (_, outcome) => outcome == WebHookCatchUpOutcome.InSync);
        await CatchUpApps.PointAsync(producer, subscription, new Uri(consumer.Address, "/webhooks"));

        var first = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await counted.At(1);
        var second = await producer.Publisher.PublishAsync(new OrderCreated("o-2", 2));
        await dropped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var third = await producer.Publisher.PublishAsync(new OrderCreated("o-3", 3));
        // No clock moves: only the gap (3 after 1) can make the poller read now.
        await counted.At(3);

        var calls = log.Calls.ToDictionary(c => c.Context.MessageId, c => c.Context.Source);
        Assert.Equal(3, log.Count);
        Assert.Equal(WebHookSource.Push, calls[first.MessageId]);
        Assert.Equal(WebHookSource.CatchUp, calls[second.MessageId]);
        Assert.Equal(WebHookSource.Push, calls[third.MessageId]);
    }

    [Fact]
    public async Task With_two_feeds_on_one_receiver_a_gap_wakes_only_the_feed_its_push_names()
    {
        await using var producer = await CatchUpApps.StartProducerAsync();
        await CatchUpApps.SubscribeAsync(producer, "sub_orders", Secret, CatchUpApps.Nowhere, OrderCreated.EventType);
        await CatchUpApps.SubscribeAsync(producer, "sub_cancels", Secret, CatchUpApps.Nowhere, OrderCancelled.EventType);
        var arrived = new System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource Arrival(string key) => arrived.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, "sub_orders", Secret, new HandlerLog(), new Counted(),
            services: s => s.AddWebHooks().AddCatchUp(o =>
            {
                o.FeedUrl = CatchUpApps.FeedUrl(producer);
                o.SubscriptionId = "sub_cancels";
                o.Secret = Secret.Reveal();
            }),
            map: app => app.Use(async (ctx, next) =>
            {
                var key = ctx.Request.Headers["webhook-subscription"] + "#" + ctx.Request.Headers[WebHookHeaders.Sequence];
                if (key == "sub_cancels#2")
                {
                    ctx.Response.StatusCode = StatusCodes.Status502BadGateway; // lost on the way
                }
                else
                {
                    await next(ctx);
                }
                Arrival(key).TrySetResult();
            }));
        var orders = CatchUpApps.Feed(consumer, 0);
        var cancels = CatchUpApps.Feed(consumer, 1);
        Assert.Equal("sub_cancels", cancels.SubscriptionId);
        await CatchUpApps.WaitForPollAsync(orders, (_, outcome) => outcome == WebHookCatchUpOutcome.InSync);
        await CatchUpApps.WaitForPollAsync(cancels, (_, outcome) => outcome == WebHookCatchUpOutcome.InSync);
        await CatchUpApps.PointAsync(producer, "sub_orders", new Uri(consumer.Address, "/webhooks"));
        await CatchUpApps.PointAsync(producer, "sub_cancels", new Uri(consumer.Address, "/webhooks"));

        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await Arrival("sub_orders#1").Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 3; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCancelled($"o-{i}"));
            await Arrival($"sub_cancels#{i}").Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        // sub_cancels' 3 after 1: its feed reads at once (no clock moves) up to 3.
        await CatchUpApps.WaitForPollAsync(cancels, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 3);

        Assert.Null(orders.Cursor); // never read again after start-up: no gap in sub_orders
        Assert.Equal(1, orders.HighestKnown);
    }

    [Fact]
    public async Task A_handler_failure_stops_the_page_there_and_the_cursor_advances_only_past_settled_events()
    {
        const string subscription = "sub_stall";
        await using var producer = await CatchUpApps.StartProducerAsync(attempts: 1);
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        for (var i = 1; i <= 5; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i));
        }
        var log = new HandlerLog { FailuresToThrow = 0 };
        var counted = new Counted();
        // Event 3's handler fails once: the first poll settles 1 and 2 and stops at 3.
        var failOnce = 1;
        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted,
            services: s => s.AddScoped<IWebHookHandler<OrderCreated>>(sp => new FailingThirdHandler(new CountingOrderHandler(sp.GetRequiredService<HandlerLog>(), sp.GetRequiredService<Counted>()), () => Interlocked.Exchange(ref failOnce, 0) == 1)),
            configure: o => o.MaxBackoff = TimeSpan.FromSeconds(10));
        var feed = CatchUpApps.Feed(consumer);
        var stalled = CatchUpApps.WaitForPollAsync(feed, (_, outcome) => outcome == WebHookCatchUpOutcome.Stalled);
        await stalled;

        Assert.Equal(2, await consumer.Services.GetRequiredService<IWebHookCursorStore>().GetAsync("default", subscription, default));
        Assert.Equal(2, log.Count);

        // After the back-off (5 s ±20%: past 6 s for sure) the next poll runs 3 again and goes on to the head.
        var synced = CatchUpApps.WaitForPollAsync(feed, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 5);
        producer.Time.Advance(TimeSpan.FromSeconds(7));
        await synced;
        Assert.Equal(["o-1", "o-2", "o-3", "o-4", "o-5"], log.Calls.Select(c => ((OrderCreated)c.Event).OrderId).Order());
    }

    [Fact]
    public async Task An_event_that_can_never_be_processed_is_logged_counted_and_passed_over()
    {
        const string subscription = "sub_poison";
        await using var producer = await CatchUpApps.StartProducerAsync(attempts: 1);
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var poison = await producer.Publisher.PublishAsync(new OrderCancelled("o-1")); // no handler, and the receiver rejects unknown types
        await producer.Publisher.PublishAsync(new OrderCreated("o-3", 3));
        var log = new HandlerLog();
        var counted = new Counted();

        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted,
            services: s => s.Configure<Hooks.Hosting.WebHookReceiverOptions>("default", o => o.UnknownEventType = Hooks.Hosting.WebHookUnknownEventTypeBehavior.Reject));
        var feed = CatchUpApps.Feed(consumer);
        await CatchUpApps.WaitForPollAsync(feed, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 3);

        Assert.Equal(2, log.Count);
        Assert.Equal(1, feed.PermanentlySkipped);
        Assert.Contains("passed over: 1", (string)(await consumer.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync())
            .Entries["hooks-catch-up"].Data["default/" + subscription]);
        Assert.Contains(consumer.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains(poison.MessageId) && l.Contains("UnknownEventType"));
    }

    [Fact]
    public async Task A_producer_that_is_down_is_read_again_after_a_back_off_and_the_consumer_catches_up_when_it_is_back()
    {
        const string subscription = "sub_backoff";
        var measured = new System.Collections.Concurrent.ConcurrentQueue<(string Instrument, string Tag)>();
        using var meters = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Hooks" && instrument.Name is "hooks.catchup.reads" or "hooks.feed.requests") l.EnableMeasurementEvents(instrument);
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, _, tags, _) =>
        {
            foreach (var tag in tags) measured.Enqueue((instrument.Name, tag.Value?.ToString() ?? ""));
        });
        meters.Start();
        var down = new StrongBox<int>(1);
        await using var producer = await CatchUpApps.StartProducerAsync(attempts: 1, map: app => app.Use(async (ctx, next) =>
        {
            if (ctx.Request.Path == "/webhooks/feed" && Volatile.Read(ref down.Value) == 1)
            {
                ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await next(ctx);
        }));
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        var log = new HandlerLog();
        var counted = new Counted();

        await using var consumer = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, counted);
        var feed = CatchUpApps.Feed(consumer);
        await CatchUpApps.WaitForPollAsync(feed, (_, outcome) => outcome == WebHookCatchUpOutcome.Failed);
        Assert.Contains("503", feed.LastError);
        Assert.Equal(0, log.Count);

        Volatile.Write(ref down.Value, 0);
        var synced = CatchUpApps.WaitForPollAsync(feed, (f, outcome) => outcome == WebHookCatchUpOutcome.InSync && f.Cursor == 1);
        producer.Time.Advance(TimeSpan.FromSeconds(7));
        await synced;
        Assert.Equal(1, log.Count);
        Assert.Contains(consumer.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains("503"));
        Assert.Contains(("hooks.catchup.reads", "failed"), measured);
        Assert.Contains(("hooks.catchup.reads", "in_sync"), measured);
        Assert.Contains(("hooks.feed.requests", "200"), measured);
    }

    [Fact]
    public void The_back_off_doubles_from_5_seconds_with_jitter_and_never_exceeds_its_cap()
    {
        for (var failures = 1; failures <= 30; failures++)
        {
            var expected = Math.Min(5 * Math.Pow(2, failures - 1), 300);
            var delay = WebHookCatchUpService.Backoff(failures, TimeSpan.FromMinutes(5)).TotalSeconds;
            Assert.InRange(delay, expected * 0.8 - 0.001, expected * 1.2 + 0.001);
        }
    }

    [Fact]
    public async Task The_health_check_is_healthy_in_sync_and_unhealthy_after_the_threshold_without_sync()
    {
        const string subscription = "sub_health";
        await using var producer = await CatchUpApps.StartProducerAsync();
        await CatchUpApps.SubscribeAsync(producer, subscription, Secret, CatchUpApps.Nowhere);
        var log = new HandlerLog();

        await using var synced = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, log, new Counted(),
            services: s => s.AddHealthChecks(), map: app => app.MapHealthChecks("/healthz"));
        await CatchUpApps.WaitForPollAsync(CatchUpApps.Feed(synced), (_, outcome) => outcome == WebHookCatchUpOutcome.InSync);
        using var healthy = await synced.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("Healthy", await healthy.Content.ReadAsStringAsync());

        // A second consumer whose feed is unreachable: healthy until the threshold passes without a sync.
        await using var behind = await CatchUpApps.StartConsumerAsync(producer, subscription, Secret, new HandlerLog(), new Counted(),
            configure: o => { o.FeedUrl = new Uri("http://127.0.0.1:1/webhooks/feed"); o.InSyncThreshold = TimeSpan.FromMinutes(2); },
            services: s => s.AddHealthChecks(), map: app => app.MapHealthChecks("/healthz"));
        await CatchUpApps.WaitForPollAsync(CatchUpApps.Feed(behind), (_, outcome) => outcome == WebHookCatchUpOutcome.Failed);
        using var early = await behind.Client.GetAsync(new Uri("/healthz", UriKind.Relative));
        producer.Time.Advance(TimeSpan.FromMinutes(3));
        using var late = await behind.Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, early.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
        Assert.Equal("Unhealthy", await late.Content.ReadAsStringAsync());
        var report = await behind.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["hooks-catch-up"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("default/" + subscription, entry.Description);
        Assert.Contains("never", (string)entry.Data["default/" + subscription]);
    }

    private sealed class FailingThirdHandler(CountingOrderHandler inner, Func<bool> failNow) : IWebHookHandler<OrderCreated>
    {
        public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) =>
            message.OrderId == "o-3" && failNow() ? throw new InvalidOperationException("fails once for the test") : inner.HandleAsync(message, context, cancellationToken);
    }
}
