using System.Text;
using Hooks.Security;
using Hooks.Storage.Sqlite;
using Hooks.Storage.Sqlite.Producer;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.Producer;

/// <summary>What the SQLite producer store adds to the contract: a file that outlives the process, secrets sealed in it.</summary>
public sealed class SqliteWebHookStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly WebHookSecretProtector _protector = new(new EphemeralDataProtectionProvider());

    [Fact]
    public async Task The_database_file_does_not_hold_a_subscriptions_secret_yet_the_store_reads_it_back()
    {
        using var file = new SqliteFile();
        var secret = WebHookSecret.Generate();
        var revealed = secret.Reveal();
        var key = Convert.FromBase64String(revealed["whsec_".Length..]);
        await using (var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System))
        {
            var store = new SqliteWebHookStore(database, _protector);
            Assert.True(await store.CreateSubscriptionAsync(Subscription("sub_a", secret)));
        }

        var bytes = Directory.GetFiles(Path.GetDirectoryName(file.Path)!).SelectMany(File.ReadAllBytes).ToArray(); // the file, its WAL
        Assert.True(bytes.Length > 0);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(key));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(revealed)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(revealed["whsec_".Length..])));

        await using var reopened = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var read = await new SqliteWebHookStore(reopened, _protector).GetSubscriptionAsync("sub_a");
        Assert.True(Assert.Single(read!.Secrets).Secret.KeyEquals(secret));
    }

    [Fact]
    public async Task A_store_opened_again_on_the_file_finds_what_was_published_and_continues_the_feed()
    {
        using var file = new SqliteFile();
        string first;
        await using (var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System))
        {
            var store = new SqliteWebHookStore(database, _protector);
            await store.CreateSubscriptionAsync(Subscription("sub_a", WebHookSecret.Generate()));
            first = (await store.AppendMessageAsync(Draft())).MessageId;
        }

        await using var reopened = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var again = new SqliteWebHookStore(reopened, _protector);
        var second = (await again.AppendMessageAsync(Draft())).MessageId;

        var leases = await again.LeaseDueAsync(T0, 10, 10, TimeSpan.FromMinutes(1));
        Assert.Equal([first, second], leases.Select(l => l.Message.Id));
        Assert.Equal([1L, 2L], leases.Select(l => l.Delivery.Sequence));
        Assert.Equal("{}"u8.ToArray(), leases[0].Message.Body.ToArray());
    }

    [Fact]
    public async Task Appends_queued_while_the_writer_is_busy_commit_together_and_none_completes_before_its_commit()
    {
        using var file = new SqliteFile();
        await using var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var store = new SqliteWebHookStore(database, _protector);
        await store.CreateSubscriptionAsync(Subscription("sub_a", WebHookSecret.Generate()));
        var before = store.Commits;

        // Another operation holds the writer while 50 publishers append.
        var writer = await WriterHeld.StartAsync(database);
        var appends = Enumerable.Range(0, 50).Select(i => store.AppendMessageAsync(Draft()).AsTask()).ToList();

        Assert.All(appends, append => Assert.False(append.IsCompleted)); // nothing is acknowledged before it is committed
        await writer.ReleaseAsync();
        var results = await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, store.Commits - before);
        Assert.Equal(50, results.Select(r => r.MessageId).Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i),
            (await store.ReadFeedAsync("sub_a", 0, 100)).Entries.Select(e => e.Sequence));
        // The group's counter was written with it: the next publish continues the feed.
        await store.AppendMessageAsync(Draft());
        Assert.Equal(51, (await store.ReadFeedAsync("sub_a", 50, 10)).Entries.Single().Sequence);
    }

    [Fact]
    public async Task A_write_that_fails_inside_a_group_takes_no_feed_numbers_from_the_appends_committed_without_it()
    {
        using var file = new SqliteFile();
        await using var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var store = new SqliteWebHookStore(database, _protector);
        await store.CreateSubscriptionAsync(Subscription("sub_a", WebHookSecret.Generate()));
        var writer = await WriterHeld.StartAsync(database);

        // Ten appends number deliveries 1 to 10 in the group's transaction; then a draft the database refuses midway
        // (no event type: a NOT NULL column) rolls it back; the group runs again without it.
        var first = Enumerable.Range(0, 10).Select(_ => store.AppendMessageAsync(Draft()).AsTask()).ToList();
        var bad = Draft();
        var refused = store.AppendMessageAsync(bad with { Message = bad.Message with { EventType = null! } }).AsTask();
        var second = Enumerable.Range(0, 10).Select(_ => store.AppendMessageAsync(Draft()).AsTask()).ToList();
        await writer.ReleaseAsync();

        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => refused).WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(first.Concat(second)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i),
            (await store.ReadFeedAsync("sub_a", 0, 100)).Entries.Select(e => e.Sequence));
        await store.AppendMessageAsync(Draft());
        Assert.Equal(21, (await store.ReadFeedAsync("sub_a", 20, 10)).Entries.Single().Sequence);
    }

    [Fact]
    public async Task The_writers_fan_out_follows_subscriptions_created_refiltered_and_disabled_after_a_publish_of_the_same_type()
    {
        // The writer keeps each (tenant, type)'s targets between appends: every change to the targets must reach it.
        using var file = new SqliteFile();
        await using var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var store = new SqliteWebHookStore(database, _protector);
        await store.CreateSubscriptionAsync(Subscription("sub_a", WebHookSecret.Generate()));
        Assert.Equal(1, (await store.AppendMessageAsync(Draft())).Deliveries);

        await store.CreateSubscriptionAsync(Subscription("sub_b", WebHookSecret.Generate()) with { EventTypes = ["order.*"] });
        Assert.Equal(2, (await store.AppendMessageAsync(Draft())).Deliveries);

        var a = (await store.GetSubscriptionAsync("sub_a"))!;
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await store.UpdateSubscriptionAsync(a with { EventTypes = ["invoice.*"] }));
        Assert.Equal(1, (await store.AppendMessageAsync(Draft())).Deliveries);

        // The dispatcher disables sub_b (a 410) in a write of its own; the next publish still joins its feed, as skipped.
        var leases = await store.LeaseDueAsync(T0, 10, 10, TimeSpan.FromMinutes(1));
        var lease = leases.First(l => l.Subscription.Id == "sub_b");
        await store.RecordAttemptsAsync([new WebHookAttemptResult
        {
            Lease = new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken),
            Attempt = new WebHookAttempt
            {
                DeliveryId = lease.Delivery.Id, MessageId = lease.Message.Id, SubscriptionId = "sub_b", Number = 1, StartedAt = T0,
                Outcome = WebHookAttemptOutcome.HttpError, StatusCode = 410,
            },
            NewStatus = WebHookDeliveryStatus.Failed,
            DisableSubscriptionReason = "410 Gone",
        }]);
        Assert.Equal(0, (await store.AppendMessageAsync(Draft())).Deliveries);
        Assert.Equal([1L, 2L, 3L], (await store.ReadFeedAsync("sub_b", 0, 10)).Entries.Select(e => e.Sequence));
        var latest = (await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_b", Limit = 1 })).Single();
        Assert.Equal(WebHookDeliveryStatus.Skipped, latest.Status);
        Assert.Equal([1L, 2L], (await store.ReadFeedAsync("sub_a", 0, 10)).Entries.Select(e => e.Sequence));
    }

    [Fact]
    public async Task A_store_sees_what_another_connection_committed_to_the_file_between_its_own_appends()
    {
        // Two stores on one file, as two processes would be: each numbers the feed after the other's commits, and a
        // subscription one creates is a target of the other's next publish.
        using var file = new SqliteFile();
        await using var firstDatabase = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        await using var secondDatabase = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var first = new SqliteWebHookStore(firstDatabase, _protector);
        var second = new SqliteWebHookStore(secondDatabase, _protector);
        await first.CreateSubscriptionAsync(Subscription("sub_a", WebHookSecret.Generate()));

        await first.AppendMessageAsync(Draft());
        await second.AppendMessageAsync(Draft());
        await first.AppendMessageAsync(Draft());
        await second.CreateSubscriptionAsync(Subscription("sub_b", WebHookSecret.Generate()));
        Assert.Equal(2, (await first.AppendMessageAsync(Draft())).Deliveries);

        Assert.Equal([1L, 2L, 3L, 4L], (await first.ReadFeedAsync("sub_a", 0, 10)).Entries.Select(e => e.Sequence));
        Assert.Equal([1L], (await second.ReadFeedAsync("sub_b", 0, 10)).Entries.Select(e => e.Sequence));
    }

    [Fact]
    public async Task The_WAL_is_checkpointed_into_the_database_file_off_the_writer_after_every_256_writes()
    {
        // 256 writes of 4 KB rows: about 300 pages, far under the writer's own automatic checkpoint (10,000 pages), so
        // only the checkpointer's connection moves them into the file.
        using var file = new SqliteFile();
        await using var database = new SqliteDatabase(file.ConnectionString, TimeProvider.System);
        var checkpointed = new TaskCompletionSource<(long Frames, long Copied)>(TaskCreationOptions.RunContinuationsAsynchronously);
        database.CheckpointCompleted = (frames, copied) => checkpointed.TrySetResult((frames, copied));
        await database.EnsureReadyAsync(CancellationToken.None); // the file, migrated
        var before = new FileInfo(file.Path).Length;
        for (var i = 0; i < 256; i++)
        {
            await database.RunAsync(i, static async (connection, n, ct) =>
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "CREATE TABLE IF NOT EXISTS scratch (n INTEGER, b BLOB); INSERT INTO scratch VALUES ($n, randomblob(4096))";
                command.Parameters.AddWithValue("$n", n);
                return await command.ExecuteNonQueryAsync(ct);
            }, CancellationToken.None);
        }

        var (frames, copied) = await checkpointed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(frames >= 256, $"{frames} frames in the WAL");
        Assert.Equal(frames, copied); // nothing held it back: no reader, and the writer was idle
        Assert.True(new FileInfo(file.Path).Length >= before + 256 * 4096, "the rows are in the database file");
    }

    [Fact]
    public async Task UseSqlite_stores_the_producers_outbox_before_or_after_AddProducer()
    {
        await using var before = Build(s => s.AddWebHooks().UseSqlite("Data Source=before.db").AddProducer());
        await using var after = Build(s => s.AddWebHooks().AddProducer().UseSqlite("Data Source=after.db"));

        Assert.IsType<SqliteWebHookStore>(before.GetRequiredService<IWebHookStore>());
        Assert.IsType<SqliteWebHookStore>(after.GetRequiredService<IWebHookStore>());
    }

    /// <summary>Another operation holding the database's writer, so the writes queued meanwhile commit as one group.</summary>
    private sealed class WriterHeld
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _busy = Task.CompletedTask;

        public static async Task<WriterHeld> StartAsync(SqliteDatabase database)
        {
            var held = new WriterHeld();
            var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held._busy = database.RunAsync(0, async (_, _, _) =>
            {
                holding.SetResult();
                await held._release.Task;
                return 0;
            }, CancellationToken.None);
            await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return held;
        }

        public Task ReleaseAsync()
        {
            _release.SetResult();
            return _busy;
        }
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        configure(services);
        return services.BuildServiceProvider();
    }

    private static WebHookSubscription Subscription(string id, WebHookSecret secret) => new()
    {
        Id = id,
        Url = new Uri("https://example.com/" + id),
        Secrets = [new WebHookSubscriptionSecret(secret, T0, null)],
        Status = WebHookSubscriptionStatus.Enabled,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static WebHookMessageDraft Draft() => new()
    {
        Message = new WebHookMessage
        {
            Id = "msg_" + Guid.CreateVersion7(T0).ToString("N"), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray(),
        },
    };
}
