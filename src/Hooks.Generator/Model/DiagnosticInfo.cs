using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Hooks.Generator.Model;

/// <summary>
/// Where a diagnostic points, as plain data that survives edits elsewhere: a type by its metadata name (resolved to its
/// identifier when reported, so a line shift leaves the model equal), or a span in a file for the few diagnostics that
/// point inside a declaration. Reporting maps it back to a location in the compilation's own syntax trees, which is
/// what lets <c>#pragma</c>, <c>.editorconfig</c> sections and <c>[SuppressMessage]</c> apply.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, string? TypeMetadataName)
{
    /// <summary>A span of a syntax tree, such as an attribute argument.</summary>
    public static LocationInfo? From(Location? location) =>
        location is { IsInSource: true, SourceTree: { } tree } ? new LocationInfo(tree.FilePath, location.SourceSpan, null) : null;

    /// <summary>The identifier of <paramref name="type"/>, in the file of <paramref name="declaration"/> when given.</summary>
    public static LocationInfo Of(INamedTypeSymbol type, SyntaxNode? declaration = null) =>
        new(declaration?.SyntaxTree.FilePath ?? type.Locations.FirstOrDefault(l => l.IsInSource)?.SourceTree?.FilePath ?? "",
            default, MetadataName(type));

    public Location ToLocation(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == FilePath);
        if (TypeMetadataName is null)
        {
            return tree is not null && Span.End <= tree.Length ? Location.Create(tree, Span) : Location.None;
        }
        var type = compilation.Assembly.GetTypeByMetadataName(TypeMetadataName);
        if (type is null)
        {
            return Location.None;
        }
        return type.Locations.FirstOrDefault(l => l.SourceTree is not null && l.SourceTree == tree)
            ?? type.Locations.FirstOrDefault(l => l.IsInSource && compilation.ContainsSyntaxTree(l.SourceTree!))
            ?? Location.None;
    }

    private static string MetadataName(INamedTypeSymbol type)
    {
        if (type.ContainingType is { } containing)
        {
            return MetadataName(containing) + "+" + type.MetadataName;
        }
        return type.ContainingNamespace is { IsGlobalNamespace: false } ns
            ? ns.ToDisplayString() + "." + type.MetadataName
            : type.MetadataName;
    }
}

/// <summary>A diagnostic to report, as plain data: the descriptor's id, a location and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments, EquatableArray<LocationInfo> AdditionalLocations = default)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic(Compilation compilation) =>
        Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id),
            Location?.ToLocation(compilation) ?? Microsoft.CodeAnalysis.Location.None,
            AdditionalLocations.Select(l => l.ToLocation(compilation)).Where(l => l != Microsoft.CodeAnalysis.Location.None),
            Arguments.Select(a => (object?)a).ToArray());

    /// <summary>The message as the descriptor formats it, for text generated code throws.</summary>
    public string Message() =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture,
            Diagnostics.DiagnosticDescriptors.ById(Id).MessageFormat.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Arguments.Select(a => (object?)a).ToArray());
}
