// Load harness: deliveries per second from PublishAsync (in-memory store, real dispatcher, real HTTP) to loopback
// receivers, next to a naive loop of HttpClient.PostAsync signing with WebHookSigner at the same concurrency.
//
//   dotnet run -c Release --project benchmarks/Hooks.LoadHarness -- [--messages 20000] [--concurrency 64] [--receivers 1]
//       [--rounds 3] [--publishers <concurrency>] [--receiver-delay-ms 0] [--retain 10000] [--mode both|naive|pipeline]
//       [--per-subscription <concurrency>] [--warmup 60000]
//   dotnet run -c Release --project benchmarks/Hooks.LoadHarness -- --mode receive [--messages 20000] [--concurrency 32] [--rounds 3]
//       requests/s through the generated MapWebHooks endpoint next to a bare minimal-API endpoint (ReceiveBenchmark.cs)
//   dotnet run -c Release --project benchmarks/Hooks.LoadHarness -- --mode reversed [--messages 20000] [--concurrency 16] [--rounds 3]
//       [--latency-samples 500]: deliveries/s over reversed connections next to direct delivery to the same consumer,
//       and publish-to-handler p50/p99 for both (ReverseBenchmark.cs)
//   dotnet run -c Release --project benchmarks/Hooks.LoadHarness -- --mode stores [--stores memory,sqlite,postgres] [--messages 10000]
//       [--concurrency 64] [--rounds 3]: published and delivered events/s per producer store, as ratios to in-memory,
//       and CPU time per delivery of this process and of a local PostgreSQL (postgres needs HOOKS_POSTGRES; StoreBenchmark.cs)
//   dotnet run -c Release --project benchmarks/Hooks.LoadHarness -- --mode scaleout [--dispatchers 3] [--messages 5000]
//       [--concurrency 16] [--receiver-delay-ms 20] [--rounds 3] [--subscriptions 1] [--warmup 15000 per process]: N dispatcher processes on one PostgreSQL
//       against one, with the CPU time per delivery of the dispatchers and of a local PostgreSQL
// HOOKS_LOAD_VERBOSE=1 adds per-run connections, allocation and GC counts.
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Hooks;
using Hooks.Hosting;
using Hooks.LoadHarness;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (StoreBenchmark.TryRunDispatcherHost(args, out var dispatcherHost))
{
    return await dispatcherHost;
}
var messages = Arg("--messages", 20_000);
var concurrency = Arg("--concurrency", 64);
var receiverCount = Arg("--receivers", 1);
var rounds = Arg("--rounds", 3);
var publisherCount = Arg("--publishers", concurrency);
var receiverDelay = TimeSpan.FromMilliseconds(Arg("--receiver-delay-ms", 0));
var perSubscription = Arg("--per-subscription", concurrency);
var modeIndex = Array.IndexOf(args, "--mode");
var mode = modeIndex >= 0 && modeIndex + 1 < args.Length ? args[modeIndex + 1] : "both"; // both | naive | pipeline | receive
if (mode == "reversed")
{
    await ReverseBenchmark.RunAsync(messages, Arg("--concurrency", 16), rounds, Arg("--latency-samples", 500));
    return 0;
}
if (mode == "stores")
{
    var storesIndex = Array.IndexOf(args, "--stores");
    var stores = storesIndex >= 0 && storesIndex + 1 < args.Length ? args[storesIndex + 1].Split(',') : ["memory", "sqlite", "postgres"];
    await StoreBenchmark.RunStoresAsync(stores, Arg("--messages", 10_000), concurrency, rounds, Arg("--warmup", 20_000));
    return 0;
}
if (mode == "scaleout")
{
    await StoreBenchmark.RunScaleOutAsync(Arg("--dispatchers", 3), Arg("--messages", 5_000), Arg("--concurrency", 16),
        TimeSpan.FromMilliseconds(Arg("--receiver-delay-ms", 20)), rounds, Arg("--subscriptions", 1), Arg("--warmup", 15_000));
    return 0;
}
if (mode == "receive")
{
    var storeIndex = Array.IndexOf(args, "--store"); // memory | sqlite | postgres (HOOKS_POSTGRES): the idempotency store
    await ReceiveBenchmark.RunAsync(messages, Arg("--concurrency", 32), rounds,
        storeIndex >= 0 && storeIndex + 1 < args.Length ? args[storeIndex + 1] : "memory");
    return 0;
}

Console.WriteLine($"Hooks load harness: {messages} deliveries per round, concurrency {concurrency}, {publisherCount} publishing task(s), {receiverCount} receiver(s) answering after {receiverDelay.TotalMilliseconds} ms, {rounds} round(s), " +
                  $"{Environment.ProcessorCount} cores, .NET {Environment.Version}");

