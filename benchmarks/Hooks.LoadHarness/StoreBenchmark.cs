using System.Diagnostics;
using System.Globalization;
using System.Net;
using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hooks.LoadHarness;

/// <summary>
/// Published and delivered events per second through the whole producer (publisher, store, dispatcher, real HTTP) for
/// each producer store, in one process and one run, each as a ratio to the in-memory store (<c>--mode stores</c>); and
/// several dispatcher processes sharing one PostgreSQL against one (<c>--mode scaleout</c>).
/// </summary>
internal static class StoreBenchmark
{
    private const string DispatcherHostFlag = "--dispatcher-host";

    /// <summary>
    /// <c>--mode stores [--stores memory,sqlite,postgres] [--messages 10000] [--concurrency 64] [--rounds 3]</c>:
    /// rounds run every store back to back (in a rotating order); PostgreSQL needs <c>HOOKS_POSTGRES</c>.
    /// </summary>
    public static async Task RunStoresAsync(string[] stores, int messages, int concurrency, int rounds, int warmup)
    {
        Console.WriteLine($"Store benchmark: {messages} events per round and store, publishers and dispatcher concurrency {concurrency}, " +
                          $"{rounds} round(s), stores {string.Join(", ", stores)}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        var pipelines = new List<Pipeline>();
        try
        {
            foreach (var store in stores)
            {
                pipelines.Add(await Pipeline.StartAsync(store, concurrency));
            }
            foreach (var pipeline in pipelines)
            {
                Console.WriteLine($"  {pipeline.Name}: {pipeline.StoreType}");
                for (var warmed = 0; warmed < warmup; warmed += Math.Min(2_000, messages))
                {
                    await pipeline.RunAsync(Math.Min(2_000, messages), concurrency);
                }
            }

            var published = pipelines.ToDictionary(p => p.Name, _ => new List<double>());
            var delivered = pipelines.ToDictionary(p => p.Name, _ => new List<double>());
            var ratios = pipelines.ToDictionary(p => p.Name, _ => new List<double>());
            var cpu = pipelines.ToDictionary(p => p.Name, _ => new List<double>());
            var databaseCpu = pipelines.ToDictionary(p => p.Name, _ => new List<double>());
            for (var round = 1; round <= rounds; round++)
            {
                var results = new Dictionary<string, (double Published, double Delivered, double Cpu, double DatabaseCpu)>();
                for (var i = 0; i < pipelines.Count; i++)
                {
                    var pipeline = pipelines[(i + round - 1) % pipelines.Count];
                    results[pipeline.Name] = await pipeline.RunAsync(messages, concurrency);
                }
                var line = $"round {round}:";
                foreach (var pipeline in pipelines)
                {
                    var (p, d, c, db) = results[pipeline.Name];
                    published[pipeline.Name].Add(p);
                    delivered[pipeline.Name].Add(d);
                    cpu[pipeline.Name].Add(c);
                    databaseCpu[pipeline.Name].Add(db);
                    var ratio = results.TryGetValue("memory", out var memory) ? d / memory.Delivered : double.NaN;
                    ratios[pipeline.Name].Add(ratio);
                    line += $"   {pipeline.Name} published {p,8:N0}/s delivered {d,8:N0}/s (×{ratio:0.00}) cpu {c,4:N0}+{db:N0} µs";
                }
                Console.WriteLine(line);
            }
            Console.WriteLine("median over rounds (published and delivered per second; ratio = delivered/s against the in-memory store in the same round; " +
                              "cpu = this process's CPU time per delivery + PostgreSQL's, when its server runs on this machine):");
            foreach (var pipeline in pipelines)
            {
                var memoryPublished = published.TryGetValue("memory", out var mp) ? Median(mp) : double.NaN;
                Console.WriteLine($"  {pipeline.Name,-8} published {Median(published[pipeline.Name]),8:N0}/s (×{Median(published[pipeline.Name]) / memoryPublished:0.00})   " +
                                  $"delivered {Median(delivered[pipeline.Name]),8:N0}/s (×{Median(ratios[pipeline.Name]):0.00})   " +
                                  $"cpu {Median(cpu[pipeline.Name]):N0} + {Median(databaseCpu[pipeline.Name]):N0} µs per delivery");
            }
        }
        finally
        {
            foreach (var pipeline in pipelines)
            {
                await pipeline.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// <c>--mode scaleout [--dispatchers 3] [--messages 5000] [--concurrency 16] [--receiver-delay-ms 20] [--rounds 3] [--warmup 15000]</c>:
    /// one PostgreSQL (<c>HOOKS_POSTGRES</c>), this process publishing, and one then N dispatcher processes (the order
    /// alternating by round; this executable with <c>--dispatcher-host</c>) each with <c>MaxConcurrency</c> = concurrency,
    /// delivering to a receiver that takes the delay to answer. Each run first delivers about <c>warmup</c> deliveries
    /// per dispatcher process, untimed.
    /// </summary>
    public static async Task RunScaleOutAsync(int dispatchers, int messages, int concurrency, TimeSpan receiverDelay, int rounds, int subscriptions = 1,
        int warmup = 15_000)
    {
        var connectionString = Environment.GetEnvironmentVariable("HOOKS_POSTGRES")
            ?? throw new InvalidOperationException("--mode scaleout needs HOOKS_POSTGRES (a PostgreSQL connection string).");
        Console.WriteLine($"Scale-out benchmark: {messages} events per run to one receiver answering after {receiverDelay.TotalMilliseconds} ms, " +
                          $"{subscriptions} subscription(s), dispatcher concurrency {concurrency} each, 1 against {dispatchers} dispatcher processes, {rounds} round(s), {Environment.ProcessorCount} cores");
        await using var database = await BenchDatabase.CreateAsync(connectionString);
        var keys = Directory.CreateTempSubdirectory("hooks-bench-keys-");
        await using var receiver = await LoadReceiver.StartAsync(receiverDelay);
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        AddProducer(services.AddWebHooks().AddEvent<LoadEvent>().UsePostgres(database.ConnectionString), concurrency);
        services.AddDataProtection().SetApplicationName("hooks-load-harness").PersistKeysToFileSystem(keys);
        await using var provider = services.BuildServiceProvider();
        // This process publishes only: everything but the dispatcher (migrations, the notifier) runs.
        var hosted = provider.GetServices<IHostedService>().Where(h => h.GetType().Name != "WebHookDeliveryService").ToArray();
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }
        var store = provider.GetRequiredService<IWebHookStore>();
        Console.WriteLine($"  store: {store.GetType().Name}");
        // Per-subscription concurrency is shared by every dispatcher on the store: room for all of them. With several
        // subscriptions (to the one receiver) each event fans out to each, and a run counts deliveries.
        for (var s = 0; s < subscriptions; s++)
        {
            await CreateSubscriptionAsync(store, receiver.Url);
        }
        var events = messages / subscriptions;
        messages = events * subscriptions;
        var publisher = provider.GetRequiredService<IWebHookPublisher>();

        var single = new List<double>();
        var many = new List<double>();
        var ratios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // The tables grow by every run (nothing is purged) and a run on bigger tables costs the database more: the
            // order alternates, so neither side always runs on the bigger ones.
            (double Rate, double Cpu, double DatabaseCpu) first, second;
            if (round % 2 == 1)
            {
                first = await RunDispatchersAsync(1);
                second = await RunDispatchersAsync(dispatchers);
            }
            else
            {
                second = await RunDispatchersAsync(dispatchers);
                first = await RunDispatchersAsync(1);
            }
            var (one, oneCpu, oneDatabaseCpu) = first;
            var (n, nCpu, nDatabaseCpu) = second;
            single.Add(one);
            many.Add(n);
            ratios.Add(n / one);
            Console.WriteLine($"round {round}: 1 dispatcher {one,8:N0}/s   {dispatchers} dispatchers {n,8:N0}/s   ×{n / one:0.00}   " +
                              $"cpu per delivery (dispatchers + PostgreSQL) {oneCpu:N0} + {oneDatabaseCpu:N0} µs against {nCpu:N0} + {nDatabaseCpu:N0} µs");
        }
        Console.WriteLine($"median: 1 dispatcher {Median(single):N0}/s, {dispatchers} dispatchers {Median(many):N0}/s, median of per-round ratios ×{Median(ratios):0.00}");
        foreach (var h in hosted)
        {
            await h.StopAsync(CancellationToken.None);
        }
        keys.Delete(recursive: true);

        async Task PublishAndWaitAsync(int count)
        {
            var done = receiver.Expect(count * subscriptions);
            await PublishConcurrentlyAsync(publisher, count, 16);
            await done.WaitAsync(TimeSpan.FromMinutes(10));
        }

        // Delivered per second, and the CPU time per delivery of the dispatcher processes and of a local PostgreSQL.
        async Task<(double Rate, double Cpu, double DatabaseCpu)> RunDispatchersAsync(int count)
        {
            var children = new List<Process>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    children.Add(await StartDispatcherAsync(database.ConnectionString, keys.FullName, concurrency));
                }
                // Fresh processes run their first thousands of deliveries on unoptimized code (and compile it): a
                // warm-up run through them first, untimed, as the stores mode warms its pipelines. About the same
                // number through each process, so each is as warm as the single one: with the warm-up shared, three
                // processes compiled on the two cores through the timed run (their JIT threads took 16 % of the
                // machine's samples in it, and 600 methods each were compiled in its last seconds).
                if (warmup > 0)
                {
                    await PublishAndWaitAsync(Math.Max(1, warmup * count / subscriptions));
                }
                var cpu = children.Sum(c => CpuClock.Of(c).Ticks);
                var databaseCpu = CpuClock.Postgres();
                var stopwatch = Stopwatch.StartNew();
                await PublishAndWaitAsync(events);
                var elapsed = stopwatch.Elapsed;
                return (messages / elapsed.TotalSeconds, TimeSpan.FromTicks(children.Sum(c => CpuClock.Of(c).Ticks) - cpu).TotalMicroseconds / messages,
                    (CpuClock.Postgres() - databaseCpu).TotalMicroseconds / messages);
            }
            finally
            {
                foreach (var child in children)
                {
                    child.StandardInput.Close();
                }
                foreach (var child in children)
                {
                    if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
                    {
                        child.Kill(entireProcessTree: true);
                    }
                    child.Dispose();
                }
            }
        }
    }

