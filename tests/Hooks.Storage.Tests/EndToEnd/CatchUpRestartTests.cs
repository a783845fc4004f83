using System.Collections.Concurrent;
using System.Net;
using Hooks.Infrastructure;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.EndToEnd;

/// <summary>
/// A consumer catching up from a real producer's feed on a durable SQLite cursor store, stopped in the middle of a
/// page and started again on the same file: it resumes from the stored cursor; no event is handled twice, none skipped.
/// </summary>
public sealed class CatchUpRestartTests
{
    private const string SubscriptionId = "sub_restart";
    private const int Events = 40;
    private static readonly WebHookSecret Secret = WebHookSecret.Generate();

    /// <summary>Counts each order's handling; the first host's handler hangs on o-25 until the host stops.</summary>
    private sealed class Handled
    {
        public ConcurrentDictionary<string, int> Times { get; } = new();
        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource All { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string? BlockOn { get; set; }
    }

    private sealed class Handler(Handled handled) : IWebHookHandler<OrderCreated>
    {
        public async Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
        {
            if (message.OrderId == handled.BlockOn)
            {
                handled.Blocked.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken); // until the host stops: the event is not settled
            }
            handled.Times.AddOrUpdate(message.OrderId, 1, (_, n) => n + 1);
            if (handled.Times.Count == Events) handled.All.TrySetResult();
        }
    }

    [Fact]
    public async Task A_consumer_restarted_mid_catch_up_resumes_from_the_stored_cursor_and_handles_each_event_once()
    {
        using var file = new SqliteFile();
        var feedRequests = new ConcurrentQueue<string>();
        await using var producer = await LoopbackApp.StartAsync(
            services => services.AddWebHooks().AddEvent<OrderCreated>().AddProducer(o =>
            {
                o.AllowHttp = true;
                o.RequireIntentVerification = false;
                o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
                while (o.RetrySchedule.Count > 1) o.RetrySchedule.RemoveAt(1); // nothing listens: pushes fail once, exhausted
            }),
            app =>
            {
                app.Use(async (ctx, next) =>
                {
                    if (ctx.Request.Path == "/webhooks/feed") feedRequests.Enqueue(ctx.Request.QueryString.Value ?? "");
                    await next(ctx);
                });
                app.MapWebHookFeed();
            });
        var now = DateTimeOffset.UtcNow;
        Assert.True(await producer.Services.GetRequiredService<IWebHookStore>().CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = SubscriptionId,
            Url = new Uri("http://127.0.0.1:1/hook"),
            Secrets = [new WebHookSubscriptionSecret(Secret, now, null)],
            EventTypes = [],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        }));
        var publisher = producer.Services.GetRequiredService<IWebHookPublisher>();
        for (var i = 1; i <= Events; i++)
        {
            await publisher.PublishAsync(new OrderCreated($"o-{i}", i));
        }

        var handled = new Handled { BlockOn = "o-25" };
        await using (var first = await StartConsumerAsync(producer, file, handled))
        {
            await handled.Blocked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        } // stopped while o-25's handler runs: pages of 10, so 21–24 of the third page are settled, 25 is not

        Assert.Equal(24, handled.Times.Count);
        Assert.Equal(["?limit=10", "?after=10&limit=10", "?after=20&limit=10"], feedRequests);
        var before = feedRequests.Count;

        handled.BlockOn = null;
        await using (var second = await StartConsumerAsync(producer, file, handled))
        {
            await handled.All.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The new host read on from the cursor stored mid-page (24), not from the page's start nor from the beginning.
        Assert.Equal("?after=24&limit=10", feedRequests.Skip(before).First());
        Assert.Equal(Enumerable.Range(1, Events).Select(i => $"o-{i}").Order(), handled.Times.Keys.Order());
        Assert.All(handled.Times, t => Assert.Equal(1, t.Value));
    }

    private static Task<LoopbackApp> StartConsumerAsync(LoopbackApp producer, SqliteFile file, Handled handled) =>
        LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(handled);
                services.AddScoped<IWebHookHandler<OrderCreated>, Handler>();
                services.AddSingleton<IWebHookDispatcher>(TestDispatcher.Instance);
                services.AddWebHooks()
                    .UseSqlite(file.ConnectionString)
                    .AddReceiver(o => o.Secrets.Add(Secret.Reveal()))
                    .AddCatchUp(o =>
                    {
                        o.FeedUrl = new Uri(producer.Address, "/webhooks/feed");
                        o.SubscriptionId = SubscriptionId;
                        o.Secret = Secret.Reveal();
                        o.PageSize = 10;
                    });
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
}
