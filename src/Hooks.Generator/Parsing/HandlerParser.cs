using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Hooks.Generator.Diagnostics;
using Hooks.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hooks.Generator.Parsing;

/// <summary>
/// Finds concrete <c>IWebHookHandler&lt;T&gt;</c> implementations. The syntax check is cheap (a class or record class
/// with a base list); the semantic check looks at every implemented interface, so handlers deriving from an abstract
/// base handler are found too. The event may come from a referenced assembly: only its attribute is read.
/// </summary>
internal static class HandlerParser
{
    public static bool IsCandidate(SyntaxNode node, CancellationToken _) => node switch
    {
        ClassDeclarationSyntax { BaseList: not null } => true,
        RecordDeclarationSyntax { BaseList: not null } record => !record.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword),
        _ => false,
    };

    public static HandlerParseResult? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        var syntax = (TypeDeclarationSyntax)context.Node;
        if (context.SemanticModel.GetDeclaredSymbol(syntax, cancellationToken) is not INamedTypeSymbol symbol
            || symbol.IsAbstract || symbol.IsStatic)
        {
            return null;
        }

        // A partial handler is parsed once, from its first declaration that has a base list.
        var first = symbol.DeclaringSyntaxReferences
            .Select(r => r.GetSyntax(cancellationToken))
            .OfType<TypeDeclarationSyntax>()
            .FirstOrDefault(d => d.BaseList is not null);
        if (first is not null && first != syntax)
        {
            return null;
        }

        var location = LocationInfo.Of(symbol, syntax);
        var display = symbol.ToDisplayString();
        var diagnostics = new List<DiagnosticInfo>();
        if (symbol.IsGenericType || IsNestedInGeneric(symbol))
        {
            // A concrete open handler cannot be registered (which T?); tell the user rather than ignore it.
            return symbol.AllInterfaces.Any(SymbolFacts.IsWebHookHandler)
                ? new HandlerParseResult(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.GenericHandler, location, display, symbol.Name) }.ToEquatableArray())
                : null;
        }
        var events = new List<HandledEvent>();
        foreach (var iface in symbol.AllInterfaces)
        {
            if (!SymbolFacts.IsWebHookHandler(iface) || iface.TypeArguments[0] is not INamedTypeSymbol eventType)
            {
                continue;
            }
            var name = SymbolFacts.WebHookEventTypeName(eventType, out var hasAttribute);
            if (!hasAttribute && eventType.TypeKind != TypeKind.Error && ImplementsEventInterface(eventType))
            {
                // A type that does not implement IWebHookEvent<T> already gets CS0311 from the compiler.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandlerForNonEvent, location, display, eventType.ToDisplayString()));
            }
            else if (SymbolFacts.IsValidEventTypeName(name))
            {
                // An invalid name is reported on the event itself.
                events.Add(new HandledEvent(SymbolFacts.FullyQualifiedName(eventType), name!, location));
            }
        }
        if (events.Count == 0 && diagnostics.Count == 0)
        {
            return null;
        }

        var inaccessible = SymbolFacts.Inaccessibility(symbol);
        if (inaccessible is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InaccessibleType, location, display, inaccessible));
        }
        if (!symbol.InstanceConstructors.Any(c => c.DeclaredAccessibility == Accessibility.Public))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.HandlerWithoutPublicConstructor, location, display));
        }

        var spec = diagnostics.Count == 0
            ? new HandlerSpec(SymbolFacts.FullyQualifiedName(symbol), events.ToEquatableArray())
            : null;
        return new HandlerParseResult(spec, diagnostics.ToEquatableArray());
    }

    private static bool ImplementsEventInterface(INamedTypeSymbol type) =>
        type.AllInterfaces.Any(i => i.Arity == 1 && SymbolFacts.IsInNamespace(i.OriginalDefinition, "IWebHookEvent", "Hooks")
            && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], type));

    private static bool IsNestedInGeneric(INamedTypeSymbol symbol)
    {
        for (var t = symbol.ContainingType; t is not null; t = t.ContainingType)
        {
            if (t.IsGenericType)
            {
                return true;
            }
        }
        return false;
    }
}
