using System.Collections.Generic;
using System.Threading;
using Hooks.Generator.Diagnostics;
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

    public static JsonContextParseResult? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol symbol || !DerivesFromJsonSerializerContext(symbol))
        {
            return null;
        }
        var unusable = symbol.IsGenericType ? "generic" : SymbolFacts.Inaccessibility(symbol);

        // JsonSourceGenerationMode: Default = 0, Metadata = 1, Serialization = 2 (fast-path writing only).
        const int SerializationMode = 2;
        // JsonSerializerDefaults.Web = 1 (camelCase).
        const int WebDefaults = 1;
        var contextMode = 0;
        var namesChosen = false;
        foreach (var options in symbol.GetAttributes())
        {
            if (options.AttributeClass is { Name: "JsonSourceGenerationOptionsAttribute" })
            {
                if (options.ConstructorArguments.Length == 1 && options.ConstructorArguments[0].Value is WebDefaults)
                {
                    namesChosen = true;
                }
                foreach (var named in options.NamedArguments)
                {
                    if (named.Key == "GenerationMode" && named.Value.Value is int mode)
                    {
                        contextMode = mode;
                    }
                    else if (named.Key == "PropertyNamingPolicy")
                    {
                        // Any value, Unspecified included: the user chose the names.
                        namesChosen = true;
                    }
                }
            }
        }
        var listsEvents = false;

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
            _ = SymbolFacts.WebHookEventTypeName(type, out var isEvent);
            listsEvents |= isEvent;
            entries.Add(new JsonSerializableEntry(SymbolFacts.FullyQualifiedName(type), propertyName, entryMode == SerializationMode));
        }

        // STJ generates one property per name (SYSLIB1031): a second type of the same name gets none of its own.
        for (var i = 0; i < entries.Count; i++)
        {
            foreach (var other in entries)
            {
                if (other.PropertyName == entries[i].PropertyName && other.TypeFullyQualifiedName != entries[i].TypeFullyQualifiedName)
                {
                    entries[i] = entries[i] with { SharesPropertyWith = other.TypeFullyQualifiedName };
                    break;
                }
            }
        }

        var diagnostics = listsEvents && !namesChosen && unusable is null
            ? new[] { DiagnosticInfo.Create(DiagnosticDescriptors.NoJsonNamingPolicy, LocationInfo.Of(symbol, context.TargetNode), symbol.ToDisplayString()) }.ToEquatableArray()
            : EquatableArray<DiagnosticInfo>.Empty;
        return new JsonContextParseResult(
            new JsonContextSpec(SymbolFacts.FullyQualifiedName(symbol), entries.ToEquatableArray(), unusable),
            diagnostics);
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
