using System.Collections.Immutable;
using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hooks.Generator.Tests;

/// <summary>
/// HOOK diagnostics point into the compilation's own syntax trees, so users scope them as they do any warning:
/// <c>#pragma</c>, <c>.editorconfig</c> sections and <c>[SuppressMessage]</c>. Every descriptor links to its docs.
/// </summary>
public sealed class SuppressionTests
{
    private const string Context = """
        using System.Text.Json.Serialization;
        using Hooks;
        namespace App;
        [WebHookEvent("order.created")]
        public partial record OrderCreated(string OrderId);
        {{BEFORE}}
        [JsonSerializable(typeof(OrderCreated))]
        internal partial class AppJson : JsonSerializerContext;
        {{AFTER}}
        """;

    private static string Source(string before, string after) =>
        Context.Replace("{{BEFORE}}", before, StringComparison.Ordinal).Replace("{{AFTER}}", after, StringComparison.Ordinal);

    private static IReadOnlyList<Diagnostic> Hook015(CSharpCompilation compilation) =>
        [.. GeneratorHarness.Run(compilation).GeneratorDiagnostics.Where(d => d.Id == "HOOK015")];

    [Fact]
    public void HOOK015_is_reported_in_the_source_tree_of_the_context()
    {
        var compilation = GeneratorHarness.CreateCompilation("Unsuppressed", Source("", ""));
        var d = Assert.Single(Hook015(compilation));
        Assert.False(d.IsSuppressed);
        Assert.Same(compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs"), d.Location.SourceTree);
        Assert.Equal("AppJson", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
    }

    [Fact]
    public void Pragma_warning_disable_suppresses_a_HOOK_warning()
    {
        var compilation = GeneratorHarness.CreateCompilation("Pragma", Source("#pragma warning disable HOOK015", "#pragma warning restore HOOK015"));
        var d = Assert.Single(Hook015(compilation));
        Assert.True(d.IsSuppressed);
    }

    [Fact]
    public void SuppressMessage_attribute_suppresses_a_HOOK_warning()
    {
        var compilation = GeneratorHarness.CreateCompilation("SuppressMessage",
            Source("[System.Diagnostics.CodeAnalysis.SuppressMessage(\"Hooks.Generator\", \"HOOK015\", Justification = \"PascalCase on purpose\")]", ""));
        var d = Assert.Single(Hook015(compilation));
        Assert.True(d.IsSuppressed);
    }

    [Fact]
    public void Editorconfig_section_re_scopes_a_HOOK_diagnostic_to_its_files()
    {
        // Two contexts in two files; an .editorconfig section turns HOOK015 off for one file only.
        var editorconfig = AnalyzerConfig.Parse("""
            root = true
            [Legacy/*.cs]
            dotnet_diagnostic.HOOK015.severity = none
            [Strict/*.cs]
            dotnet_diagnostic.HOOK015.severity = error
            """, "/src/.editorconfig");
        var configs = AnalyzerConfigSet.Create(ImmutableArray.Create(editorconfig));
        var legacy = CSharpSyntaxTree.ParseText(Source("", "").Replace("namespace App;", "namespace Legacy;", StringComparison.Ordinal),
            GeneratorHarness.ParseOptions, "/src/Legacy/Events.cs");
        var strict = CSharpSyntaxTree.ParseText(Source("", "").Replace("namespace App;", "namespace Strict;", StringComparison.Ordinal)
                .Replace("order.created", "order.placed", StringComparison.Ordinal),
            GeneratorHarness.ParseOptions, "/src/Strict/Events.cs");
        var compilation = GeneratorHarness.CreateCompilation("Editorconfig").AddSyntaxTrees(legacy, strict);
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new EditorconfigOptions(configs)));

        var diagnostics = Hook015(compilation);

        var d = Assert.Single(diagnostics);
        Assert.Equal("/src/Strict/Events.cs", d.Location.SourceTree!.FilePath);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Fact]
    public void Every_descriptor_links_to_its_section_of_the_diagnostics_page()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        foreach (var descriptor in Diagnostics.DiagnosticDescriptors.All)
        {
            var anchor = descriptor.Id.ToLowerInvariant();
            Assert.Equal("https://github.com/hooks-dotnet/hooks/blob/main/docs/diagnostics.md#" + anchor, descriptor.HelpLinkUri);
            // The heading is the id alone, so GitHub gives it the anchor the link uses.
            Assert.Contains("## " + descriptor.Id, page.Split('\n').Select(l => l.TrimEnd()));
            var release = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Hooks.Generator", "AnalyzerReleases.Unshipped.md"));
            Assert.Contains(descriptor.Id + " |", release, StringComparison.Ordinal);
        }
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    /// <summary>What the compiler builds from .editorconfig files: per-tree severities.</summary>
    private sealed class EditorconfigOptions(AnalyzerConfigSet configs) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            configs.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return false;
        }
    }
}
