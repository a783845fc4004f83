namespace Hooks.Generator.Model;

/// <summary>
/// One <c>[WebHookEvent]</c> type as the emitter needs it. It holds no span: a line shift elsewhere in its file leaves
/// it equal, so nothing is emitted again.
/// </summary>
/// <param name="Namespace">The containing namespace, empty for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first, such as <c>partial class Outer</c>.</param>
/// <param name="Keyword">The declaration keyword: <c>class</c>, <c>struct</c>, <c>record</c> or <c>record struct</c>.</param>
/// <param name="Name">The type's simple name.</param>
/// <param name="FullyQualifiedName">The type with <c>global::</c>, as emitted code refers to it.</param>
/// <param name="IsValueType">Whether the type is a struct (its JSON <c>null</c> check differs).</param>
/// <param name="EventType">The event type name, such as <c>order.created</c>.</param>
/// <param name="DescriptionLiteral">The description as a C# literal (<c>null</c> when none).</param>
/// <param name="HintName">The generated file's name before case-insensitive collisions are resolved.</param>
/// <param name="DeclaredAt">The type, for diagnostics found later (duplicates, JSON); resolved when reported.</param>
/// <param name="GeneratedNamespace">The assembly's namespace for generated helpers (<c>Hooks.Generated.{Assembly}</c>).</param>
/// <param name="HidesInheritedMembers">A base type has <c>EventType</c>/<c>EventDescription</c> (it is an event
/// too), so the generated members are declared <c>new</c>.</param>
internal sealed record EventSpec(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string Keyword,
    string Name,
    string FullyQualifiedName,
    bool IsValueType,
    string EventType,
    string DescriptionLiteral,
    string HintName,
    LocationInfo DeclaredAt,
    string GeneratedNamespace,
    bool HidesInheritedMembers);

/// <summary>What the event parser found for one attributed type: a spec when it can be emitted, and diagnostics.</summary>
internal sealed record EventParseResult(EventSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics, string FullyQualifiedName);

/// <summary>An attributed type of the compilation and whether its code is generated (false after an error).</summary>
internal sealed record EventRef(string FullyQualifiedName, bool IsValid);

/// <summary>An event with the JSON metadata found for it; <paramref name="JsonContext"/> is null when no context can be used.</summary>
/// <param name="Event">The event.</param>
/// <param name="HintName">The generated file's name, unique even on case-insensitive file systems.</param>
/// <param name="JsonContext">The <c>JsonSerializerContext</c> with <c>global::</c>, or null.</param>
/// <param name="JsonProperty">The context property that returns the event's <c>JsonTypeInfo</c>.</param>
/// <param name="JsonDiagnostic">Why no context can be used (HOOK005, HOOK012, HOOK013), or null.</param>
internal sealed record EventEmitSpec(EventSpec Event, string HintName, string? JsonContext, string? JsonProperty, DiagnosticInfo? JsonDiagnostic);
