using System.Text.Json.Serialization;
using Hooks;

namespace Hooks.Sample;

/// <summary>What the producer tells its subscribers; the generator writes the rest.</summary>
[WebHookEvent("order.created", Description = "An order was placed.")]
public partial record OrderCreated(string OrderId, decimal Total, string? Note = null);

[WebHookEvent("order.shipped", Description = "An order left the warehouse.")]
public partial record OrderShipped(string OrderId, string Carrier);

/// <summary>System.Text.Json metadata for the events; Hooks finds this context and uses it, never reflection.</summary>
[JsonSerializable(typeof(OrderCreated))]
[JsonSerializable(typeof(OrderShipped))]
[JsonSerializable(typeof(SubscriptionRequest))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SampleJson : JsonSerializerContext;
