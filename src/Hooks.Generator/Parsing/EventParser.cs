using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Hooks.Generator.Diagnostics;
using Hooks.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hooks.Generator.Parsing;

/// <summary>Turns a <c>[WebHookEvent]</c> type into an <see cref="EventSpec"/> or the diagnostics that explain why not.</summary>
internal static class EventParser
{
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) =>
        node is ClassDeclarationSyntax or StructDeclarationSyntax or RecordDeclarationSyntax;

    public static EventParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var location = LocationInfo.Of(symbol, syntax);
        var display = symbol.ToDisplayString();
        var diagnostics = new List<DiagnosticInfo>();
        cancellationToken.ThrowIfCancellationRequested();

        var unsupported = UnsupportedReason(symbol);
        if (unsupported is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedEventType, location, display, unsupported));
            return new EventParseResult(null, diagnostics.ToEquatableArray(), SymbolFacts.FullyQualifiedName(symbol));
        }

        var attribute = context.Attributes[0];
        var eventType = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
        if (!SymbolFacts.IsValidEventTypeName(eventType))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidEventTypeName,
                LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()) ?? location,
                eventType ?? "null", display));
        }

        for (INamedTypeSymbol? t = symbol; t is not null; t = t.ContainingType)
        {
            var declarations = t.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>();
            if (!declarations.Any(d => d.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EventNotPartial, location, display, t.ToDisplayString()));
            }
        }

        var inaccessible = SymbolFacts.Inaccessibility(symbol);
        if (inaccessible is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InaccessibleType, location, display, inaccessible));
        }

        foreach (var member in new[] { "EventType", "EventDescription" })
        {
            if (!symbol.GetMembers(member).IsEmpty)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EventMemberConflict, location, display, member));
            }
        }

        if (diagnostics.Count > 0)
        {
            return new EventParseResult(null, diagnostics.ToEquatableArray(), SymbolFacts.FullyQualifiedName(symbol));
        }

        var description = attribute.NamedArguments.FirstOrDefault(a => a.Key == "Description").Value.Value as string;
        var ns = symbol.ContainingNamespace.IsGlobalNamespace ? "" : symbol.ContainingNamespace.ToDisplayString();
        var containing = new List<string>();
        for (var t = symbol.ContainingType; t is not null; t = t.ContainingType)
        {
            containing.Insert(0, $"partial {Keyword(t)} {t.Name}");
        }
        var nestedName = string.Join(".", containing.Select(c => c.Substring(c.LastIndexOf(' ') + 1)).Concat([symbol.Name]));
        var hintName = (ns.Length == 0 ? nestedName : ns + "." + nestedName) + ".WebHookEvent.g.cs";

        var spec = new EventSpec(
            ns,
            containing.ToEquatableArray(),
            Keyword(symbol),
            symbol.Name,
            SymbolFacts.FullyQualifiedName(symbol),
            symbol.IsValueType,
            eventType!,
            description is null ? "null" : SymbolDisplay.FormatLiteral(description, quote: true),
            hintName,
            location,
            CompilationInfoParser.GeneratedNamespace(context.SemanticModel.Compilation.AssemblyName ?? ""),
            HidesInheritedMembers(symbol));
        return new EventParseResult(spec, EquatableArray<DiagnosticInfo>.Empty, spec.FullyQualifiedName);
    }

    /// <summary>Whether a base type declares a member the generated code declares (an event deriving from an event).</summary>
    private static bool HidesInheritedMembers(INamedTypeSymbol symbol)
    {
        for (var t = symbol.BaseType; t is not null; t = t.BaseType)
        {
            // A base event gets its members from generated code this compilation does not show yet: its attribute says so.
            _ = SymbolFacts.WebHookEventTypeName(t, out var isEvent);
            if (isEvent || !t.GetMembers("EventType").IsEmpty || !t.GetMembers("EventDescription").IsEmpty)
            {
                return true;
            }
        }
        return false;
    }

    private static string? UnsupportedReason(INamedTypeSymbol symbol)
    {
        if (symbol.IsStatic)
        {
            return "static";
        }
        if (symbol.IsAbstract)
        {
            return "abstract";
        }
        for (var t = symbol.ContainingType; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType)
            {
                return $"nested in the generic type '{t.ToDisplayString()}'";
            }
        }
        if (symbol.IsGenericType)
        {
            return "generic";
        }
        if (symbol.IsRefLikeType)
        {
            return "a ref struct";
        }
        if (symbol.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return $"a {symbol.TypeKind.ToString().ToLowerInvariant()}";
        }
        return null;
    }

    private static string Keyword(INamedTypeSymbol type) => (type.IsRecord, type.IsValueType) switch
    {
        (true, true) => "record struct",
        (true, false) => "record",
        (false, true) => "struct",
        _ => type.TypeKind == TypeKind.Interface ? "interface" : "class",
    };
}
