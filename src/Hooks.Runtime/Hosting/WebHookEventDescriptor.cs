using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;

namespace Hooks.Hosting;

/// <summary>An event type a producer offers: its name, description and JSON Schema, as listed to subscribers.</summary>
/// <param name="Type">The event type name, such as <c>order.created</c>.</param>
/// <param name="Description">The description from <see cref="WebHookEventAttribute.Description"/>.</param>
public sealed record WebHookEventDescriptor(string Type, string? Description)
{
    private JsonObject? _envelopeSchema;

    /// <summary>
    /// The System.Text.Json metadata of the event's <c>data</c>, or <c>null</c> when the event type does not give it;
    /// the schemas are made from it.
    /// </summary>
    public JsonTypeInfo? DataTypeInfo { get; init; }

    /// <summary>The descriptor of <typeparamref name="TEvent"/>, read from its generated static members.</summary>
    public static WebHookEventDescriptor Of<TEvent>() where TEvent : IWebHookEvent<TEvent> =>
        new(TEvent.EventType, TEvent.EventDescription) { DataTypeInfo = TEvent.DataTypeInfo };

    /// <summary>
    /// The JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of the whole body a subscriber receives:
    /// <c>{"type": "…", "timestamp": "…", "data": {…}}</c>, with <c>data</c> described from <see cref="DataTypeInfo"/>
    /// (any JSON value when that is unknown). Made once; each call returns a copy the caller may change.
    /// </summary>
    public JsonObject GetEnvelopeSchema() => (JsonObject)EnvelopeSchema.DeepClone();

    /// <summary>The schema made once, for writers that only read it.</summary>
    internal JsonObject EnvelopeSchema => _envelopeSchema ??= BuildEnvelopeSchema();

    private JsonObject BuildEnvelopeSchema()
    {
        var data = DataTypeInfo is { } info
            ? JsonSchemaExporter.GetJsonSchemaAsNode(info, SchemaOptions)
            : new JsonObject();
        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["type"] = new JsonObject { ["type"] = "string", ["const"] = Type },
                ["timestamp"] = new JsonObject
                {
                    ["type"] = "string",
                    ["format"] = "date-time",
                    ["description"] = "When the event happened (ISO 8601, UTC).",
                },
                ["data"] = data,
            },
            ["required"] = new JsonArray("type", "timestamp", "data"),
        };
        if (Description is not null)
        {
            schema["description"] = Description;
        }
        return schema;
    }

    /// <summary>Equal when the name, description and metadata are (the schema made from them is not compared).</summary>
    /// <param name="other">The other descriptor.</param>
    public bool Equals(WebHookEventDescriptor? other) =>
        other is not null && Type == other.Type && Description == other.Description && ReferenceEquals(DataTypeInfo, other.DataTypeInfo);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, Description, DataTypeInfo);

    private static readonly JsonSchemaExporterOptions SchemaOptions = new() { TreatNullObliviousAsNonNullable = true };
}
