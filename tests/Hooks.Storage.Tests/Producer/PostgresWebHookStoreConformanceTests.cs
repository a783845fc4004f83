using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace Hooks.Storage.Tests.Producer;

/// <summary>
/// The producer store contract on PostgreSQL (a database of its own per test; the second store is another "host": its
/// own data source, pool and record cache, one key ring shared as instances of one app share it), and what only a
/// shared SQL store does: secrets encrypted at rest, publishing in the app's transaction, leases timed by the
/// database's clock.
/// </summary>
public sealed class PostgresWebHookStoreConformanceTests : WebHookStoreConformance
{
    private readonly List<PostgresDatabase> _databases = [];
    private readonly WebHookSecretProtector _protector = new(new EphemeralDataProtectionProvider());
    private TestDatabase? _db;

    protected override async Task<IWebHookStore> CreateStoreAsync()
    {
        _db = await PostgresServer.CreateDatabaseAsync();
        return await OpenSecondStoreAsync();
    }

    protected override async Task<IWebHookStore> OpenSecondStoreAsync() => new PostgresWebHookStore(await OpenDatabaseAsync(), _protector);

    private async Task<PostgresDatabase> OpenDatabaseAsync()
    {
        var database = new PostgresDatabase(_db!.CreateDataSource(), ownsDataSource: true);
        _databases.Add(database);
        await database.EnsureReadyAsync(default);
        return database;
    }

    public override async Task DisposeAsync()
    {
        foreach (var database in _databases) await database.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }

    [SkippableFact]
    public async Task Subscription_secrets_are_not_in_the_database_and_read_back_intact()
    {
        var store = await CreateStoreAsync();
        var subscription = Subscription("sub_a");
        var secret = subscription.Secrets[0].Secret;
        var key = Convert.FromBase64String(secret.Reveal()[WebHookSecret.Prefix.Length..]);
        await store.CreateSubscriptionAsync(subscription);

        await using (var connection = new NpgsqlConnection(_db!.ConnectionString))
        {
            await connection.OpenAsync();
            // Every byte the table holds for the row, as text: the key must not be among them, raw or base64.
            await using var dump = new NpgsqlCommand("SELECT s::text FROM hooks_subscriptions s", connection);
            var row = (string)(await dump.ExecuteScalarAsync())!;
            Assert.DoesNotContain(Convert.ToHexStringLower(key), row, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(key), row, StringComparison.Ordinal);
        }

        // Another host (its own cache) decrypts it with the shared key ring.
        var other = await OpenSecondStoreAsync();
        var read = (await other.GetSubscriptionAsync("sub_a"))!;
        Assert.True(read.Secrets[0].Secret.KeyEquals(secret));
    }

    [SkippableFact]
    public async Task A_publish_in_the_apps_transaction_is_stored_only_when_it_commits()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await using var connection = new NpgsqlConnection(_db!.ConnectionString);
        await connection.OpenAsync();