    /// <summary>The child side of <c>--mode scaleout</c>: a dispatcher on the store until its standard input closes.</summary>
    public static bool TryRunDispatcherHost(string[] args, out Task<int> run)
    {
        var index = Array.IndexOf(args, DispatcherHostFlag);
        if (index < 0)
        {
            run = Task.FromResult(0);
            return false;
        }
        run = RunDispatcherHostAsync(args[index + 1], args[index + 2], int.Parse(args[index + 3], CultureInfo.InvariantCulture));
        return true;
    }

    private static async Task<int> RunDispatcherHostAsync(string connectionString, string keys, int concurrency)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        AddProducer(services.AddWebHooks().AddEvent<LoadEvent>().UsePostgres(connectionString), concurrency);
        services.AddDataProtection().SetApplicationName("hooks-load-harness").PersistKeysToFileSystem(new DirectoryInfo(keys));
        await using var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToArray();
        foreach (var h in hosted)
        {
            await h.StartAsync(CancellationToken.None);
        }
        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync();
        foreach (var h in hosted.Reverse())
        {
            await h.StopAsync(CancellationToken.None);
        }
        return 0;
    }

    private static async Task<Process> StartDispatcherAsync(string connectionString, string keys, int concurrency)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        // Run as `dotnet Hooks.LoadHarness.dll` when started that way, else the apphost itself.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(StoreBenchmark).Assembly.Location);
        }
        foreach (var arg in new[] { DispatcherHostFlag, connectionString, keys, concurrency.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        var child = Process.Start(start)!;
        var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        if (line != "ready")
        {
            child.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The dispatcher process did not start: {line}");
        }
        _ = child.StandardOutput.ReadToEndAsync(); // drain, so the child never blocks on a full pipe
        return child;
    }

    private static WebHooksBuilder AddProducer(WebHooksBuilder builder, int concurrency) => builder.AddProducer(o =>
    {
        o.AllowHttp = true;
        o.RequireIntentVerification = false;
        o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        o.MaxConcurrency = concurrency;
        o.MaxConcurrencyPerSubscription = 1_000;
        o.LeaseBatchSize = Math.Max(concurrency, 100);
        o.PollInterval = TimeSpan.FromMilliseconds(500);
    });

    private static async Task CreateSubscriptionAsync(IWebHookStore store, Uri url)
    {
        var now = DateTimeOffset.UtcNow;
        var created = await store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        });
        if (!created)
        {
            throw new InvalidOperationException("The subscription was not created.");
        }
    }

    /// <summary>Publishes events 0 to <paramref name="count"/> − 1 from <paramref name="tasks"/> concurrent tasks.</summary>
    private static Task PublishConcurrentlyAsync(IWebHookPublisher publisher, int count, int tasks)
    {
        var next = -1;
        return Task.WhenAll(Enumerable.Range(0, tasks).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await publisher.PublishAsync(Event(i));
            }
        })));
    }

    private static LoadEvent Event(int i) => new($"ord_{i:D8}", "cus_0001", 129.95m + i % 100, 1 + i % 7);

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>One producer (publisher, store, dispatcher) delivering to its own receiver.</summary>
    private sealed class Pipeline : IAsyncDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly IHostedService[] _hosted;
        private readonly LoadReceiver _receiver;
        private readonly IAsyncDisposable? _resource;
        private readonly IWebHookPublisher _publisher;

        private Pipeline(string name, ServiceProvider provider, IHostedService[] hosted, LoadReceiver receiver, IAsyncDisposable? resource)
        {
            Name = name;
            _provider = provider;
            _hosted = hosted;
            _receiver = receiver;
            _resource = resource;
            _publisher = provider.GetRequiredService<IWebHookPublisher>();
            StoreType = provider.GetRequiredService<IWebHookStore>().GetType().Name;
        }

        public string Name { get; }

        public string StoreType { get; }

        public static async Task<Pipeline> StartAsync(string name, int concurrency)
        {
            var services = new ServiceCollection();
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
            var builder = services.AddWebHooks().AddEvent<LoadEvent>();
            IAsyncDisposable? resource = null;
            switch (name)
            {
                case "memory":
                    services.AddSingleton<IWebHookStore>(new InMemoryWebHookStore(10_000));
                    break;
                case "sqlite":
                    var folder = new TempFolder();
                    resource = folder;
                    builder.UseSqlite($"Data Source={Path.Combine(folder.Path, "hooks.db")}");
                    services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(folder.Path));
                    break;
                case "postgres":
                    var connectionString = Environment.GetEnvironmentVariable("HOOKS_POSTGRES")
                        ?? throw new InvalidOperationException("The postgres store needs HOOKS_POSTGRES (a PostgreSQL connection string).");
                    var database = await BenchDatabase.CreateAsync(connectionString);
                    resource = database;
                    builder.UsePostgres(database.ConnectionString);
                    break;
                default:
                    throw new ArgumentException($"Unknown store '{name}': memory, sqlite or postgres.");
            }
            AddProducer(builder, concurrency);
            var provider = services.BuildServiceProvider();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var h in hosted)
            {
                await h.StartAsync(CancellationToken.None);
            }
            var receiver = await LoadReceiver.StartAsync();
            await CreateSubscriptionAsync(provider.GetRequiredService<IWebHookStore>(), receiver.Url);
            return new Pipeline(name, provider, hosted, receiver, resource);
        }

        /// <summary>
        /// Publishes <paramref name="count"/> events from <paramref name="publishers"/> tasks; rates of publishing and of
        /// delivery (until the last arrived), and the CPU time per delivery of this process and of a PostgreSQL server on
        /// this machine (0 when there is none): on a shared VM, a steadier measure than rates.
        /// </summary>
        public async Task<(double Published, double Delivered, double Cpu, double DatabaseCpu)> RunAsync(int count, int publishers)
        {
            var done = _receiver.Expect(count);
            var cpu = CpuClock.Process();
            var databaseCpu = CpuClock.Postgres();
            var stopwatch = Stopwatch.StartNew();
            await PublishConcurrentlyAsync(_publisher, count, publishers);
            var published = stopwatch.Elapsed;
            await done.WaitAsync(TimeSpan.FromMinutes(10));
            var elapsed = stopwatch.Elapsed;
            return (count / published.TotalSeconds, count / elapsed.TotalSeconds,
                (CpuClock.Process() - cpu).TotalMicroseconds / count, (CpuClock.Postgres() - databaseCpu).TotalMicroseconds / count);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var h in _hosted.Reverse())
            {
                await h.StopAsync(CancellationToken.None);
            }
            await _provider.DisposeAsync();
            await _receiver.DisposeAsync();
            if (_resource is not null)
            {
                await _resource.DisposeAsync();
            }
        }
    }

    /// <summary>CPU time consumed so far: this process's, and every local PostgreSQL process's (Linux).</summary>
    private static class CpuClock
    {
        public static TimeSpan Process()
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            return self.TotalProcessorTime;
        }

        public static TimeSpan Of(Process process)
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }

        /// <summary>
        /// User and system time of the processes named postgres, with their reaped children's (the postmaster's, so a
        /// backend or vacuum worker that exits keeps counting); zero where /proc does not exist.
        /// </summary>
        public static TimeSpan Postgres()
        {
            if (!Directory.Exists("/proc"))
            {
                return TimeSpan.Zero;
            }
            long ticks = 0;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var open = stat.IndexOf('(');
                    var close = stat.LastIndexOf(')');
                    if (open < 0 || close < 0 || stat[(open + 1)..close] != "postgres")
                    {
                        continue;
                    }
                    // After the name: state, ppid, … utime (field 14), stime, cutime, cstime (17), in clock ticks.
                    var fields = stat[(close + 2)..].Split(' ');
                    for (var i = 11; i <= 14; i++)
                    {
                        ticks += long.Parse(fields[i], CultureInfo.InvariantCulture);
                    }
                }
                catch (IOException)
                {
                    // the process ended while being read
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
    }

    private sealed class TempFolder : IAsyncDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("hooks-bench-").FullName;

        public ValueTask DisposeAsync()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path, recursive: true);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A database of its own on the server, dropped at the end.</summary>
    private sealed class BenchDatabase : IAsyncDisposable
    {
        private readonly string _admin;
        private readonly string _name;

        private BenchDatabase(string admin, string name, string connectionString)
        {
            _admin = admin;
            _name = name;
            ConnectionString = connectionString;
        }

        public string ConnectionString { get; }

        public static async Task<BenchDatabase> CreateAsync(string admin)
        {
            var name = $"hooks_bench_{Environment.ProcessId}_{Guid.NewGuid():N}"[..40];
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
                await command.ExecuteNonQueryAsync();
            }
            var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
            return new BenchDatabase(admin, name, builder.ConnectionString);
        }

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
