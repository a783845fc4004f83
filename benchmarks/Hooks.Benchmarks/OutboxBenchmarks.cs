using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hooks.Benchmarks;

/// <summary>
/// What the outbox adds to a delivery, without the HTTP: publish (serialize, id, append) a batch of messages through
/// the real publisher and in-memory store, lease them and record a success for each, as the dispatcher does. Per
/// operation: one message from <c>PublishAsync</c> to its recorded attempt.
/// </summary>
[MemoryDiagnoser]
public class OutboxBenchmarks
{
    private const int Batch = 1000;

    private ServiceProvider _provider = null!;
    private IWebHookPublisher _publisher = null!;
    private IWebHookStore _store = null!;
    private readonly List<WebHookAttemptResult> _results = new(128);

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IWebHookStore>(new InMemoryWebHookStore(10_000));
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddWebHooks().AddEvent<OutboxEvent>().AddProducer(o =>
        {
            o.AllowHttp = true;
            o.RequireIntentVerification = false;
            o.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
        });
        _provider = services.BuildServiceProvider();
        _publisher = _provider.GetRequiredService<IWebHookPublisher>();
        _store = _provider.GetRequiredService<IWebHookStore>();
        var now = DateTimeOffset.UtcNow;
        _store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Url = new Uri("http://127.0.0.1:9/hook"),
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), now, null)],
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        }).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _provider.Dispose();

    [Benchmark(OperationsPerInvoke = Batch)]
    public async Task PublishLeaseRecord()
    {
        for (var i = 0; i < Batch; i++)
        {
            await _publisher.PublishAsync(new OutboxEvent("ord_00000042", "cus_0001", 129.95m + i % 100, 1 + i % 7));
        }
        var now = DateTimeOffset.UtcNow;
        while (true)
        {
            var leases = await _store.LeaseDueAsync(DateTimeOffset.UtcNow, 128, int.MaxValue, TimeSpan.FromMinutes(2));
            if (leases.Count == 0)
            {
                break;
            }
            _results.Clear();
            foreach (var lease in leases)
            {
                _results.Add(new WebHookAttemptResult
                {
                    Lease = new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken),
                    Attempt = new WebHookAttempt
                    {
                        DeliveryId = lease.Delivery.Id,
                        MessageId = lease.Delivery.MessageId,
                        SubscriptionId = lease.Subscription.Id,
                        Number = lease.Delivery.Attempts + 1,
                        StartedAt = now,
                        Duration = TimeSpan.FromMilliseconds(1),
                        Outcome = WebHookAttemptOutcome.Succeeded,
                        StatusCode = 204,
                    },
                    NewStatus = WebHookDeliveryStatus.Succeeded,
                });
            }
            await _store.RecordAttemptsAsync(_results);
        }
    }
}

/// <summary>A small event like a typical webhook. Hand-written, not generated.</summary>
public sealed record OutboxEvent(string OrderId, string Customer, decimal Total, int Items) : IWebHookEvent<OutboxEvent>
{
    public static string EventType => "order.created";
    public static string? EventDescription => "Benchmark event.";
    public static void WriteData(Utf8JsonWriter writer, OutboxEvent value) => JsonSerializer.Serialize(writer, value, OutboxJsonContext.Default.OutboxEvent);
    public static OutboxEvent ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, OutboxJsonContext.Default.OutboxEvent)!;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OutboxEvent))]
internal sealed partial class OutboxJsonContext : JsonSerializerContext;
