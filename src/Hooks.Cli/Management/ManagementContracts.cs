using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hooks.Cli.Management;

// The management API's JSON as the tool reads and writes it. The runtime's own types are internal (the wire format is
// the contract), so these mirror them: requests send only the members given (PATCH semantics), answers ignore members
// a newer producer adds.

internal sealed class SubscriptionRequest
{
    public string? Url { get; set; }
    public List<string>? EventTypes { get; set; }
    public string? Description { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    public string? Secret { get; set; }
    public string? Verification { get; set; }
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

internal sealed class SubscriptionResponse
{
    public string Id { get; set; } = "";
    public string Url { get; set; } = "";
    public List<string> EventTypes { get; set; } = [];
    public string? Description { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = [];
    public string Status { get; set; } = "";
    public string? StatusReason { get; set; }
    public string? Verification { get; set; }
    public string? PendingUrl { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? FailingSince { get; set; }
    public string? Secret { get; set; }
}

internal sealed class SubscriptionListResponse
{
    public List<SubscriptionResponse> Data { get; set; } = [];
    public string? Next { get; set; }
}

internal sealed class RecoverResponse
{
    public int Deliveries { get; set; }
    public string? Detail { get; set; }
}

internal sealed class MessageResponse
{
    public string MessageId { get; set; } = "";
    public int Deliveries { get; set; }
}

internal sealed class DeliveryResponse
{
    public long Id { get; set; }
    public string MessageId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string Status { get; set; } = "";
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class DeliveryListResponse
{
    public List<DeliveryResponse> Data { get; set; } = [];
    public long? Next { get; set; }
}

internal sealed class AttemptResponse
{
    public int Number { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public double DurationMs { get; set; }
    public string Outcome { get; set; } = "";
    public int? StatusCode { get; set; }
    public string? ResponseBody { get; set; }
    public string? Error { get; set; }
    public string? Location { get; set; }
}

internal sealed class AttemptListResponse
{
    public List<AttemptResponse> Data { get; set; } = [];
}

internal sealed class EventTypeResponse
{
    public string Type { get; set; } = "";
    public string? Description { get; set; }
}

internal sealed class EventTypeListResponse
{
    public List<EventTypeResponse> Data { get; set; } = [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubscriptionRequest))]
[JsonSerializable(typeof(DisableRequest))]
[JsonSerializable(typeof(RotateSecretRequest))]
[JsonSerializable(typeof(RecoverRequest))]
[JsonSerializable(typeof(SubscriptionResponse))]
[JsonSerializable(typeof(SubscriptionListResponse))]
[JsonSerializable(typeof(RecoverResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(DeliveryListResponse))]
[JsonSerializable(typeof(AttemptListResponse))]
[JsonSerializable(typeof(EventTypeListResponse))]
internal sealed partial class ManagementJsonContext : JsonSerializerContext;
