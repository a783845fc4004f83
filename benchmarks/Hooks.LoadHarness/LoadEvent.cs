using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.LoadHarness;

/// <summary>A small event like a typical webhook (an order with a few fields). Hand-written, not generated.</summary>
public sealed record LoadEvent(string OrderId, string Customer, decimal Total, int Items) : IWebHookEvent<LoadEvent>
{
    public static string EventType => "order.created";
    public static string? EventDescription => "Load test event.";
    public static void WriteData(Utf8JsonWriter writer, LoadEvent value) => JsonSerializer.Serialize(writer, value, LoadJsonContext.Default.LoadEvent);
    public static LoadEvent ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, LoadJsonContext.Default.LoadEvent)!;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LoadEvent))]
internal sealed partial class LoadJsonContext : JsonSerializerContext;
