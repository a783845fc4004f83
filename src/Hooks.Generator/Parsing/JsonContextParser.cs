using System.Collections.Generic;
using System.Threading;
using Hooks.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hooks.Generator.Parsing;

/// <summary>
/// Reads the <c>[JsonSerializable]</c> attributes of the compilation's <c>JsonSerializerContext</c> subclasses.
/// System.Text.Json's own generator writes their members and ours cannot see them, so the property names are derived
/// the way it derives them: <c>TypeInfoPropertyName</c> when set, otherwise the type's simple name.
/// </summary>
internal static class JsonContextParser
{
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) => node is ClassDeclarationSyntax;

    public static JsonContextSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol symbol || !DerivesFromJsonSerializerContext(symbol)
            || symbol.IsGenericType || SymbolFacts.Inaccessibility(symbol) is not null)
        {
            return null;
        }

        // JsonSourceGenerationMode: Default = 0, Metadata = 1, Serialization = 2 (fast-path writing only).
        const int SerializationMode = 2;
        var contextMode = 0;
        foreach (var options in symbol.GetAttributes())
        {
            if (options.AttributeClass is { Name: "JsonSourceGenerationOptionsAttribute" })
            {
                foreach (var named in options.NamedArguments)
                {
                    if (named.Key == "GenerationMode" && named.Value.Value is int mode)
                    {
                        contextMode = mode;
                    }
                }
            }
        }

        var entries = new List<JsonSerializableEntry>();
        foreach (var attribute in context.Attributes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol type || type.IsGenericType)
            {
                continue;
            }
            var propertyName = type.Name;
            var entryMode = contextMode;
            foreach (var named in attribute.NamedArguments)
            {
                if (named.Key == "TypeInfoPropertyName" && named.Value.Value is string name && name.Length > 0)
                {
                    propertyName = name;
                }
                else if (named.Key == "GenerationMode" && named.Value.Value is int mode && mode != 0)
                {
                    entryMode = mode;
                }
            }
            entries.Add(new JsonSerializableEntry(SymbolFacts.FullyQualifiedName(type), propertyName, entryMode == SerializationMode));
        }
        return new JsonContextSpec(SymbolFacts.FullyQualifiedName(symbol), entries.ToEquatableArray());
    }

    private static bool DerivesFromJsonSerializerContext(INamedTypeSymbol symbol)
    {
        for (var t = symbol.BaseType; t is not null; t = t.BaseType)
        {
            if (t is { Name: "JsonSerializerContext", ContainingNamespace: { Name: "Serialization", ContainingNamespace: { Name: "Json", ContainingNamespace: { Name: "Text", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } } })
            {
                return true;
            }
        }
        return false;
    }
}
