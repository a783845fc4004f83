using System.Collections.Concurrent;
using Hooks.CatchUp;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.CatchUp;

/// <summary>A producer with its feed mapped, and consumers that catch up from it, on real Kestrel, sharing one fake clock.</summary>
internal static class CatchUpApps
{
    /// <summary>Nothing listens here: pushes to it fail at once (connection refused).</summary>
    public static readonly Uri Nowhere = new("http://127.0.0.1:1/hook");

    /// <param name="attempts">Delivery attempts per message (1: a failed push is exhausted at once).</param>
    public static Task<ProducerApp> StartProducerAsync(int attempts = 10, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null) => ProducerApp.StartAsync(
        o =>
        {
            if (attempts < 10)
            {
                while (o.RetrySchedule.Count > attempts) o.RetrySchedule.RemoveAt(o.RetrySchedule.Count - 1);
            }
        },
        services: services,
        map: app =>
        {
            map?.Invoke(app);
            app.MapWebHookSubscriptions();
            app.MapWebHookFeed();
        });

    public static Uri FeedUrl(ProducerApp producer) => new(producer.Client.BaseAddress!, "/webhooks/feed");

    /// <summary>Stores an enabled subscription to <paramref name="url"/> for every event type.</summary>
    public static async Task<WebHookSubscription> SubscribeAsync(ProducerApp producer, string id, WebHookSecret secret, Uri url, params string[] eventTypes)
    {
        var now = producer.Time.GetUtcNow();
        Assert.True(await producer.Store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = id,
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            EventTypes = eventTypes,
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        }));
        return (await producer.Store.GetSubscriptionAsync(id))!;
    }

    /// <summary>Points the subscription at <paramref name="url"/> (a consumer started after it was created).</summary>
    public static async Task PointAsync(ProducerApp producer, string id, Uri url)
    {
        var stored = (await producer.Store.GetSubscriptionAsync(id))!;
        var result = await producer.Store.UpdateSubscriptionAsync(stored with { Url = url, UpdatedAt = producer.Time.GetUtcNow() });
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, result);
    }

    /// <summary>
    /// A consumer on the producer's clock: the receiver at /webhooks with <paramref name="secret"/>, its handlers
    /// recording into <paramref name="log"/>, catching up from the producer's feed for <paramref name="subscriptionId"/>.
    /// </summary>
    public static Task<LoopbackApp> StartConsumerAsync(ProducerApp producer, string subscriptionId, WebHookSecret secret, HandlerLog log,
        Counted counted, Action<WebHookCatchUpOptions>? configure = null, Action<IServiceCollection>? services = null, Action<WebApplication>? map = null) =>
        LoopbackApp.StartAsync(
            s =>
            {
                s.AddSingleton<TimeProvider>(producer.Time);
                s.AddSingleton(log);
                s.AddSingleton(counted);
                s.AddScoped<IWebHookHandler<OrderCreated>, CountingOrderHandler>();
                s.AddScoped<IWebHookHandler<InvoicePaid>, InvoicePaidHandler>();
                s.AddSingleton<IWebHookDispatcher>(TestDispatcher.Instance);
                s.AddWebHooks()
                    .AddReceiver(o => o.Secrets.Add(secret.Reveal()))
                    .AddCatchUp(o =>
                    {
                        o.FeedUrl = FeedUrl(producer);
                        o.SubscriptionId = subscriptionId;
                        o.Secret = secret.Reveal();
                        configure?.Invoke(o);
                    });
                services?.Invoke(s);
            },
            app =>
            {
                map?.Invoke(app);
                app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance);
            });

    public static WebHookCatchUpFeed Feed(LoopbackApp consumer, int index = 0) =>
        consumer.Services.GetRequiredService<WebHookCatchUpFeeds>().All[index];

    /// <summary>Waits (30 s at most) for a poll of <paramref name="feed"/> after which <paramref name="done"/> holds.</summary>
    public static async Task WaitForPollAsync(WebHookCatchUpFeed feed, Func<WebHookCatchUpFeed, WebHookCatchUpOutcome, bool> done)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnPolled(WebHookCatchUpFeed f, WebHookCatchUpOutcome outcome)
        {
            if (done(f, outcome)) reached.TrySetResult();
        }
        feed.Polled += OnPolled;
        if (feed.LastOutcome is { } last && done(feed, last)) reached.TrySetResult(); // a poll that ended before the wait began
        try
        {
            await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            feed.Polled -= OnPolled;
        }
    }
}

/// <summary>Counts handled events and signals when a count is reached.</summary>
public sealed class Counted
{
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiting = [];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Completes once <paramref name="count"/> events were handled; fails after 30 s.</summary>
    public Task At(int count)
    {
        lock (_waiting)
        {
            if (_count >= count) return Task.CompletedTask;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Add((count, tcs));
            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    public void Increment()
    {
        lock (_waiting)
        {
            _count++;
            foreach (var (count, tcs) in _waiting)
            {
                if (count <= _count) tcs.TrySetResult();
            }
            _waiting.RemoveAll(w => w.Count <= _count);
        }
    }
}

/// <summary>Records like <see cref="OrderCreatedHandler"/> (throwing <see cref="HandlerLog.FailuresToThrow"/> times first) and counts.</summary>
public sealed class CountingOrderHandler(HandlerLog log, Counted counted) : IWebHookHandler<OrderCreated>
{
    public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref log.FailuresToThrow) >= 0)
        {
            throw new InvalidOperationException("handler failure for the test");
        }
        log.Calls.Enqueue((message, context));
        counted.Increment();
        return Task.CompletedTask;
    }
}
