using System;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports. Each message says how to fix the mistake.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Hooks.Generator";

    public static readonly DiagnosticDescriptor EventNotPartial = new(
        "HOOK001",
        "Webhook event type must be partial",
        "'{0}' must be declared partial so Hooks can implement IWebHookEvent for it: add the 'partial' modifier to '{1}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidEventTypeName = new(
        "HOOK002",
        "Invalid webhook event type name",
        "'{0}' is not a valid event type name for '{1}': use one or more segments of letters, digits and '_' joined by '.', such as \"order.created\"",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateEventTypeName = new(
        "HOOK003",
        "Webhook event type name used twice",
        "The event type name '{0}' is used by both '{1}' and '{2}': give each [WebHookEvent] type its own name",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedEventType = new(
        "HOOK004",
        "Unsupported webhook event type",
        "'{0}' cannot be a webhook event because it is {1}: use a non-generic, non-abstract class, record or struct that is not a ref struct and not nested in a generic type",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NoJsonSerializerContext = new(
        "HOOK005",
        "No JsonSerializerContext covers the webhook event",
        "No JsonSerializerContext in this project lists '{0}', so its payload cannot be read or written (Hooks never falls back to reflection): add [JsonSerializable(typeof({1}))] to a partial class deriving from JsonSerializerContext",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor HandlerForNonEvent = new(
        "HOOK006",
        "Handler for a type that is not a webhook event",
        "'{0}' handles '{1}', which is not a webhook event: mark '{1}' with [WebHookEvent(\"name\")] and make it partial",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InaccessibleType = new(
        "HOOK007",
        "Webhook type is not accessible to generated code",
        "'{0}' is {1}, so the generated registration and dispatcher cannot use it: make it (and any type containing it) internal or public",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor HandlerWithoutPublicConstructor = new(
        "HOOK008",
        "Webhook handler has no public constructor",
        "'{0}' has no public constructor, so dependency injection cannot create it: add a public constructor",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EventTypeHandledTwiceByDifferentTypes = new(
        "HOOK009",
        "Two handled event types share one event type name",
        "The handled events '{1}' and '{2}' both use the event type name '{0}', so a message of that type cannot be routed: rename one of the events",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor EventMemberConflict = new(
        "HOOK010",
        "Webhook event declares a member Hooks generates",
        "'{0}' declares '{1}', which Hooks generates for webhook events: rename or remove the member",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MapWebHooksHidden = new(
        "HOOK011",
        "MapWebHooks is not generated because another assembly's is visible",
        "'{0}' sees the MapWebHooks generated for '{1}' through InternalsVisibleTo, so its own is not generated (two would make the call ambiguous): map this assembly's handlers with endpoints.MapWebHookReceiver(\"/webhooks\", global::{2}.WebHookDispatcher.Instance)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SerializationOnlyJsonContext = new(
        "HOOK012",
        "JsonSerializerContext lists the webhook event for serialization only",
        "'{1}' lists '{0}' with GenerationMode = Serialization, which gives no metadata to read webhooks with: use JsonSourceGenerationMode.Default or Metadata for this type",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        "HOOK001" => EventNotPartial,
        "HOOK002" => InvalidEventTypeName,
        "HOOK003" => DuplicateEventTypeName,
        "HOOK004" => UnsupportedEventType,
        "HOOK005" => NoJsonSerializerContext,
        "HOOK006" => HandlerForNonEvent,
        "HOOK007" => InaccessibleType,
        "HOOK008" => HandlerWithoutPublicConstructor,
        "HOOK009" => EventTypeHandledTwiceByDifferentTypes,
        "HOOK010" => EventMemberConflict,
        "HOOK011" => MapWebHooksHidden,
        "HOOK012" => SerializationOnlyJsonContext,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };
}
