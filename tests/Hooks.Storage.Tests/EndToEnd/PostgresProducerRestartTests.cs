using System.Net;
using System.Threading.Channels;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Storage.Tests.EndToEnd;

/// <summary>
/// A producer on PostgreSQL (UsePostgres + AddProducer, real Kestrel on both sides): what it accepted survives the
/// process, and a restarted producer on the same database delivers it.
/// </summary>
public sealed class PostgresProducerRestartTests : IAsyncLifetime
{
    private readonly string _keyRing = Directory.CreateTempSubdirectory("hooks-keys-").FullName;
    private readonly Channel<(string Id, string Sequence, TaskCompletionSource<int> Answer)> _requests = Channel.CreateUnbounded<(string, string, TaskCompletionSource<int>)>();
    private LoopbackApp? _receiver;
    private TestDatabase? _db;

    public Task InitializeAsync() => Task.CompletedTask;

    [SkippableFact]
    public async Task A_message_in_flight_when_its_producer_stops_is_delivered_by_the_next_producer_on_the_database()
    {
        _db = await PostgresServer.CreateDatabaseAsync();
        // Each request waits for the test to answer it.
        _receiver = await LoopbackApp.StartAsync(_ => { }, app => app.Run((RequestDelegate)(async context =>
        {
            var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            _requests.Writer.TryWrite((context.Request.Headers["webhook-id"].ToString(), context.Request.Headers["webhook-sequence"].ToString(), answer));
            context.Response.StatusCode = await answer.Task.WaitAsync(context.RequestAborted);
        })));

        WebHookPublishResult first, second;
        await using (var producer = await StartProducerAsync())
        {
            var store = producer.Services.GetRequiredService<IWebHookStore>();
            Assert.True(await store.CreateSubscriptionAsync(new WebHookSubscription
            {
                Id = "sub_restart",
                Url = new Uri(_receiver.Address, "/hook"),
                Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), DateTimeOffset.UtcNow, null)],
                Status = WebHookSubscriptionStatus.Enabled,
            }));
            var publisher = producer.Services.GetRequiredService<IWebHookPublisher>();
            first = await publisher.PublishAsync(new OrderCreated("o-1", 1));
            var delivered = await NextRequestAsync();
            Assert.Equal((first.MessageId, "1"), (delivered.Id, delivered.Sequence));
            delivered.Answer.SetResult(StatusCodes.Status200OK);

            second = await publisher.PublishAsync(new OrderCreated("o-2", 2));
            var inFlight = await NextRequestAsync();
            Assert.Equal(second.MessageId, inFlight.Id);
            // The producer stops while the attempt is out: it is never answered.
        }

        await using (var restarted = await StartProducerAsync())
        {
            var again = await NextRequestAsync();
            Assert.Equal((second.MessageId, "2"), (again.Id, again.Sequence));
            again.Answer.SetResult(StatusCodes.Status200OK);
            var store = restarted.Services.GetRequiredService<IWebHookStore>();
            var deliveries = await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_restart" });
            Assert.Equal([second.MessageId, first.MessageId], deliveries.Select(d => d.MessageId));
        }
    }

    private async Task<(string Id, string Sequence, TaskCompletionSource<int> Answer)> NextRequestAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _requests.Reader.ReadAsync(timeout.Token);
    }

    private Task<LoopbackApp> StartProducerAsync() => LoopbackApp.StartAsync(
        services =>
        {
            services.AddDataProtection().SetApplicationName("hooks-storage-tests").PersistKeysToFileSystem(new DirectoryInfo(_keyRing));
            services.AddWebHooks().UsePostgres(_db!.ConnectionString).AddProducer(o =>
            {
                o.AllowHttp = true;
                o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
            });
        },
        _ => { });

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
        {
            await _receiver.DisposeAsync();
        }
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
        Directory.Delete(_keyRing, recursive: true);
    }
}
