using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Hooks.Infrastructure;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.LoadHarness;

/// <summary>
/// <c>--mode reversed</c>: one consumer app that both listens on 127.0.0.1 and dials the producer over Reverse HTTP,
/// with the real receiver pipeline (MapWebHookReceiver: verify, dedupe, deserialize, handle). The producer has two
/// subscriptions to it, a direct <c>http://</c> one and a <c>ptth://</c> one, and enables one at a time: deliveries/s
/// of each at the same concurrency (burst of N publishes), then publish-to-handler latency one message at a time.
/// </summary>
internal static class ReverseBenchmark
{
    public static async Task RunAsync(int messages, int concurrency, int rounds, int latencySamples)
    {
        Console.WriteLine($"Reverse HTTP vs direct to the same consumer: {messages} deliveries per round, concurrency {concurrency} " +
                          $"({concurrency} reversed connections), {rounds} round(s), {latencySamples} latency samples each, " +
                          $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var secret = WebHookSecret.Generate();
        var handled = new Handled();

        var producerBuilder = WebApplication.CreateSlimBuilder(LoadReceiver.HostOptions);
        producerBuilder.Logging.ClearProviders();
        producerBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        producerBuilder.Services.AddSingleton<IWebHookStore>(new InMemoryWebHookStore(10_000));
        producerBuilder.Services.AddWebHooks().AddEvent<LoadEvent>().AddProducer(o =>
        {
            o.AllowHttp = true;
            o.RequireIntentVerification = false;
            o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
            o.MaxConcurrency = concurrency;
            o.MaxConcurrencyPerSubscription = concurrency;
            o.LeaseBatchSize = Math.Max(concurrency, 100);
        }).AddReverseHttp(o => o.MaxConnectionsPerSubscription = concurrency);
        var producer = producerBuilder.Build();
        producer.MapReverseHttp();
        await producer.StartAsync();
        var producerUrl = new Uri(producer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var store = producer.Services.GetRequiredService<IWebHookStore>();
        var publisher = producer.Services.GetRequiredService<IWebHookPublisher>();
        var now = DateTimeOffset.UtcNow;
        var reversedId = WebHookIds.NewSubscriptionId(now);
        // Enabled before the consumer dials: a disabled subscription's upgrade is refused.
        await store.CreateSubscriptionAsync(Subscription(reversedId, new Uri("ptth://bench/webhooks"), secret, now) with
        {
            Status = WebHookSubscriptionStatus.Enabled,
        });

        var consumerBuilder = WebApplication.CreateSlimBuilder(LoadReceiver.HostOptions);
        consumerBuilder.Logging.ClearProviders();
        consumerBuilder.WebHost.UseReverseHttp(o =>
        {
            o.ProducerUrl = new Uri(producerUrl, "/webhooks/ptth");
            o.SubscriptionId = reversedId;
            o.Secret = secret.Reveal();
            o.Connections = concurrency;
        });
        consumerBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        consumerBuilder.Services.AddSingleton(handled);
        consumerBuilder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret.Reveal()));
        var consumer = consumerBuilder.Build();
        consumer.MapWebHookReceiver("/webhooks", new LoadDispatcher(handled));
        await consumer.StartAsync();
        var direct = consumer.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.StartsWith("http://127.0.0.1", StringComparison.Ordinal));

        var directId = WebHookIds.NewSubscriptionId(now);
        await store.CreateSubscriptionAsync(Subscription(directId, new Uri(direct + "/webhooks"), secret, now));

        async Task Use(string id)
        {
            foreach (var other in new[] { directId, reversedId })
            {
                var s = (await store.GetSubscriptionAsync(other))!;
                _ = await store.UpdateSubscriptionAsync(s with
                {
                    Status = other == id ? WebHookSubscriptionStatus.Enabled : WebHookSubscriptionStatus.Disabled,
                });
            }
        }

