using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.Tests.Infrastructure;

// Hand-written IWebHookEvent implementations: the runtime's tests do not depend on the generator.

public sealed record OrderCreated(string OrderId, decimal Total) : IWebHookEvent<OrderCreated>
{
    public static string EventType => "order.created";
    public static string? EventDescription => "An order was placed.";
    public static void WriteData(Utf8JsonWriter writer, OrderCreated value) => JsonSerializer.Serialize(writer, value, TestJson.Default.OrderCreated);
    public static OrderCreated ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJson.Default.OrderCreated);
}

public sealed record InvoicePaid(string InvoiceId) : IWebHookEvent<InvoicePaid>
{
    public static string EventType => "invoice.paid";
    public static string? EventDescription => null;
    public static void WriteData(Utf8JsonWriter writer, InvoicePaid value) => JsonSerializer.Serialize(writer, value, TestJson.Default.InvoicePaid);
    public static InvoicePaid ReadData(ReadOnlySpan<byte> utf8Data) => StrictJson.Read(utf8Data, TestJson.Default.InvoicePaid);
}

[JsonSourceGenerationOptions(RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(OrderCreated))]
[JsonSerializable(typeof(InvoicePaid))]
internal sealed partial class TestJson : JsonSerializerContext;

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
