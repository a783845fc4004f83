using System;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. Each message says how to fix the mistake; each links to its section of
/// docs/diagnostics.md, which shows an example and its fix.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Hooks.Generator";

    private const string HelpBase = "https://github.com/hooks-dotnet/hooks/blob/main/docs/diagnostics.md#";

    /// <summary>The longest event type name; Svix allows 256 too.</summary>
    public const int MaxEventTypeNameLength = 256;

    public static readonly DiagnosticDescriptor EventNotPartial = new(
        "HOOK001",
        "Webhook event type must be partial",
        "'{0}' must be declared partial so Hooks can implement IWebHookEvent for it: add the 'partial' modifier to '{1}'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook001");

    public static readonly DiagnosticDescriptor InvalidEventTypeName = new(
        "HOOK002",
        "Invalid webhook event type name",
        "'{0}' is not a valid event type name for '{1}': use 1 to 256 characters, each a letter (a-z, A-Z), a digit, '-', '_' or '.', such as \"order.created\" or \"payment-intent.succeeded\"",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook002");

    public static readonly DiagnosticDescriptor DuplicateEventTypeName = new(
        "HOOK003",
        "Webhook event type name used twice",
        "The event type name '{0}' is used by both '{1}' and '{2}': give each [WebHookEvent] type its own name",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook003");

    public static readonly DiagnosticDescriptor UnsupportedEventType = new(
        "HOOK004",
        "Unsupported webhook event type",
        "'{0}' cannot be a webhook event because it is {1}: use a non-generic, non-abstract class, record or struct that is not a ref struct and not nested in a generic type",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook004");

    public static readonly DiagnosticDescriptor NoJsonSerializerContext = new(
        "HOOK005",
        "No usable JsonSerializerContext covers the webhook event",
        "{0}, so the payload of '{1}' cannot be read or written (Hooks never falls back to reflection): {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook005");

    public static readonly DiagnosticDescriptor HandlerForNonEvent = new(
        "HOOK006",
        "Handler for a type that is not a webhook event",
        "'{0}' handles '{1}', which implements IWebHookEvent itself instead of being generated, so it has no event type name to route by: mark '{1}' with [WebHookEvent(\"name\")], make it partial and remove its own IWebHookEvent members",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook006");

    public static readonly DiagnosticDescriptor InaccessibleType = new(
        "HOOK007",
        "Webhook type is not accessible to generated code",
        "'{0}' is {1}, so the generated registration and dispatcher cannot use it: make it (and any type containing it) internal or public",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook007");

    public static readonly DiagnosticDescriptor HandlerWithoutPublicConstructor = new(
        "HOOK008",
        "Webhook handler has no public constructor",
        "'{0}' has no public constructor, so dependency injection cannot create it: add a public constructor",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook008");

    public static readonly DiagnosticDescriptor EventTypeHandledTwiceByDifferentTypes = new(
        "HOOK009",
        "Two handled event types share one event type name",
        "The handled events '{1}' and '{2}' both use the event type name '{0}', so a message of that type cannot be routed: rename one of the events",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook009");

    public static readonly DiagnosticDescriptor EventMemberConflict = new(
        "HOOK010",
        "Webhook event declares a member Hooks generates",
        "'{0}' declares '{1}', which Hooks generates for webhook events: rename or remove the member",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook010");

    public static readonly DiagnosticDescriptor MapWebHooksHidden = new(
        "HOOK011",
        "MapWebHooks is not generated because another assembly's is visible",
        "'{0}' sees the MapWebHooks generated for '{1}' through InternalsVisibleTo, so its own is not generated (two would make the call ambiguous): map this assembly's handlers with global::Hooks.Infrastructure.WebHookReceiverEndpointRouteBuilderExtensions.MapWebHookReceiver(endpoints, \"/webhooks\", global::{2}.WebHookDispatcher.Instance)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook011");

    public static readonly DiagnosticDescriptor SerializationOnlyJsonContext = new(
        "HOOK012",
        "JsonSerializerContext lists the webhook event for serialization only",
        "'{1}' lists '{0}' with GenerationMode = Serialization, which gives no metadata to read webhooks with: use JsonSourceGenerationMode.Default or Metadata for this type",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook012");

    public static readonly DiagnosticDescriptor JsonPropertyNameShared = new(
        "HOOK013",
        "Two types of one JsonSerializerContext share a property name",
        "'{0}' lists '{1}' and '{2}', which both get the property '{3}' (System.Text.Json generates one, SYSLIB1031), so the payload of '{1}' cannot be read or written: add TypeInfoPropertyName = \"...\" to one of the two [JsonSerializable] attributes",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook013");

    public static readonly DiagnosticDescriptor GenericHandler = new(
        "HOOK014",
        "Generic webhook handler is not registered",
        "'{0}' is generic (or nested in a generic type), so Hooks cannot know which events to register it for and ignores it: derive a non-generic handler that closes it, such as 'sealed class {1}Orders : {1}<OrderCreated>', or make it abstract if it is a base class",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook014");

    public static readonly DiagnosticDescriptor NoJsonNamingPolicy = new(
        "HOOK015",
        "JsonSerializerContext for webhook events has no naming policy",
        "'{0}' lists webhook events but sets no PropertyNamingPolicy, so their data uses .NET member names (\"OrderId\"), while most senders use camelCase (\"orderId\") or snake_case (\"order_id\"): add [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)] for camelCase or [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)], or PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified to keep member names on purpose",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook015");

    public static readonly DiagnosticDescriptor GeneratorFailure = new(
        "HOOK999",
        "The Hooks generator failed",
        "The Hooks generator failed while {0} and skipped that part of its output ({1}): please report this with the code that triggers it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpBase + "hook999");

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
        "HOOK013" => JsonPropertyNameShared,
        "HOOK014" => GenericHandler,
        "HOOK015" => NoJsonNamingPolicy,
        "HOOK999" => GeneratorFailure,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Unknown diagnostic id."),
    };

    public static readonly DiagnosticDescriptor[] All =
    [
        EventNotPartial, InvalidEventTypeName, DuplicateEventTypeName, UnsupportedEventType, NoJsonSerializerContext,
        HandlerForNonEvent, InaccessibleType, HandlerWithoutPublicConstructor, EventTypeHandledTwiceByDifferentTypes,
        EventMemberConflict, MapWebHooksHidden, SerializationOnlyJsonContext, JsonPropertyNameShared, GenericHandler,
        NoJsonNamingPolicy, GeneratorFailure,
    ];
}
