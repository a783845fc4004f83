namespace Hooks.Generator.Model;

/// <summary>A type listed by <c>[JsonSerializable(typeof(T))]</c> and the context property STJ generates for it.</summary>
internal sealed record JsonSerializableEntry(string TypeFullyQualifiedName, string PropertyName);

/// <summary>A <c>JsonSerializerContext</c> subclass of the compilation and the types it lists.</summary>
internal sealed record JsonContextSpec(string FullyQualifiedName, EquatableArray<JsonSerializableEntry> Types);
