using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hooks.Security;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Hooks.Storage.Tests.ScaleOut;

/// <summary>
/// Several producer hosts on one PostgreSQL database: dispatcher processes (tests/Hooks.Storage.DispatcherHost) share
/// the deliveries, never send one twice at once, and hold each subscription's concurrency limit together.
/// </summary>
public sealed class PostgresScaleOutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Events = 5_000;
    private const int Subscriptions = 5;
    private const int PerSubscription = 4;
    private const int Dispatchers = 3;
    private const int ConcurrencyPerDispatcher = 8;

    private readonly string _keyRing = Directory.CreateTempSubdirectory("hooks-keys-").FullName;
    private TestDatabase? _db;

    public Task InitializeAsync() => Task.CompletedTask;

    [SkippableFact]
    public async Task Three_dispatcher_processes_deliver_every_event_once_at_a_time_within_each_subscriptions_limit()
    {
        _db = await PostgresServer.CreateDatabaseAsync();
        await using var receiver = await CountingReceiver.StartAsync(Events);
        await using var database = new PostgresDatabase(_db.CreateDataSource(), ownsDataSource: true);
        var store = new PostgresWebHookStore(database, SharedKeyRing.Protector(_keyRing));
        for (var i = 0; i < Subscriptions; i++)
        {
            Assert.True(await store.CreateSubscriptionAsync(new WebHookSubscription
            {
                Id = $"sub_scale_{i}",
                Url = new Uri(receiver.Address, $"/hook/sub_scale_{i}"),
                Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), DateTimeOffset.UtcNow, null)],
                EventTypes = [$"scale.{i}"],
                Status = WebHookSubscriptionStatus.Enabled,
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            }));
        }

        var dispatchers = Enumerable.Range(1, Dispatchers)
            .Select(n => PostgresDispatcherProcess.Start(_db.ConnectionString, _keyRing, $"dispatcher-{n}", ConcurrencyPerDispatcher, PerSubscription, output))
            .ToList();
        try
        {
            await Task.WhenAll(dispatchers.Select(d => d.Started)).WaitAsync(TimeSpan.FromMinutes(2));

            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Published from here while they run, by four publishers at once; each burst wakes them (LISTEN/NOTIFY).
            await Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
            {
                for (var i = p; i < Events; i += 4)
                {
                    var now = DateTimeOffset.UtcNow;
                    await store.AppendMessageAsync(new WebHookMessageDraft
                    {
                        Message = new WebHookMessage
                        {
                            Id = "msg_" + Guid.CreateVersion7(now).ToString("N"), EventType = $"scale.{i % Subscriptions}", Timestamp = now,
                            Body = System.Text.Encoding.UTF8.GetBytes("{\"type\":\"scale." + (i % Subscriptions) + "\",\"data\":{\"n\":" + i + "}}"),
                        },
                    });
                    if (i % 200 < 4)
                    {
                        await NotifyAsync(database.DataSource);
                    }
                }
            })));
            await NotifyAsync(database.DataSource);
            output.WriteLine($"published {Events} in {clock.Elapsed.TotalSeconds:F1} s; {receiver.Distinct} received by then");

            await receiver.AllReceived.WaitAsync(TimeSpan.FromMinutes(5));
            output.WriteLine($"all received after {clock.Elapsed.TotalSeconds:F1} s (reported, not asserted: the machine is shared)");
        }
        finally
        {
            foreach (var dispatcher in dispatchers)
            {
                await dispatcher.DisposeAsync();
            }
        }

        output.WriteLine($"received {receiver.Distinct} distinct, {receiver.Duplicates} again (at least once), " +
            $"per dispatcher: {string.Join(", ", receiver.PerDispatcher.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}; " +
            $"max concurrent per subscription: {string.Join(", ", receiver.MaxConcurrent.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
        Assert.Equal(Events, receiver.Distinct);
        Assert.Equal(0, receiver.Overlaps);
        Assert.All(receiver.MaxConcurrent.Values, max => Assert.InRange(max, 1, PerSubscription));
        Assert.Equal(Dispatchers, receiver.PerDispatcher.Count);
        Assert.All(receiver.PerDispatcher.Values, count => Assert.True(count > 0));
    }

    private static async Task NotifyAsync(NpgsqlDataSource dataSource)
    {
        await using var notify = dataSource.CreateCommand($"SELECT pg_notify('{PostgresWebHookNotifier.Channel}', '')");
        await notify.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
        Directory.Delete(_keyRing, recursive: true);
    }
}

