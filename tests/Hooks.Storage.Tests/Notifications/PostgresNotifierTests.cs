using Hooks.Delivery;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hooks.Storage.Tests.Notifications;

/// <summary>LISTEN/NOTIFY between two instances, each with its own data source (its own connections), as two processes.</summary>
public sealed class PostgresNotifierTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task A_notify_on_one_instance_wakes_the_subscribers_of_another()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var sourceA = db.CreateDataSource();
        await using var sourceB = db.CreateDataSource();
        await using var publisher = new PostgresWebHookNotifier(sourceA, TimeProvider.System, NullLogger<PostgresWebHookNotifier>.Instance);
        await using var dispatcher = new PostgresWebHookNotifier(sourceB, TimeProvider.System, NullLogger<PostgresWebHookNotifier>.Instance);
        var woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var listening = false;
        using var subscription = dispatcher.Subscribe(() => { if (Volatile.Read(ref listening)) woken.TrySetResult(); });
        await dispatcher.Listening.WaitAsync(Patience); // the ring on connecting has happened; only a NOTIFY completes `woken` now
        Volatile.Write(ref listening, true);

        publisher.Notify();

        await woken.Task.WaitAsync(Patience);
    }

    [SkippableFact]
    public async Task Notify_wakes_the_local_subscribers_at_once_and_every_burst_reaches_the_other_instance()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var sourceA = db.CreateDataSource();
        await using var sourceB = db.CreateDataSource();
        await using var a = new PostgresWebHookNotifier(sourceA, TimeProvider.System, NullLogger<PostgresWebHookNotifier>.Instance);
        await using var b = new PostgresWebHookNotifier(sourceB, TimeProvider.System, NullLogger<PostgresWebHookNotifier>.Instance);
        var local = 0;
        using var localSubscription = a.Subscribe(() => Interlocked.Increment(ref local));
        var remote = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        var ready = false;
        using var remoteSubscription = b.Subscribe(() => { if (Volatile.Read(ref ready)) remote.Writer.TryWrite(true); });
        await Task.WhenAll(a.Listening, b.Listening).WaitAsync(Patience);
        Volatile.Write(ref ready, true);
        var before = Volatile.Read(ref local);

        // Many publishers at once: each wakes the local dispatcher; the burst reaches the other instance.
        Parallel.For(0, 1000, _ => a.Notify());
        Assert.Equal(before + 1000, Volatile.Read(ref local));
        await remote.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        // A later burst is sent too, after the first has gone.
        while (remote.Reader.TryRead(out _)) { }
        a.Notify();
        await remote.Reader.ReadAsync().AsTask().WaitAsync(Patience);
    }

    [SkippableFact]
    public async Task Hooks_own_pool_never_hands_out_a_connection_left_listening()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var provider = Producer(db);
        var database = provider.GetRequiredService<PostgresDatabase>();
        var notifier = (PostgresWebHookNotifier)provider.GetRequiredService<IWebHookNotifier>();
        using (notifier.Subscribe(() => { }))
        {
            await notifier.Listening.WaitAsync(Patience);
        }
        // The pool's connections go back without a reset (Hooks leaves no session state on them); the notifier's
        // LISTEN connection, once it stops, must not be one of them.
        await notifier.DisposeAsync();

        var connections = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var connection = await database.DataSource.OpenConnectionAsync();
                connections.Add(connection);
                await using var channels = new NpgsqlCommand("SELECT count(*) FROM pg_listening_channels()", connection);
                Assert.Equal(0L, (long)(await channels.ExecuteScalarAsync())!);
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
        Assert.True(new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString).NoResetOnClose);
    }

    [SkippableFact]
    public async Task Notifications_are_sent_on_pooled_connections_not_one_new_connection_each()
    {
        await using var db = await PostgresServer.CreateDatabaseAsync();
        await using var provider = Producer(db);
        var publisher = (PostgresWebHookNotifier)provider.GetRequiredService<IWebHookNotifier>();
        await using var otherSource = db.CreateDataSource();
        await using var other = new PostgresWebHookNotifier(otherSource, TimeProvider.System, NullLogger<PostgresWebHookNotifier>.Instance);
        var received = System.Threading.Channels.Channel.CreateUnbounded<bool>();
        var ready = false;
        using var subscription = other.Subscribe(() => { if (Volatile.Read(ref ready)) received.Writer.TryWrite(true); });
        await other.Listening.WaitAsync(Patience);
        Volatile.Write(ref ready, true);
        var before = await SessionsAsync(otherSource);

        // Twenty bursts, each sent on its own (the next starts once the other instance got the last).
        for (var i = 0; i < 20; i++)
        {
            publisher.Notify();
            await received.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        }
        await publisher.DisposeAsync(); // its connections are done: any that closed has counted

        // A connection per notification would be 20 more; the pools' own few may be counted late (up to 10 is fine).
        Assert.InRange(await SessionsAsync(otherSource) - before, 0, 10);
    }

    // Sessions ever established to the test's database (a backend counts itself when it ends, if not before).
    private static async Task<long> SessionsAsync(NpgsqlDataSource source)
    {
        await using var connection = await source.OpenConnectionAsync();
        await using var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection);
        await clear.ExecuteNonQueryAsync();
        await using var sessions = new NpgsqlCommand("SELECT sessions FROM pg_stat_database WHERE datname = current_database()", connection);
        return (long)(await sessions.ExecuteScalarAsync())!;
    }

    // An app's services with UsePostgres on the test's database (its own pool and notifier).
    private static ServiceProvider Producer(TestDatabase db)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWebHooks().UsePostgres(db.ConnectionString).AddProducer();
        return services.BuildServiceProvider();
    }
}
