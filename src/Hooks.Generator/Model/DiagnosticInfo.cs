using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Hooks.Generator.Model;

/// <summary>Where a diagnostic points, as plain data (a <see cref="Location"/> would pin the syntax tree).</summary>
internal sealed record LocationInfo(string FilePath, TextSpan TextSpan, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is null || !location.IsInSource
            ? null
            : new LocationInfo(location.SourceTree!.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(ISymbol symbol) => From(symbol.Locations.FirstOrDefault(l => l.IsInSource));

    public Location ToLocation() => Location.Create(FilePath, TextSpan, LineSpan);
}

/// <summary>A diagnostic to report, as plain data: the descriptor's id, a location and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] arguments) =>
        new(descriptor.Id, location, arguments.ToEquatableArray());

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(Diagnostics.DiagnosticDescriptors.ById(Id), Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None,
            Arguments.Select(a => (object?)a).ToArray());
}
