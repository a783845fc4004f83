using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.Abstractions.Tests;

public sealed partial class WebHookEnvelopeTests
{
    public sealed record Shipped(string ParcelId, int Items) : IWebHookEvent<Shipped>
    {
        public static string EventType => "parcel.shipped";
        public static string? EventDescription => null;
        public static void WriteData(Utf8JsonWriter writer, Shipped value) => JsonSerializer.Serialize(writer, value, Json.Default.Shipped);
        public static Shipped ReadData(ReadOnlySpan<byte> utf8Data) => JsonSerializer.Deserialize(utf8Data, Json.Default.Shipped)!;
    }

    [JsonSerializable(typeof(Shipped))]
    private sealed partial class Json : JsonSerializerContext;

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void Write_produces_type_timestamp_and_data_in_utc()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var at = new DateTimeOffset(2026, 11, 27, 12, 30, 0, TimeSpan.FromHours(2));

        WebHookEnvelope.Write(buffer, new Shipped("p-1", 3), at);

        Assert.Equal("{\"type\":\"parcel.shipped\",\"timestamp\":\"2026-11-27T10:30:00+00:00\",\"data\":{\"ParcelId\":\"p-1\",\"Items\":3}}",
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Read_round_trips_what_Write_wrote()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var at = new DateTimeOffset(2026, 11, 27, 10, 30, 0, 123, TimeSpan.Zero);
        WebHookEnvelope.Write(buffer, new Shipped("p-\"2\"", 7), at);

        Assert.True(WebHookEnvelope.TryRead(buffer.WrittenSpan, out var envelope, out var error), error);

        Assert.Equal("parcel.shipped", envelope.Type);
        Assert.Equal(at, envelope.Timestamp);
        Assert.Equal(new Shipped("p-\"2\"", 7), Shipped.ReadData(envelope.Data(buffer.WrittenSpan)));
    }

    [Fact]
    public void Read_ignores_unknown_members_and_any_order()
    {
        var body = Bytes("{\"extra\":{\"a\":[1,2]},\"data\":[1, 2],\"timestamp\":\"2026-01-01T00:00:00Z\",\"type\":\"a.b\"}");

        Assert.True(WebHookEnvelope.TryRead(body, out var envelope, out _));

        Assert.Equal("[1, 2]", Encoding.UTF8.GetString(envelope.Data(body)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{", "well-formed")]
    [InlineData("{\"type\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1}{}", "well-formed")]
    [InlineData("{\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1}", "no 'type'")]
    [InlineData("{\"type\":\"\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1}", "'type' is empty")]
    [InlineData("{\"type\":5,\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1}", "'type' is not a string")]
    [InlineData("{\"type\":\"a\",\"data\":1}", "no 'timestamp'")]
    [InlineData("{\"type\":\"a\",\"timestamp\":\"yesterday\",\"data\":1}", "ISO 8601")]
    [InlineData("{\"type\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\"}", "no 'data'")]
    [InlineData("{\"type\":\"a\",\"type\":\"b\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1}", "'type' twice")]
    [InlineData("{\"type\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":1,\"data\":2}", "'data' twice")]
    public void Read_refuses_with_a_reason(string json, string reason)
    {
        Assert.False(WebHookEnvelope.TryRead(Bytes(json), out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_refuses_excessive_nesting()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var body = Bytes($"{{\"type\":\"a\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{deep}}}");

        Assert.False(WebHookEnvelope.TryRead(body, out _, out _));
    }

    [Fact]
    public void Read_error_never_echoes_payload()
    {
        var body = Bytes("{\"type\":\"a\",\"timestamp\":\"secret-value\",\"data\":1}");

        Assert.False(WebHookEnvelope.TryRead(body, out _, out var error));
        Assert.DoesNotContain("secret-value", error, StringComparison.Ordinal);
    }
}
