namespace Hooks.Generator.Model;

/// <summary>A type listed by <c>[JsonSerializable(typeof(T))]</c> and the context property STJ generates for it.</summary>
/// <param name="TypeFullyQualifiedName">The listed type with <c>global::</c>.</param>
/// <param name="PropertyName">The context property returning its <c>JsonTypeInfo</c>.</param>
/// <param name="SerializationOnly">Generated with <c>GenerationMode = Serialization</c>: no metadata to read with.</param>
/// <param name="SharesPropertyWith">Another listed type whose property has the same name (STJ's SYSLIB1031: one
/// property for both), with <c>global::</c>; null when the name is the entry's own.</param>
internal sealed record JsonSerializableEntry(string TypeFullyQualifiedName, string PropertyName, bool SerializationOnly,
    string? SharesPropertyWith = null);

/// <summary>A <c>JsonSerializerContext</c> subclass of the compilation and the types it lists.</summary>
/// <param name="FullyQualifiedName">The context with <c>global::</c>.</param>
/// <param name="Types">The listed types.</param>
/// <param name="Unusable">Why generated code cannot use the context (such as <c>private</c>), or null.</param>
internal sealed record JsonContextSpec(string FullyQualifiedName, EquatableArray<JsonSerializableEntry> Types, string? Unusable = null);

/// <summary>What the context parser found: the context and the diagnostics about it (HOOK015).</summary>
internal sealed record JsonContextParseResult(JsonContextSpec Spec, EquatableArray<DiagnosticInfo> Diagnostics);
