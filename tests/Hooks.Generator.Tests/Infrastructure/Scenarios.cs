namespace Hooks.Generator.Tests.Infrastructure;

/// <summary>The C# sources the tests compile: what users write.</summary>
internal static class Scenarios
{
    /// <summary>Events of three shapes, a context covering them, handlers and a probe the tests call.</summary>
    public const string Shop = """
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using Hooks;

        namespace Shop;

        [WebHookEvent("order.created", Description = "An order was placed.")]
        public partial record OrderCreated(string OrderId, decimal Total, string? Note = null);

        [WebHookEvent("order.shipped")]
        public partial class OrderShipped
        {
            public required string OrderId { get; init; }
            public int Parcels { get; init; }
        }

        [WebHookEvent("stock.low", Description = "Stock is \"low\".")]
        public partial record struct StockLow(string Sku, int Left);

        [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
        [JsonSerializable(typeof(OrderCreated))]
        [JsonSerializable(typeof(OrderShipped))]
        [JsonSerializable(typeof(StockLow), TypeInfoPropertyName = "StockLowInfo")]
        internal partial class ShopJson : JsonSerializerContext;

        public sealed class Recorder
        {
            public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new();
        }

        public sealed class OrderCreatedHandler(Recorder recorder) : IWebHookHandler<OrderCreated>
        {
            public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
            {
                recorder.Seen.Enqueue($"created:{message.OrderId}:{message.Total}:{context.MessageId}");
                return Task.CompletedTask;
            }
        }

        public abstract class AuditHandler<T>(Recorder recorder) : IWebHookHandler<T> where T : IWebHookEvent<T>
        {
            public Task HandleAsync(T message, WebHookContext context, CancellationToken cancellationToken)
            {
                recorder.Seen.Enqueue($"audit:{T.EventType}");
                return Task.CompletedTask;
            }
        }

        public sealed class OrderCreatedAudit(Recorder recorder) : AuditHandler<OrderCreated>(recorder);

        internal sealed class StockHandler(Recorder recorder) : IWebHookHandler<StockLow>, IWebHookHandler<OrderShipped>
        {
            public Task HandleAsync(StockLow message, WebHookContext context, CancellationToken cancellationToken)
            {
                recorder.Seen.Enqueue($"stock:{message.Sku}:{message.Left}");
                return Task.CompletedTask;
            }

            public Task HandleAsync(OrderShipped message, WebHookContext context, CancellationToken cancellationToken)
            {
                recorder.Seen.Enqueue($"shipped:{message.OrderId}:{message.Parcels}");
                return Task.CompletedTask;
            }
        }
        """;

    /// <summary>Calls the generated code from inside the compiled assembly, so tests need no reflection on generics.</summary>
    public const string ShopProbe = """
        using System.Buffers;
        using System.Text;
        using Hooks;
        using Hooks.Hosting;
        using Hooks.Infrastructure;
        using Microsoft.Extensions.DependencyInjection;

        namespace Shop;

        public static class Probe
        {
            public static string WriteOrderCreated(string orderId, decimal total, string? note)
            {
                var buffer = new ArrayBufferWriter<byte>();
                WebHookEnvelope.Write(buffer, new OrderCreated(orderId, total, note), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
                return Encoding.UTF8.GetString(buffer.WrittenSpan);
            }

            public static string WriteStockLow(string sku, int left)
            {
                var buffer = new ArrayBufferWriter<byte>();
                WebHookEnvelope.Write(buffer, new StockLow(sku, left), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
                return Encoding.UTF8.GetString(buffer.WrittenSpan);
            }

            /// <summary>Reads an envelope and its data as the event its type names; returns the event's text.</summary>
            public static string ReadEnvelope(string body)
            {
                var bytes = Encoding.UTF8.GetBytes(body);
                if (!WebHookEnvelope.TryRead(bytes, out var envelope, out var error))
                {
                    return "not an envelope: " + error;
                }
                var data = envelope.Data(bytes.AsSpan());
                return envelope.Type switch
                {
                    "order.created" => Read<OrderCreated>(data),
                    "order.shipped" => Read<OrderShipped>(data),
                    "stock.low" => Read<StockLow>(data),
                    _ => "unknown",
                };
            }

            private static string Read<T>(ReadOnlySpan<byte> data) where T : IWebHookEvent<T>
            {
                var value = T.ReadData(data);
                return value is OrderShipped s ? $"OrderShipped {{ OrderId = {s.OrderId}, Parcels = {s.Parcels} }}" : value!.ToString()!;
            }

            /// <summary>Reads data as the named event; returns null when accepted or the refusal's message.</summary>
            public static string? Refusal(string eventType, string data)
            {
                var bytes = Encoding.UTF8.GetBytes(data);
                try
                {
                    _ = eventType switch
                    {
                        "order.created" => (object)OrderCreatedRead(bytes),
                        "order.shipped" => Read<OrderShipped>(bytes),
                        _ => Read<StockLow>(bytes),
                    };
                    return null;
                }
                catch (WebHookPayloadException exception)
                {
                    return exception.Message;
                }
            }

            private static OrderCreated OrderCreatedRead(byte[] data) => Read2<OrderCreated>(data);

            private static T Read2<T>(byte[] data) where T : IWebHookEvent<T> => T.ReadData(data);

            public static string[] Metadata() =>
                [OrderCreated.EventType, OrderCreated.EventDescription ?? "<null>", OrderShipped.EventType, OrderShipped.EventDescription ?? "<null>", StockLow.EventType, StockLow.EventDescription ?? "<null>"];

            /// <summary>Registers through AddWebHooks() as an app would, then dispatches each envelope.</summary>
            public static async Task<string[]> Dispatch(params string[] bodies)
            {
                var services = new ServiceCollection();
                services.AddSingleton<Recorder>();
                services.AddWebHooks();
                await using var provider = services.BuildServiceProvider(validateScopes: true);
                var dispatcher = provider.GetServices<IWebHookDispatcher>().Single(d => d.GetType().Assembly == typeof(Probe).Assembly);
                var results = new List<string>();
                var id = 0;
                foreach (var body in bodies)
                {
                    var bytes = Encoding.UTF8.GetBytes(body);
                    if (!WebHookEnvelope.TryRead(bytes, out var envelope, out var error))
                    {
                        results.Add("bad envelope: " + error);
                        continue;
                    }
                    await using var scope = provider.CreateAsyncScope();
                    var context = new WebHookContext
                    {
                        MessageId = "msg_" + ++id,
                        EventType = envelope.Type,
                        Timestamp = envelope.Timestamp,
                        SentAt = envelope.Timestamp,
                    };
                    var result = await dispatcher.DispatchAsync(context, envelope.Data(bytes.AsMemory()), scope.ServiceProvider, CancellationToken.None);
                    results.Add(result.ToString());
                }
                results.AddRange(provider.GetRequiredService<Recorder>().Seen);
                results.Add("types:" + string.Join(",", dispatcher.EventTypes));
                results.Add("catalog:" + string.Join(",", provider.GetRequiredService<WebHookEventCatalog>().All.Select(d => d.Type)));
                return [.. results];
            }
        }
        """;
}
