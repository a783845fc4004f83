using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.Tests.Infrastructure;

// Hand-written IWebHookEvent implementations: these tests do not depend on the generator.

public sealed record OrderCreated(string OrderId, decimal Total) : IWebHookEvent<OrderCreated>
{
    public static string EventType => "order.created";
    public static string? EventDescription => "An order was placed.";
    public static void WriteData(Utf8JsonWriter writer, OrderCreated value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.OrderCreated);
    public static OrderCreated ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, TestJsonContext.Default.OrderCreated)!;
}

public sealed record OrderCancelled(string OrderId) : IWebHookEvent<OrderCancelled>
{
    public static string EventType => "order.cancelled";
    public static string? EventDescription => "An order was cancelled.";
    public static void WriteData(Utf8JsonWriter writer, OrderCancelled value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.OrderCancelled);
    public static OrderCancelled ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, TestJsonContext.Default.OrderCancelled)!;
}

public sealed record CustomerCreated(string CustomerId) : IWebHookEvent<CustomerCreated>
{
    public static string EventType => "customer.created";
    public static string? EventDescription => null;
    public static void WriteData(Utf8JsonWriter writer, CustomerCreated value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.CustomerCreated);
    public static CustomerCreated ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, TestJsonContext.Default.CustomerCreated)!;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderCreated))]
[JsonSerializable(typeof(OrderCancelled))]
[JsonSerializable(typeof(CustomerCreated))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
