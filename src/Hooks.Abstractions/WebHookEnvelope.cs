using System.Buffers;
using System.Text.Json;

namespace Hooks;

/// <summary>
/// The Standard Webhooks body: <c>{"type":"order.created","timestamp":"&lt;ISO 8601&gt;","data":{…}}</c>.
/// Writing goes straight to an <see cref="IBufferWriter{T}"/>; reading finds the three members without
/// materializing <c>data</c>, so the caller deserializes it once, strictly, as the routed event type.
/// </summary>
public readonly struct WebHookEnvelope
{
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText DataName = JsonEncodedText.Encode("data");

    private WebHookEnvelope(string type, DateTimeOffset timestamp, int dataStart, int dataLength)
    {
        Type = type;
        Timestamp = timestamp;
        DataStart = dataStart;
        DataLength = dataLength;
    }

    /// <summary>The event type name from <c>type</c>.</summary>
    public string Type { get; }

    /// <summary>When the event happened, from <c>timestamp</c>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Offset of the <c>data</c> value's first byte in the body that was parsed.</summary>
    public int DataStart { get; }

    /// <summary>Length in bytes of the <c>data</c> value in the body that was parsed.</summary>
    public int DataLength { get; }

    /// <summary>The <c>data</c> value's bytes within <paramref name="body"/>, the body this envelope was read from.</summary>
    public ReadOnlySpan<byte> Data(ReadOnlySpan<byte> body) => body.Slice(DataStart, DataLength);

    /// <summary>The <c>data</c> value's bytes within <paramref name="body"/>, the body this envelope was read from.</summary>
    public ReadOnlyMemory<byte> Data(ReadOnlyMemory<byte> body) => body.Slice(DataStart, DataLength);

    /// <summary>Writes the envelope of <paramref name="event"/> as UTF-8 JSON.</summary>
    /// <typeparam name="TEvent">A webhook event type.</typeparam>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="event">The event.</param>
    /// <param name="timestamp">When the event happened; written in UTC, ISO 8601.</param>
    public static void Write<TEvent>(IBufferWriter<byte> destination, TEvent @event, DateTimeOffset timestamp)
        where TEvent : IWebHookEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { SkipValidation = false });
        Write(writer, @event, timestamp);
    }

    /// <summary>Writes the envelope of <paramref name="event"/> to <paramref name="writer"/>.</summary>
    /// <typeparam name="TEvent">A webhook event type.</typeparam>
    /// <param name="writer">The JSON writer.</param>
    /// <param name="event">The event.</param>
    /// <param name="timestamp">When the event happened; written in UTC, ISO 8601.</param>
    public static void Write<TEvent>(Utf8JsonWriter writer, TEvent @event, DateTimeOffset timestamp)
        where TEvent : IWebHookEvent<TEvent>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(@event);
        writer.WriteStartObject();
        writer.WriteString(TypeName, TEvent.EventType);
        writer.WriteString(TimestampName, timestamp.ToUniversalTime());
        writer.WritePropertyName(DataName);
        TEvent.WriteData(writer, @event);
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// Reads an envelope: a JSON object with a non-empty string <c>type</c>, an ISO 8601 <c>timestamp</c> and a
    /// <c>data</c> value, each exactly once. Other members are ignored.
    /// </summary>
    /// <param name="body">The UTF-8 request body.</param>
    /// <param name="envelope">The envelope, when the body is one.</param>
    /// <param name="error">Why the body is not an envelope, when it is not; never contains payload values.</param>
    /// <returns><c>true</c> when the body is a well-formed envelope.</returns>
    public static bool TryRead(ReadOnlySpan<byte> body, out WebHookEnvelope envelope, out string? error)
    {
        envelope = default;
        if (body.IsEmpty)
        {
            error = "The body is empty.";
            return false;
        }
        string? type = null;
        DateTimeOffset? timestamp = null;
        int dataStart = -1, dataLength = 0;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "The body is not a JSON object.";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    if (type is not null) { error = "The envelope has 'type' twice."; return false; }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String) { error = "The envelope's 'type' is not a string."; return false; }
                    type = reader.GetString();
                    if (string.IsNullOrEmpty(type)) { error = "The envelope's 'type' is empty."; return false; }
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    if (timestamp is not null) { error = "The envelope has 'timestamp' twice."; return false; }
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !reader.TryGetDateTimeOffset(out var ts))
                    {
                        error = "The envelope's 'timestamp' is not an ISO 8601 date and time.";
                        return false;
                    }
                    timestamp = ts;
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    if (dataStart >= 0) { error = "The envelope has 'data' twice."; return false; }
                    reader.Read();
                    dataStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    dataLength = (int)reader.BytesConsumed - dataStart;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "The body is not a single JSON object.";
                return false;
            }
        }
        catch (JsonException)
        {
            error = "The body is not well-formed JSON.";
            return false;
        }

        if (type is null) { error = "The envelope has no 'type'."; return false; }
        if (timestamp is null) { error = "The envelope has no 'timestamp'."; return false; }
        if (dataStart < 0) { error = "The envelope has no 'data'."; return false; }
        envelope = new WebHookEnvelope(type, timestamp.Value, dataStart, dataLength);
        error = null;
        return true;
    }
}
