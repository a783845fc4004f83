namespace Hooks.Generator.Model;

/// <summary>An event a handler handles: the event's type with <c>global::</c>, its event type name, and the handler
/// (by type, for diagnostics found when routing).</summary>
internal sealed record HandledEvent(string EventFullyQualifiedName, string EventType, LocationInfo Handler);

/// <summary>A concrete <c>IWebHookHandler&lt;T&gt;</c> implementation to register and route to.</summary>
internal sealed record HandlerSpec(string FullyQualifiedName, EquatableArray<HandledEvent> Events);

/// <summary>What the handler parser found for one class: a spec when it can be registered, and diagnostics.</summary>
internal sealed record HandlerParseResult(HandlerSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);
