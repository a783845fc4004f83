using System.Globalization;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage.Postgres;
using Hooks.Storage.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Hooks.Storage.Tests.ScaleOut;

/// <summary>
/// A dispatcher's memory does not grow with the backlog: with a large number of due deliveries to one subscription
/// whose endpoint refuses them, it leases only what it can send (the subscription's limit), so its heap stays flat.
/// </summary>
public sealed class PostgresBoundedMemoryTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Set to run with another backlog (1000000 by hand; CI uses the default).</summary>
    public const string BacklogVariable = "HOOKS_BOUNDED_MEMORY_BACKLOG";

    private const int DefaultBacklog = 100_000;
    private const int PerSubscription = 16;
    private const int Attempts = 3_000;
    private const long MaxWorkingSet = 300L * 1024 * 1024;

    private readonly string _keyRing = Directory.CreateTempSubdirectory("hooks-keys-").FullName;
    private TestDatabase? _db;

    public Task InitializeAsync() => Task.CompletedTask;

    [SkippableFact]
    public async Task A_dispatchers_memory_stays_flat_with_a_large_backlog_for_a_refusing_endpoint()
    {
        var backlog = Environment.GetEnvironmentVariable(BacklogVariable) is { Length: > 0 } value
            ? int.Parse(value, CultureInfo.InvariantCulture)
            : DefaultBacklog;
        _db = await PostgresServer.CreateDatabaseAsync();
        await using var receiver = await CountingReceiver.StartAsync(backlog, TimeSpan.Zero, StatusCodes.Status503ServiceUnavailable);
        await using var database = new PostgresDatabase(_db.CreateDataSource(), ownsDataSource: true);
        var store = new PostgresWebHookStore(database, SharedKeyRing.Protector(_keyRing));
        Assert.True(await store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = "sub_bulk",
            Url = new Uri(receiver.Address, "/hook/sub_bulk"),
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), DateTimeOffset.UtcNow, null)],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        }));
        var started = DateTimeOffset.UtcNow;
        await BulkInsertAsync(database.DataSource, backlog);
        output.WriteLine($"{backlog} due deliveries inserted in {(DateTimeOffset.UtcNow - started).TotalSeconds:F1} s");

        await using var dispatcher = PostgresDispatcherProcess.Start(_db.ConnectionString, _keyRing, "dispatcher", 64, PerSubscription, output);
        await dispatcher.Started.WaitAsync(TimeSpan.FromMinutes(2));
        await receiver.RequestsReached(Attempts).WaitAsync(TimeSpan.FromMinutes(5));

        // While it works: the store holds no more leases than the subscription may use at once.
        await using (var leases = database.DataSource.CreateCommand("SELECT count(*) FROM hooks_deliveries WHERE lease_expires_at > now()"))
        {
            Assert.InRange((long)(await leases.ExecuteScalarAsync())!, 0, PerSubscription);
        }
        var peak = dispatcher.PeakWorkingSetBytes();
        output.WriteLine($"backlog {backlog}: {receiver.Requests} attempts; dispatcher peak working set {peak / (1024 * 1024)} MB, " +
            $"largest GC heap {dispatcher.MaxGcHeapBytes / (1024 * 1024)} MB; max concurrent {receiver.MaxConcurrent.GetValueOrDefault("sub_bulk")}");
        Assert.InRange(peak, 1, MaxWorkingSet);
        Assert.InRange(receiver.MaxConcurrent.GetValueOrDefault("sub_bulk"), 1, PerSubscription);
    }

    // Messages and their due deliveries, straight in SQL: the backlog a long outage leaves.
    private static async Task BulkInsertAsync(NpgsqlDataSource dataSource, int count)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection) { Timeout = 600 };
        var messages = new NpgsqlBatchCommand("""
            INSERT INTO hooks_messages (id, tenant, event_type, timestamp, body)
            SELECT 'msg_bulk_' || g, $2, 'bulk.created', now() - interval '1 hour',
                   convert_to('{"type":"bulk.created","data":{"n":' || g || '}}', 'UTF8')
            FROM generate_series(1, $1) AS g
            """);
        messages.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        messages.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WebHookTenant.DefaultId });
        batch.BatchCommands.Add(messages);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO hooks_deliveries (message_sequence, subscription_id, sequence, status, next_attempt_at)
            SELECT m.sequence, 'sub_bulk', row_number() OVER (ORDER BY m.sequence), 0, m.timestamp FROM hooks_messages m
            """));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE hooks_subscriptions SET last_sequence = (SELECT count(*) FROM hooks_deliveries) WHERE id = 'sub_bulk'"));
        await batch.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand("ANALYZE hooks_messages; ANALYZE hooks_deliveries", connection);
        await analyze.ExecuteNonQueryAsync();
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
