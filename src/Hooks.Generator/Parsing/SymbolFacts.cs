using System.Linq;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Parsing;

/// <summary>Small questions about symbols shared by the parsers.</summary>
internal static class SymbolFacts
{
    public const string WebHookEventAttribute = "Hooks.WebHookEventAttribute";
    public const string JsonSerializableAttribute = "System.Text.Json.Serialization.JsonSerializableAttribute";

    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat;

    public static string FullyQualifiedName(ITypeSymbol type) => type.ToDisplayString(FullyQualified);

    public static bool IsInNamespace(INamedTypeSymbol type, string name, string ns) =>
        type.Name == name
        && type.ContainingType is null
        && type.ContainingNamespace is { Name: var n, ContainingNamespace.IsGlobalNamespace: true }
        && n == ns;

    public static bool IsWebHookEventAttribute(INamedTypeSymbol? attribute) =>
        attribute is not null && IsInNamespace(attribute, "WebHookEventAttribute", "Hooks");

    public static bool IsWebHookHandler(INamedTypeSymbol type) =>
        type.Arity == 1 && IsInNamespace(type.OriginalDefinition, "IWebHookHandler", "Hooks");

    /// <summary>Why generated code outside the type cannot name it, or null when it can.</summary>
    public static string? Inaccessibility(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            switch (t.DeclaredAccessibility)
            {
                case Accessibility.Private:
                    return ReferenceEquals(t, type) ? "private" : $"nested in private '{t.Name}'";
                case Accessibility.Protected:
                case Accessibility.ProtectedAndInternal:
                    return ReferenceEquals(t, type) ? "protected" : $"nested in protected '{t.Name}'";
            }
            if (t.IsFileLocal)
            {
                return "file-local";
            }
        }
        return null;
    }

    public static string? WebHookEventTypeName(INamedTypeSymbol type, out bool hasAttribute)
    {
        var attribute = type.GetAttributes().FirstOrDefault(a => IsWebHookEventAttribute(a.AttributeClass));
        hasAttribute = attribute is not null;
        return attribute is { ConstructorArguments.Length: 1 } ? attribute.ConstructorArguments[0].Value as string : null;
    }

    /// <summary>
    /// 1 to 256 characters of <c>[a-zA-Z0-9\-_.]</c>: what Svix accepts, so a consumer can declare any third-party
    /// producer's names (<c>payment-intent.succeeded</c>).
    /// </summary>
    public static bool IsValidEventTypeName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name!.Length > Diagnostics.DiagnosticDescriptors.MaxEventTypeNameLength)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }
        return true;
    }
}