/// <summary>The key ring a test shares with its dispatcher processes, as instances of one app share theirs.</summary>
internal static class SharedKeyRing
{
    public const string ApplicationName = "hooks-storage-tests";

    public static WebHookSecretProtector Protector(string directory) =>
        new(DataProtectionProvider.Create(new DirectoryInfo(directory), b => b.SetApplicationName(ApplicationName)));
}

/// <summary>
/// A Kestrel endpoint on 127.0.0.1 (<c>/hook/{subscription}</c>) that counts what arrives: each (subscription, message)
/// once, again, or while the same one is still in flight; concurrent requests per subscription (the most at once);
/// deliveries per dispatcher (by User-Agent). Each request takes a few milliseconds (simulated work, so requests overlap)
/// and answers 200, or what <see cref="Status"/> says.
/// </summary>
internal sealed class CountingReceiver : IAsyncDisposable
{
    private readonly int _expected;
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<int>> _concurrent = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _allReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoopbackApp _app = null!;
    private int _distinct;
    private int _duplicates;
    private int _overlaps;
    private int _requests;

    private CountingReceiver(int expected) => _expected = expected;

    public Uri Address => _app.Address;

    public Task AllReceived => _allReceived.Task;

    public int Distinct => Volatile.Read(ref _distinct);

    public int Duplicates => Volatile.Read(ref _duplicates);

    public int Overlaps => Volatile.Read(ref _overlaps);

    public int Requests => Volatile.Read(ref _requests);

    public TimeSpan Work { get; init; } = TimeSpan.FromMilliseconds(5);

    public int Status { get; init; } = StatusCodes.Status200OK;

    /// <summary>Completes when <paramref name="count"/> requests have arrived.</summary>
    public Task RequestsReached(int count)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thresholds.Enqueue((count, reached));
        CheckThresholds();
        return reached.Task;
    }

    private readonly ConcurrentQueue<(int Count, TaskCompletionSource Reached)> _thresholds = new();

    private void CheckThresholds()
    {
        foreach (var (count, reached) in _thresholds)
        {
            if (Requests >= count)
            {
                reached.TrySetResult();
            }
        }
    }

    public ConcurrentDictionary<string, int> MaxConcurrent { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> PerDispatcher { get; } = new(StringComparer.Ordinal);

    public static async Task<CountingReceiver> StartAsync(int expected, TimeSpan? work = null, int status = StatusCodes.Status200OK)
    {
        var receiver = new CountingReceiver(expected) { Work = work ?? TimeSpan.FromMilliseconds(5), Status = status };
        receiver._app = await LoopbackApp.StartAsync(_ => { }, app => app.Run(receiver.HandleAsync));
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var subscription = context.Request.Path.Value!.Split('/')[^1];
        var key = subscription + "|" + context.Request.Headers["webhook-id"].ToString();
        PerDispatcher.AddOrUpdate(context.Request.Headers.UserAgent.ToString(), 1, (_, n) => n + 1);
        if (!_inFlight.TryAdd(key, 0))
        {
            Interlocked.Increment(ref _overlaps);
        }
        var counter = _concurrent.GetOrAdd(subscription, _ => new StrongBox<int>());
        var now = Interlocked.Increment(ref counter.Value);
        MaxConcurrent.AddOrUpdate(subscription, now, (_, max) => Math.Max(max, now));
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            await Task.Delay(Work); // the receiver's own work: lets requests of one subscription overlap
            context.Response.StatusCode = Status;
        }
        finally
        {
            Interlocked.Decrement(ref counter.Value);
            _inFlight.TryRemove(key, out _);
            Interlocked.Increment(ref _requests);
            if (Status == StatusCodes.Status200OK)
            {
                if (_seen.AddOrUpdate(key, 1, (_, n) => n + 1) == 1)
                {
                    if (Interlocked.Increment(ref _distinct) == _expected)
                    {
                        _allReceived.TrySetResult();
                    }
                }
                else
                {
                    Interlocked.Increment(ref _duplicates);
                }
            }
            CheckThresholds();
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