        async Task<double> Burst(int count)
        {
            var done = handled.Expect(count);
            var stopwatch = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    await publisher.PublishAsync(handled.Event(i));
                }
            })));
            await done.WaitAsync(TimeSpan.FromMinutes(5));
            return count / stopwatch.Elapsed.TotalSeconds;
        }

        async Task<List<double>> Latencies(int count)
        {
            var samples = new List<double>(count);
            for (var i = 0; i < count; i++)
            {
                var done = handled.Expect(1);
                var started = Stopwatch.GetTimestamp();
                await publisher.PublishAsync(handled.Event(i));
                await done.WaitAsync(TimeSpan.FromMinutes(1));
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return samples;
        }

        // Wait for the reversed connections, then warm both paths.
        var reversed = producer.Services.GetRequiredService<Hooks.ReverseHttp.ReversedConnections>();
        while (reversed.CountOf(reversedId) < concurrency)
        {
            await Task.Delay(50);
        }
        // Both paths alike until their code is tiered up: throughput still rose round over round with less.
        for (var i = 0; i < 8; i++)
        {
            await Use(i % 2 == 0 ? directId : reversedId);
            await Burst(Math.Min(messages, 10_000));
        }

        var directRates = new List<double>();
        var reversedRates = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var order = round % 2 == 1 ? new[] { directId, reversedId } : [reversedId, directId];
            foreach (var id in order)
            {
                await Use(id);
                var rate = await Burst(messages);
                (id == directId ? directRates : reversedRates).Add(rate);
            }
            Console.WriteLine($"round {round}: direct {directRates[^1],8:N0}/s   reversed {reversedRates[^1],8:N0}/s   ratio {reversedRates[^1] / directRates[^1]:0.00}");
        }
        var ratios = directRates.Zip(reversedRates, (d, r) => r / d).ToList();
        Console.WriteLine($"median: direct {Median(directRates):N0}/s, reversed {Median(reversedRates):N0}/s, " +
                          $"median of per-round ratios {Median(ratios):0.00} (a round runs both back to back), ratio of medians {Median(reversedRates) / Median(directRates):0.00}");

        foreach (var id in new[] { directId, reversedId })
        {
            await Use(id);
            var samples = await Latencies(latencySamples);
            samples.Sort();
            Console.WriteLine($"publish-to-handler, one at a time, {(id == directId ? "direct  " : "reversed")}: p50 {Percentile(samples, 0.50):0.00} ms, p99 {Percentile(samples, 0.99):0.00} ms");
        }

        await consumer.StopAsync();
        await producer.StopAsync();
    }

    private static WebHookSubscription Subscription(string id, Uri url, WebHookSecret secret, DateTimeOffset now) => new()
    {
        Id = id,
        Url = url,
        Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
        Status = WebHookSubscriptionStatus.Disabled,
        CreatedAt = now,
        UpdatedAt = now,
    };

    private static double Median(List<double> values) => Percentile([.. values.Order()], 0.5);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * p))];

    private sealed class Handled
    {
        private long _count;
        private long _target = long.MaxValue;
        private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _run;

        public LoadEvent Event(int i) => new($"ord_{_run}_{i:D8}", "cus_0001", 129.95m + i % 100, 1 + i % 7);

        public Task Expect(long target)
        {
            _run++;
            _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _count, 0);
            Interlocked.Exchange(ref _target, target);
            return _reached.Task;
        }

        public void Add()
        {
            if (Interlocked.Increment(ref _count) == Interlocked.Read(ref _target))
            {
                _reached.TrySetResult();
            }
        }
    }

    private sealed class LoadDispatcher(Handled handled) : IWebHookDispatcher
    {
        public IReadOnlyCollection<string> EventTypes { get; } = [LoadEvent.EventType];

        public ValueTask<WebHookDispatchResult> DispatchAsync(WebHookContext context, ReadOnlyMemory<byte> data, IServiceProvider services,
            CancellationToken cancellationToken)
        {
            _ = LoadEvent.ReadData(data.Span); // the handler's deserialization, as a generated one would
            handled.Add();
            return ValueTask.FromResult(WebHookDispatchResult.Handled);
        }
    }
}