        WebHookMessageDraft rolledBack;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            rolledBack = Draft() with { Transaction = transaction };
            Assert.Equal(1, (await store.AppendMessageAsync(rolledBack)).Deliveries);
            await transaction.RollbackAsync();
        }
        Assert.Null(await store.GetMessageAsync(rolledBack.Message.Id));
        Assert.Empty((await store.ReadFeedAsync("sub_a", 0, 10)).Entries);
        Assert.Empty(await store.LeaseDueAsync(T0, 10, 10, TimeSpan.FromMinutes(1)));

        WebHookMessageDraft committed;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            committed = Draft() with { Transaction = transaction };
            await store.AppendMessageAsync(committed);
            // Not visible to others (a dispatcher) before the commit.
            Assert.Null(await store.GetMessageAsync(committed.Message.Id));
            await transaction.CommitAsync();
        }
        Assert.NotNull(await store.GetMessageAsync(committed.Message.Id));
        var lease = Assert.Single(await store.LeaseDueAsync(T0, 10, 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(committed.Message.Id, lease.Message.Id);
        // The rolled-back append took no number: the feed stays gapless.
        Assert.Equal(1, lease.Delivery.Sequence);
    }

    [SkippableFact]
    public async Task Appends_queued_behind_a_locked_subscription_commit_together_and_a_used_id_fails_only_its_caller()
    {
        const int Appends = 40;
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var stored = Draft();
        await store.AppendMessageAsync(stored);
        var drafts = Enumerable.Range(0, Appends).Select(i => Draft(at: T0.AddMilliseconds(i + 1))).ToArray();
        drafts[20] = drafts[20] with { Message = drafts[20].Message with { Id = stored.Message.Id } };

        var appends = await AppendBehindALockAsync(store, "sub_a", drafts);

        await Assert.ThrowsAsync<InvalidOperationException>(() => appends[20]);
        for (var i = 0; i < Appends; i++)
        {
            if (i != 20)
            {
                Assert.Equal(drafts[i].Message.Id, (await appends[i]).MessageId);
            }
        }
        var feed = await store.ReadFeedAsync("sub_a", 0, Appends + 10);
        Assert.Equal(Enumerable.Range(1, Appends).Select(i => (long)i), feed.Entries.Select(e => e.Sequence));
        // At most two transactions stored the 39: the group waiting on the lock, and the one queued behind it.
        await using (var connection = new NpgsqlConnection(_db!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transactions = new NpgsqlCommand("SELECT count(DISTINCT xmin::text) FROM hooks_messages WHERE id <> $1", connection);
            transactions.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stored.Message.Id });
            Assert.InRange((long)(await transactions.ExecuteScalarAsync())!, 1, 2);
        }
    }

    [SkippableFact]
    public async Task A_group_of_appends_fans_out_by_tenant_filter_and_status_as_single_appends_do()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", WebHookSubscriptionStatus.Disabled));
        await store.CreateSubscriptionAsync(Subscription("sub_c", tenant: "t2", filters: ["order.*", "order.created"]));
        await store.CreateSubscriptionAsync(Subscription("sub_d", filters: "customer.*"));
        WebHookMessageDraft[] drafts =
        [
            Draft(),                                   // sub_a, sub_b skipped
            Draft(tenant: "t2"),                       // sub_c once, though two of its filters take it
            Draft(tenant: null),                       // every tenant: sub_a, sub_b skipped, sub_c
            Draft(only: "sub_b"),                      // a test event: pending even to a disabled subscription
            Draft("customer.created"),                 // sub_a, sub_b skipped, sub_d
            Draft("invoice.paid", tenant: "t2"),       // nobody
            Draft(key: "k", tenant: "t3"),             // nobody; keys are per tenant:
            Draft("invoice.paid", key: "k", tenant: "t2"),
            Draft(),                                   // sub_a, sub_b skipped
        ];

        var appends = await AppendBehindALockAsync(store, "sub_a", drafts);

        Assert.Equal([1, 1, 2, 1, 2, 0, 0, 0, 1], appends.Select(a => a.Result.Deliveries));
        Assert.All(appends, a => Assert.False(a.Result.Duplicate));
        Assert.Equal(drafts.Select(d => d.Message.Id), appends.Select(a => a.Result.MessageId));
        async Task AssertFeed(string subscription, params int[] expected)
        {
            var feed = (await store.ReadFeedAsync(subscription, 0, 100)).Entries;
            Assert.Equal(expected.Select(i => drafts[i].Message.Id), feed.Select(e => e.Message.Id));
            Assert.Equal(Enumerable.Range(1, expected.Length).Select(i => (long)i), feed.Select(e => e.Sequence));
        }
        await AssertFeed("sub_a", 0, 2, 4, 8);
        await AssertFeed("sub_b", 0, 2, 3, 4, 8);
        await AssertFeed("sub_c", 1, 2);
        await AssertFeed("sub_d", 4);
        var statuses = (await store.ReadFeedAsync("sub_b", 0, 100)).Entries.Select(e => e.Status);
        Assert.Equal([WebHookDeliveryStatus.Skipped, WebHookDeliveryStatus.Skipped, WebHookDeliveryStatus.Pending, WebHookDeliveryStatus.Skipped,
            WebHookDeliveryStatus.Skipped], statuses);
    }

    [SkippableFact]
    public async Task A_draft_the_database_refuses_fails_only_its_caller_when_its_group_fails()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var drafts = Enumerable.Range(0, 10).Select(i => Draft(at: T0.AddMilliseconds(i))).ToArray();
        // PostgreSQL text cannot hold a NUL character: the statement storing the group fails, and with it the group.
        drafts[5] = drafts[5] with { Message = drafts[5].Message with { EventType = "order.\0created" } };

        var appends = await AppendBehindALockAsync(store, "sub_a", drafts);

        Assert.True(appends[5].IsFaulted);
        for (var i = 0; i < drafts.Length; i++)
        {
            if (i != 5)
            {
                Assert.Equal(drafts[i].Message.Id, (await appends[i]).MessageId);
            }
        }
        var feed = await store.ReadFeedAsync("sub_a", 0, 100);
        Assert.Equal(Enumerable.Range(1, drafts.Length - 1).Select(i => (long)i), feed.Entries.Select(e => e.Sequence));
    }

    // Appends the drafts while another connection holds the subscription's row: the first append to reach the database
    // waits for it and the rest queue behind, so they are stored in at most two groups.
    private async Task<Task<WebHookPublishResult>[]> AppendBehindALockAsync(IWebHookStore store, string subscriptionId, WebHookMessageDraft[] drafts)
    {
        Task<WebHookPublishResult>[] appends;
        await using (var connection = new NpgsqlConnection(_db!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var hold = new NpgsqlCommand("SELECT 1 FROM hooks_subscriptions WHERE id = $1 FOR NO KEY UPDATE", connection, transaction))
            {
                hold.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
                await hold.ExecuteNonQueryAsync();
            }
            // Each call has queued its draft when it returns (the store is migrated, so nothing before the queue waits).
            appends = drafts.Select(async d => await store.AppendMessageAsync(d)).ToArray();
            await transaction.RollbackAsync();
        }
        await Task.WhenAll(appends).ContinueWith(_ => { }, TaskScheduler.Default);
        return appends;
    }

    [SkippableFact]
    public async Task A_transaction_of_another_provider_is_refused()
    {
        var store = await CreateStoreAsync();
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        await Assert.ThrowsAsync<NotSupportedException>(async () => await store.AppendMessageAsync(Draft() with { Transaction = transaction }));
    }

    [SkippableFact]
    public async Task A_host_whose_clock_runs_an_hour_ahead_does_not_take_another_hosts_lease_early()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft(at: DateTimeOffset.UtcNow.AddMinutes(-1)));
        var ahead = new ShiftedClock(TimeSpan.FromHours(1));
        var aheadHost = new PostgresWebHookStore(await OpenDatabaseAsync(), _protector, ahead);

        Assert.Single(await store.LeaseDueAsync(DateTimeOffset.UtcNow, 10, 10, TimeSpan.FromMinutes(5)));

        // By its own clock the lease expired 55 minutes ago; by the database's it runs for five more minutes.
        Assert.Empty(await aheadHost.LeaseDueAsync(ahead.GetUtcNow(), 10, 10, TimeSpan.FromMinutes(5)));
    }

    [SkippableFact]
    public async Task A_lease_ends_by_the_databases_clock()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft(at: DateTimeOffset.UtcNow.AddMinutes(-1)));
        var first = Assert.Single(await store.LeaseDueAsync(DateTimeOffset.UtcNow, 10, 10, TimeSpan.FromTicks(10)));

        // A microsecond lease has ended by the database's clock when the next statement runs (a round trip later).
        var second = Assert.Single(await store.LeaseDueAsync(DateTimeOffset.UtcNow, 10, 10, TimeSpan.FromMinutes(5)));
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);
    }

    // A host clock a fixed distance from the real one.
    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
