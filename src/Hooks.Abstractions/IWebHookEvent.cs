using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Hooks;

/// <summary>
/// A webhook event type. Do not implement this by hand: annotate the type with <see cref="WebHookEventAttribute"/>
/// and the Hooks source generator implements it without reflection.
/// </summary>
/// <typeparam name="TSelf">The event type itself.</typeparam>
public interface IWebHookEvent<TSelf> where TSelf : IWebHookEvent<TSelf>
{
    /// <summary>The event type name carried in the envelope's <c>type</c> field, such as <c>order.created</c>.</summary>
    static abstract string EventType { get; }

    /// <summary>The description given in <see cref="WebHookEventAttribute.Description"/>, if any.</summary>
    static abstract string? EventDescription { get; }

    /// <summary>Writes <paramref name="value"/> as the envelope's <c>data</c> JSON value.</summary>
    /// <param name="writer">The writer positioned where the <c>data</c> value goes.</param>
    /// <param name="value">The event to write.</param>
    static abstract void WriteData(Utf8JsonWriter writer, TSelf value);

    /// <summary>
    /// Reads the envelope's <c>data</c> JSON value strictly: missing required members, <c>null</c> where the type
    /// forbids it and values of the wrong JSON kind are refused with <see cref="WebHookPayloadException"/>.
    /// </summary>
    /// <param name="utf8Data">The UTF-8 JSON of the <c>data</c> value alone.</param>
    static abstract TSelf ReadData(ReadOnlySpan<byte> utf8Data);

    /// <summary>
    /// The System.Text.Json metadata of the envelope's <c>data</c>, from which the event catalog describes the
    /// event's JSON Schema (for example in an OpenAPI document); <c>null</c> when the type does not say. The Hooks
    /// source generator returns the metadata of the <c>JsonSerializerContext</c> that lists the type.
    /// </summary>
    static virtual JsonTypeInfo<TSelf>? DataTypeInfo => null;
}