var receivers = new List<LoadReceiver>();
for (var i = 0; i < receiverCount; i++)
{
    receivers.Add(await LoadReceiver.StartAsync(receiverDelay));
}

// The pipeline: AddWebHooks().AddProducer() with the in-memory store, one subscription per receiver, each taking
// its share of messages (so the number of HTTP deliveries equals the naive loop's).
var retained = Arg("--retain", 10_000);
var services = new ServiceCollection();
// The in-memory store keeps at most this many finished messages (its default is 100 000).
services.AddSingleton<IWebHookStore>(new InMemoryWebHookStore(retained));
services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
services.AddWebHooks().AddEvent<LoadEvent>().AddProducer(o =>
{
    o.AllowHttp = true;
    o.RequireIntentVerification = false;
    o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
    o.MaxConcurrency = concurrency;
    o.MaxConcurrencyPerSubscription = perSubscription;
    o.LeaseBatchSize = Math.Max(concurrency, 100);
});
await using var provider = services.BuildServiceProvider();
var store = provider.GetRequiredService<IWebHookStore>();
var now = DateTimeOffset.UtcNow;
var secret = WebHookSecret.Generate();
foreach (var receiver in receivers)
{
    await store.CreateSubscriptionAsync(new WebHookSubscription
    {
        Id = WebHookIds.NewSubscriptionId(now),
        Url = receiver.Url,
        Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
        Status = WebHookSubscriptionStatus.Enabled,
        CreatedAt = now,
        UpdatedAt = now,
    });
}
var hosted = provider.GetServices<IHostedService>().ToArray();
foreach (var h in hosted)
{
    await h.StartAsync(CancellationToken.None);
}
var publisher = provider.GetRequiredService<IWebHookPublisher>();

var userAgent = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<WebHookProducerOptions>>().Value.UserAgent;
using var naiveClient = new HttpClient(new SocketsHttpHandler
{
    AllowAutoRedirect = false,
    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    MaxConnectionsPerServer = int.MaxValue,
});

// Warm up both paths alike (JIT tiering and PGO, connection pools), in alternating chunks: the same number of
// deliveries each, enough for both to reach their optimized code before round 1: with 10 000 each, the first four
// or five rounds still ran at twice the steady CPU per delivery, the pipeline (more code to tier up) longer.
var warmup = Arg("--warmup", 60_000);
var chunk = Math.Min(2_000, messages);
for (var warmed = 0; warmed < warmup; warmed += chunk)
{
    await RunNaiveAsync(chunk);
    await RunPipelineAsync(chunk);
}

var naiveRates = new List<double>();
var pipelineRates = new List<double>();
var ratios = new List<double>();
for (var round = 1; round <= rounds; round++)
{
    // Alternate which runs first so neither always gets the warmer (or the busier) half of a round.
    (double, double) naiveResult = (double.NaN, double.NaN), pipelineResult = (double.NaN, double.NaN);
    if (round % 2 == 1 && mode != "pipeline") naiveResult = await Measure(() => RunNaiveAsync(messages));
    if (mode != "naive") pipelineResult = await Measure(() => RunPipelineAsync(messages));
    if (round % 2 == 0 && mode != "pipeline") naiveResult = await Measure(() => RunNaiveAsync(messages));
    var (naive, naiveCpu) = naiveResult;
    var (pipeline, pipelineCpu) = pipelineResult;
    naiveRates.Add(naive);
    pipelineRates.Add(pipeline);
    ratios.Add(pipeline / naive);
    Console.WriteLine($"round {round}: naive {naive,10:N0}/s ({naiveCpu,5:N1} µs CPU each)   pipeline {pipeline,10:N0}/s ({pipelineCpu,5:N1} µs CPU each)   ratio {pipeline / naive:0.00}");
}
Console.WriteLine($"median: naive {Median(naiveRates):N0} deliveries/s, pipeline {Median(pipelineRates):N0} deliveries/s, " +
                  $"median of per-round ratios {Median(ratios):0.00} (a round runs both back to back, so its ratio is the least noisy figure), " +
                  $"geometric mean {Math.Exp(ratios.Average(Math.Log)):0.00}, middle half {Quartile(ratios, 1):0.00}–{Quartile(ratios, 3):0.00}");

foreach (var h in hosted)
{
    await h.StopAsync(CancellationToken.None);
}
foreach (var receiver in receivers)
{
    await receiver.DisposeAsync();
}
return 0;

