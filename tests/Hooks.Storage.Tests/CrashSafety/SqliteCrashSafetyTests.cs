using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Hooks.Storage.Tests.CrashSafety;

/// <summary>
/// A producer on SQLite in a process of its own (tests/Hooks.Storage.CrashProducer), killed with SIGKILL while it
/// publishes and delivers, and restarted: nothing it accepted is lost, and a consumer on a durable idempotency store
/// handles every event once.
/// </summary>
[Collection(SqliteCrashSafetyCollection.Name)]
public sealed class SqliteCrashSafetyTests(ITestOutputHelper output)
{
    private const int Count = 10_000;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3); // a guard against a hang, not a goal: a run takes about 40 s
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    [Fact]
    public async Task A_producer_killed_three_times_while_publishing_and_delivering_loses_nothing_and_each_event_is_handled_once()
    {
        using var consumerDb = new SqliteFile();
        var folder = Directory.CreateTempSubdirectory("hooks-crash-").FullName;
        try
        {
            var consumer = new ConsumerLog();
            await using var app = await LoopbackApp.StartAsync(
                services =>
                {
                    services.AddSingleton(consumer);
                    services.AddScoped<IWebHookHandler<OrderCreated>, CountingHandler>();
                    services.AddWebHooks().UseSqlite(consumerDb.ConnectionString).AddReceiver(o => o.Secrets.Add(Secret.Reveal()));
                },
                web =>
                {
                    // Every request that reaches the receiver, by webhook-id: a second one is a delivery received twice.
                    web.Use(async (context, next) =>
                    {
                        if (context.Request.Headers["webhook-id"].ToString() is { Length: > 0 } id)
                        {
                            consumer.Requests.AddOrUpdate(id, 1, (_, n) => n + 1);
                        }
                        await next(context);
                    });
                    web.MapWebHookReceiver("/webhooks", TestDispatcher.Instance);
                });
            var url = new Uri(app.Address, "/webhooks").ToString();

            var seed = Random.Shared.Next();
            var random = new Random(seed);
            // Three kills at random points: one while publishing, two while delivering (by what the consumer handled).
            var kills = new (string What, int At)[]
            {
                ("published", random.Next(500, 4000)),
                ("handled", random.Next(1000, 5000)),
                ("handled", random.Next(5500, 9000)),
            };
            output.WriteLine($"seed {seed}; kills at {string.Join(", ", kills.Select(k => $"{k.What} >= {k.At}"))}");

            var duplicatesAbsorbedByTheStore = 0;
            foreach (var (what, at) in kills)
            {
                var producer = ProducerProcess.Start(folder, url, output);
                try
                {
                    var reached = what == "published" ? producer.Published.Reached(at) : consumer.Handled.Reached(at);
                    await reached.WaitAsync(StepTimeout);
                }
                finally
                {
                    producer.Kill(); // SIGKILL: no shutdown, no flush
                    await producer.ExitedAsync().WaitAsync(StepTimeout);
                }
                output.WriteLine($"killed at {what} >= {at}: published {producer.Published.Value}, handled {consumer.Handled.Value}");
                duplicatesAbsorbedByTheStore += producer.Duplicates;
            }

            var last = ProducerProcess.Start(folder, url, output);
            try
            {
                try
                {
                    await consumer.Handled.Reached(Count).WaitAsync(StepTimeout);
                }
                catch (TimeoutException)
                {
                    output.WriteLine($"timed out: handled {consumer.Handled.Value}, requests {consumer.Requests.Count}");
                    throw;
                }
                await last.PublishedAll.WaitAsync(StepTimeout);
            }
            finally
            {
                last.Kill();
                await last.ExitedAsync().WaitAsync(StepTimeout);
            }
            duplicatesAbsorbedByTheStore += last.Duplicates;

            var receivedTwice = consumer.Requests.Values.Sum(n => n - 1);
            var lost = Enumerable.Range(0, Count).Count(n => !consumer.Counts.ContainsKey(n));
            output.WriteLine($"events {Count}; handled {consumer.Counts.Count}; lost {lost}; deliveries received twice (absorbed by the consumer) {receivedTwice}; " +
                $"publishes repeated after a kill (absorbed by idempotency keys) {duplicatesAbsorbedByTheStore}");
            Assert.Equal(0, lost);
            Assert.Equal(Count, consumer.Counts.Count);
            Assert.All(consumer.Counts, pair => Assert.Equal(1, pair.Value)); // exactly once
            Assert.Equal(Count, consumer.Requests.Count); // one message per event: no publish was doubled
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // The temp folder is cleaned by the OS.
            }
        }
    }

    private sealed class ConsumerLog
    {
        public ConcurrentDictionary<int, int> Counts { get; } = new();

        public ConcurrentDictionary<string, int> Requests { get; } = new(StringComparer.Ordinal);

        public Progress Handled { get; } = new();
    }

    private sealed class CountingHandler(ConsumerLog log) : IWebHookHandler<OrderCreated>
    {
        public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
        {
            if (log.Counts.AddOrUpdate((int)message.Total, 1, (_, n) => n + 1) == 1)
            {
                log.Handled.Add(1);
            }
            return Task.CompletedTask;
        }
    }

    /// <summary>A count that tasks wait on: <see cref="Reached"/> completes once it is at least the number.</summary>
    private sealed class Progress
    {
        private readonly Lock _gate = new();
        private readonly List<(long At, TaskCompletionSource Done)> _waiters = [];
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long delta) => Reach(Interlocked.Add(ref _value, delta));

        // Only ever forward, whatever order concurrent callers get here in.
        public void Set(long value)
        {
            var current = Interlocked.Read(ref _value);
            while (value > current && Interlocked.CompareExchange(ref _value, value, current) is var seen && seen != current)
            {
                current = seen;
            }
            Reach(value);
        }

        private void Reach(long value)
        {
            lock (_gate)
            {
                _waiters.RemoveAll(w => w.At <= value && w.Done.TrySetResult() | true);
            }
        }

        public Task Reached(long at)
        {
            lock (_gate)
            {
                if (Value >= at)
                {
                    return Task.CompletedTask;
                }
                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((at, done));
                return done.Task;
            }
        }
    }

    /// <summary>The producer process, and what it says on its standard output.</summary>
    private sealed class ProducerProcess
    {
        private readonly Process _process;
        private readonly TaskCompletionSource _publishedAll = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ProducerProcess(Process process) => _process = process;

        public Progress Published { get; } = new();

        public Task PublishedAll => _publishedAll.Task;

        public int Duplicates { get; private set; }

        public static ProducerProcess Start(string folder, string url, ITestOutputHelper output)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { ProducerDll(), folder, url, Secret.Reveal(), Count.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(argument);
            }
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var producer = new ProducerProcess(process);
            process.OutputDataReceived += (_, e) => producer.OnLine(e.Data, output);
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is { } line)
                {
                    output.WriteLine("producer stderr: " + line);
                }
            };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return producer;
        }

        private void OnLine(string? line, ITestOutputHelper output)
        {
            if (line is null)
            {
                return;
            }
            if (line.StartsWith("published ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(10), CultureInfo.InvariantCulture, out var n))
            {
                Published.Set(n);
            }
            else if (line.StartsWith("duplicates ", StringComparison.Ordinal))
            {
                Duplicates = int.Parse(line.AsSpan(11), CultureInfo.InvariantCulture);
            }
            else if (line == "published all")
            {
                _publishedAll.TrySetResult();
            }
            else
            {
                output.WriteLine("producer: " + line);
            }
        }

        public void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited already (and the test fails on what it did not deliver).
            }
        }

        public Task ExitedAsync() => _process.WaitForExitAsync();

        // Built next to this project (the test project references it for the build order only).
        private static string ProducerDll()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // …/Hooks.Storage.Tests/bin/<config>/<tfm>
            var tfm = dir.Name;
            var configuration = dir.Parent!.Name;
            var path = Path.Combine(dir.Parent.Parent!.Parent!.Parent!.FullName, "Hooks.Storage.CrashProducer", "bin", configuration, tfm,
                "Hooks.Storage.CrashProducer.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("Build tests/Hooks.Storage.CrashProducer first.", path);
        }
    }
}

/// <summary>The crash test starts processes and pushes 10,000 deliveries: it runs alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SqliteCrashSafetyCollection
{
    public const string Name = "SQLite crash safety";
}
