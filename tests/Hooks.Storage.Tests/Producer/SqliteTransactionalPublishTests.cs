using System.Net;
using System.Threading.Channels;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.Producer;

/// <summary>
/// A publish that joins the app's own SQLite transaction (the outbox pattern): the message commits or rolls back with
/// the app's row, and only a committed one is delivered (to a real receiver over HTTP).
/// </summary>
public sealed class SqliteTransactionalPublishTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly SqliteFile _file = new();
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private LoopbackApp _consumer = null!;
    private LoopbackApp _producer = null!;

    public async Task InitializeAsync()
    {
        _consumer = await LoopbackApp.StartAsync(_ => { }, app => app.MapPost("/in", (HttpRequest request) =>
        {
            _received.Writer.TryWrite(request.Headers["webhook-id"].ToString());
            return Results.NoContent();
        }));
        _producer = await LoopbackApp.StartAsync(
            services => services.AddWebHooks()
                .AddProducer(o => o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8")))
                .UseSqlite(_file.ConnectionString),
            _ => { });
        var now = DateTimeOffset.UtcNow;
        await Store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = "sub_orders",
            Url = new Uri(_consumer.Address, "/in"),
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
        });
        // The app's own table, in the file UseSqlite names (the host's start created the webhook tables there).
        await using var connection = await OpenAppConnectionAsync();
        await ExecuteAsync(connection, null, "CREATE TABLE orders (id TEXT PRIMARY KEY)");
    }

    public async Task DisposeAsync()
    {
        await _producer.DisposeAsync();
        await _consumer.DisposeAsync();
        _file.Dispose();
    }

    private IWebHookStore Store => _producer.Services.GetRequiredService<IWebHookStore>();

    private IWebHookPublisher Publisher => _producer.Services.GetRequiredService<IWebHookPublisher>();

    [Fact]
    public async Task A_publish_in_a_transaction_the_app_rolls_back_stores_nothing_and_sends_nothing()
    {
        WebHookPublishResult rolledBack;
        await using (var connection = await OpenAppConnectionAsync())
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await ExecuteAsync(connection, transaction, "INSERT INTO orders (id) VALUES ('ord_1')");
            rolledBack = await Publisher.PublishAsync(new OrderCreated("ord_1", 10m), new WebHookPublishOptions { Transaction = transaction });
            Assert.Equal(1, rolledBack.Deliveries);
            await transaction.RollbackAsync();
        }

        Assert.Null(await Store.GetMessageAsync(rolledBack.MessageId));
        Assert.Equal(0L, await CountOrdersAsync());
        // A message published afterwards is the first and only one the receiver gets: the rolled-back one never existed.
        var after = await Publisher.PublishAsync(new OrderCreated("ord_2", 20m));
        Assert.Equal(after.MessageId, await _received.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.False(_received.Reader.TryRead(out _));
        Assert.Empty(await Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_orders", MessageId = rolledBack.MessageId }));
    }

    [Fact]
    public async Task A_publish_in_a_transaction_the_app_commits_is_stored_with_the_apps_row_and_delivered()
    {
        WebHookPublishResult committed;
        await using (var connection = await OpenAppConnectionAsync())
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await ExecuteAsync(connection, transaction, "INSERT INTO orders (id) VALUES ('ord_1')");
            committed = await Publisher.PublishAsync(new OrderCreated("ord_1", 10m),
                new WebHookPublishOptions { Transaction = transaction, IdempotencyKey = "order-ord_1" });
            await transaction.CommitAsync();
        }

        Assert.Equal(committed.MessageId, await _received.Reader.ReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(1L, await CountOrdersAsync());
        Assert.NotNull(await Store.GetMessageAsync(committed.MessageId));
        // The key was committed with it: the same publish again is the same message.
        var again = await Publisher.PublishAsync(new OrderCreated("ord_1", 10m), new WebHookPublishOptions { IdempotencyKey = "order-ord_1" });
        Assert.True(again.Duplicate);
        Assert.Equal(committed.MessageId, again.MessageId);
    }

    [Fact]
    public async Task A_transaction_on_another_database_file_is_refused_and_nothing_is_stored()
    {
        using var other = new SqliteFile();
        await using var connection = new SqliteConnection(other.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await Publisher.PublishAsync(new OrderCreated("ord_1", 10m), new WebHookPublishOptions { Transaction = transaction }));

        Assert.Contains("another database file", error.Message, StringComparison.Ordinal);
        Assert.Empty(await Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_orders" }));
    }

    private async Task<SqliteConnection> OpenAppConnectionAsync()
    {
        var connection = new SqliteConnection(_file.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task<long> CountOrdersAsync()
    {
        await using var connection = await OpenAppConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM orders";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
