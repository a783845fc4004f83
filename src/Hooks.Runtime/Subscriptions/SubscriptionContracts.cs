using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Hooks.Subscriptions;

// The management API's JSON shapes. Internal: the wire format is the contract, not these types.

internal sealed class SubscriptionRequest
{
    public string? Url { get; set; }
    public List<string>? EventTypes { get; set; }
    public string? Description { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    public string? Secret { get; set; }
    public string? Verification { get; set; }
}

internal sealed class SubscriptionResponse
{
    public required string Id { get; init; }

    /// <summary>The tenant the subscription belongs to; read-only (set from the caller's tenant at creation).</summary>
    public required string Tenant { get; init; }
    public required string Url { get; init; }
    public required IReadOnlyList<string> EventTypes { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    public required string Status { get; init; }
    public string? StatusReason { get; init; }
    public required string Verification { get; init; }

    /// <summary>A new URL waiting for intent verification; deliveries go to <see cref="Url"/> meanwhile.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PendingUrl { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>Only in the answers to create and rotate: the secret is shown once.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }
}

internal sealed class SubscriptionListResponse
{
    public required IReadOnlyList<SubscriptionResponse> Data { get; init; }
    public string? Next { get; init; }
}

internal sealed class DisableRequest
{
    public string? Reason { get; set; }
}

internal sealed class RotateSecretRequest
{
    public string? Secret { get; set; }
}

internal sealed class RecoverRequest
{
    public DateTimeOffset? Since { get; set; }
}

/// <summary>The answer to recover and redeliver.</summary>
internal sealed class RecoverResponse
{
    public int Deliveries { get; init; }

    /// <summary>Says when nothing is sent yet (the subscription is not enabled).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Detail { get; init; }
}

internal sealed class MessageResponse
{
    public required string MessageId { get; init; }
    public int Deliveries { get; init; }
}

internal sealed class DeliveryResponse
{
    public long Id { get; init; }
    public required string MessageId { get; init; }
    public required string EventType { get; init; }
    public required string Status { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset? NextAttemptAt { get; init; }
    public DateTimeOffset? LastAttemptAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

internal sealed class DeliveryListResponse
{
    public required IReadOnlyList<DeliveryResponse> Data { get; init; }
    public long? Next { get; init; }
}

internal sealed class AttemptResponse
{
    public int Number { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public double DurationMs { get; init; }
    public required string Outcome { get; init; }
    public int? StatusCode { get; init; }
    public string? ResponseBody { get; init; }
    public string? Error { get; init; }
    public string? Location { get; init; }
}

internal sealed class AttemptListResponse
{
    public required IReadOnlyList<AttemptResponse> Data { get; init; }
}

internal sealed class EventTypeResponse
{
    public required string Type { get; init; }
    public string? Description { get; init; }

    /// <summary>The JSON Schema of the body a subscriber receives for this event type.</summary>
    public required JsonObject Schema { get; init; }
}

internal sealed class EventTypeListResponse
{
    public required IReadOnlyList<EventTypeResponse> Data { get; init; }
}

// Duplicate members are refused as the receiver refuses them: which of two values counts is not left to the parser.
// The encoder (not settable here) is set where the context is made: see WebHookSubscriptionsEndpointRouteBuilderExtensions.Json.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, MaxDepth = 16, AllowDuplicateProperties = false)]
[JsonSerializable(typeof(SubscriptionRequest))]
[JsonSerializable(typeof(SubscriptionResponse))]
[JsonSerializable(typeof(SubscriptionListResponse))]
[JsonSerializable(typeof(DisableRequest))]
[JsonSerializable(typeof(RotateSecretRequest))]
[JsonSerializable(typeof(RecoverRequest))]
[JsonSerializable(typeof(RecoverResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(DeliveryListResponse))]
[JsonSerializable(typeof(AttemptListResponse))]
internal sealed partial class SubscriptionJsonContext : JsonSerializerContext;

// Answers only (nothing is read with it), so schemas of deeply nested events are not cut at the request depth limit.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(EventTypeListResponse))]
internal sealed partial class EventCatalogJsonContext : JsonSerializerContext;
