using System.Linq;
using System.Text;
using Hooks.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hooks.Generator.Parsing;

/// <summary>Reads what the compilation references; runs on every edit, so it stays cheap and its output small.</summary>
internal static class CompilationInfoParser
{
    public const string MapWebHooksClass = "Microsoft.AspNetCore.Builder.WebHooksEndpointRouteBuilderExtensions";

    public static CompilationInfo Parse(Compilation compilation)
    {
        var assemblyName = compilation.AssemblyName ?? "";
        string? visibleFrom = null;
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            // Only assemblies that opened their internals to this one can expose their generated (internal) MapWebHooks.
            if (assembly.GivesAccessTo(compilation.Assembly) && assembly.GetTypeByMetadataName(MapWebHooksClass) is not null)
            {
                visibleFrom = assembly.Name;
                break;
            }
        }
        return new CompilationInfo(
            assemblyName,
            compilation.GetTypeByMetadataName("Hooks.Infrastructure.WebHookRegistry") is not null,
            compilation.GetTypeByMetadataName("Hooks.Infrastructure.WebHookReceiverEndpointRouteBuilderExtensions") is not null
                && compilation.GetTypeByMetadataName("Microsoft.AspNetCore.Routing.IEndpointRouteBuilder") is not null,
            GeneratedNamespace(assemblyName),
            visibleFrom);
    }

    /// <summary><c>Hooks.Generated.</c> followed by the assembly name made into valid identifiers.</summary>
    public static string GeneratedNamespace(string assemblyName)
    {
        var segments = assemblyName.Split('.').Where(s => s.Length > 0).Select(Identifier).ToList();
        return segments.Count == 0 ? "Hooks.Generated" : "Hooks.Generated." + string.Join(".", segments);
    }

    private static string Identifier(string segment)
    {
        var builder = new StringBuilder(segment.Length + 1);
        foreach (var c in segment)
        {
            builder.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (char.IsDigit(builder[0]))
        {
            builder.Insert(0, '_');
        }
        var identifier = builder.ToString();
        return SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;
    }
}