// Publish everything as fast as the caller can, then wait until the receivers counted every delivery.
async Task<double> RunPipelineAsync(int count)
{
    var done = Task.WhenAll(receivers.Select(r => r.Expect(count / receivers.Count)));
    var stopwatch = Stopwatch.StartNew();
    var next = -1;
    var publishers = Enumerable.Range(0, publisherCount).Select(_ => Task.Run(async () =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count / receivers.Count)
        {
            await publisher.PublishAsync(Event(i));
        }
    })).ToArray();
    await Task.WhenAll(publishers);
    var published = stopwatch.Elapsed;
    await done.WaitAsync(TimeSpan.FromMinutes(5));
    if (Environment.GetEnvironmentVariable("HOOKS_LOAD_VERBOSE") == "1")
    {
        Console.WriteLine($"  publish phase {published.TotalMilliseconds:N0} ms of {stopwatch.Elapsed.TotalMilliseconds:N0} ms");
    }
    stopwatch.Stop();
    return count / receivers.Count * receivers.Count / stopwatch.Elapsed.TotalSeconds;
}

// The naive loop: concurrency workers, each serializing, signing and POSTing one message at a time.
async Task<double> RunNaiveAsync(int count)
{
    var perReceiver = count / receivers.Count;
    var done = Task.WhenAll(receivers.Select(r => r.Expect(perReceiver)));
    var total = perReceiver * receivers.Count;
    var stopwatch = Stopwatch.StartNew();
    var next = -1;
    var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        int i;
        while ((i = Interlocked.Increment(ref next)) < total)
        {
            var sentAt = DateTimeOffset.UtcNow;
            buffer.ResetWrittenCount();
            WebHookEnvelope.Write(buffer, Event(i), sentAt);
            var body = buffer.WrittenSpan.ToArray();
            var id = WebHookIds.NewMessageId(sentAt);
            var timestamp = sentAt.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, receivers[i % receivers.Count].Url)
            {
                Content = new ByteArrayContent(body),
            };
            // The same headers the dispatcher sends, so the receiver does the same work for both loops.
            request.Content.Headers.ContentType = new("application/json", "utf-8");
            request.Headers.TryAddWithoutValidation("webhook-id", id);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", WebHookSigner.Sign(secret, id, timestamp, body));
            request.Headers.TryAddWithoutValidation("webhook-attempt", "1");
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            using var response = await naiveClient.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }
    })).ToArray();
    await Task.WhenAll(workers);
    await done.WaitAsync(TimeSpan.FromMinutes(5));
    stopwatch.Stop();
    return total / stopwatch.Elapsed.TotalSeconds;
}

// Rate, and process CPU time per delivery (receivers included, the same for both): less sensitive to a busy machine.
async Task<(double Rate, double CpuMicroseconds)> Measure(Func<Task<double>> run)
{
    var before = Process.GetCurrentProcess().TotalProcessorTime;
    var allocated = GC.GetTotalAllocatedBytes();
    var gen2 = GC.CollectionCount(2);
    var gen0 = GC.CollectionCount(0);
    var paused = GC.GetTotalPauseDuration();
    var workItems = ThreadPool.CompletedWorkItemCount;
    var contention = Monitor.LockContentionCount;
    var wall = Stopwatch.StartNew();
    var rate = await run();
    var pausedNow = GC.GetTotalPauseDuration() - paused;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - before;
    if (Environment.GetEnvironmentVariable("HOOKS_LOAD_VERBOSE") == "1")
    {
        Console.WriteLine($"  {ThreadPool.ThreadCount} pool threads, {receivers.Sum(r => r.Connections)} connections, {receivers.Average(r => r.AverageInFlight):0.0} requests in progress on arrival, longest gap between arrivals {receivers.Max(r => r.LongestGap).TotalMilliseconds:N0} ms, {(GC.GetTotalAllocatedBytes() - allocated) / messages:N0} B allocated per delivery, gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2}, GC paused {pausedNow.TotalMilliseconds:N0} of {wall.Elapsed.TotalMilliseconds:N0} ms, heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1_048_576:N0} MiB, " +
            $"{(double)(ThreadPool.CompletedWorkItemCount - workItems) / messages:0.00} pool work items and {(double)(Monitor.LockContentionCount - contention) / messages:0.000} contended locks per delivery");
    }
    return (rate, cpu.TotalMicroseconds / messages);
}

static LoadEvent Event(int i) => new($"ord_{i:D8}", "cus_0001", 129.95m + i % 100, 1 + i % 7);

static double Median(List<double> values) => Quartile(values, 2);

static double Quartile(List<double> values, int quarter)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, sorted.Count * quarter / 4)];
}

int Arg(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
