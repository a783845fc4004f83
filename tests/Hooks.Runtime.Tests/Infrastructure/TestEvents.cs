using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Hooks.Tests.Infrastructure;

// Hand-written IWebHookEvent implementations: the runtime's tests do not depend on the generator.

public sealed record OrderCreated(string OrderId, decimal Total) : IWebHookEvent<OrderCreated>
{
    public static string EventType => "order.created";
    public static string? EventDescription => "An order was placed.";
    public static void WriteData(Utf8JsonWriter writer, OrderCreated value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.OrderCreated);
    public static OrderCreated ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJsonContext.Default.OrderCreated);
    public static JsonTypeInfo<OrderCreated>? DataTypeInfo => TestJsonContext.Default.OrderCreated;
}

public sealed record InvoicePaid(string InvoiceId) : IWebHookEvent<InvoicePaid>
{
    public static string EventType => "invoice.paid";
    public static string? EventDescription => null;
    public static void WriteData(Utf8JsonWriter writer, InvoicePaid value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.InvoicePaid);
    public static InvoicePaid ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJsonContext.Default.InvoicePaid);
    public static JsonTypeInfo<InvoicePaid>? DataTypeInfo => TestJsonContext.Default.InvoicePaid;
}

public sealed record OrderCancelled(string OrderId) : IWebHookEvent<OrderCancelled>
{
    public static string EventType => "order.cancelled";
    public static string? EventDescription => "An order was cancelled.";
    public static void WriteData(Utf8JsonWriter writer, OrderCancelled value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.OrderCancelled);
    public static OrderCancelled ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJsonContext.Default.OrderCancelled);
    public static JsonTypeInfo<OrderCancelled>? DataTypeInfo => TestJsonContext.Default.OrderCancelled;
}

public sealed record CustomerCreated(string CustomerId) : IWebHookEvent<CustomerCreated>
{
    public static string EventType => "customer.created";
    public static string? EventDescription => null;
    public static void WriteData(Utf8JsonWriter writer, CustomerCreated value) => JsonSerializer.Serialize(writer, value, TestJsonContext.Default.CustomerCreated);
    public static CustomerCreated ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJsonContext.Default.CustomerCreated);
    public static JsonTypeInfo<CustomerCreated>? DataTypeInfo => TestJsonContext.Default.CustomerCreated;
}

// camelCase out, case-insensitive in, and strict like generated readers: numbers are never read from strings.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(OrderCreated))]
[JsonSerializable(typeof(InvoicePaid))]
[JsonSerializable(typeof(OrderCancelled))]
[JsonSerializable(typeof(CustomerCreated))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

internal static class StrictJson
{
    public static T Read<T>(ReadOnlySpan<byte> utf8, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, info) ?? throw new WebHookPayloadException($"The data of a {typeof(T).Name} must not be null.");
        }
        catch (JsonException ex)
        {
            throw new WebHookPayloadException($"The data does not fit {typeof(T).Name}.", ex);
        }
    }
}
