namespace Hooks.Generator.Model;

/// <summary>A type listed by <c>[JsonSerializable(typeof(T))]</c> and the context property STJ generates for it.</summary>
/// <param name="TypeFullyQualifiedName">The listed type with <c>global::</c>.</param>
/// <param name="PropertyName">The context property returning its <c>JsonTypeInfo</c>.</param>
/// <param name="SerializationOnly">Generated with <c>GenerationMode = Serialization</c>: no metadata to read with.</param>
internal sealed record JsonSerializableEntry(string TypeFullyQualifiedName, string PropertyName, bool SerializationOnly);

/// <summary>A <c>JsonSerializerContext</c> subclass of the compilation and the types it lists.</summary>
internal sealed record JsonContextSpec(string FullyQualifiedName, EquatableArray<JsonSerializableEntry> Types);
