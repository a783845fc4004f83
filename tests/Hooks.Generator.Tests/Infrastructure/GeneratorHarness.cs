using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.InteropServices;
using Hooks.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Hooks.Generator.Tests.Infrastructure;

/// <summary>Builds compilations against the real framework and Hooks assemblies and runs the generators on them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);
    private static readonly Lazy<ISourceGenerator> JsonGenerator = new(LoadJsonGenerator);

    /// <summary>What ImplicitUsings gives a console or web project.</summary>
    public const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    public static CSharpCompilation CreateCompilation(string assemblyName, params string[] sources) =>
        CSharpCompilation.Create(
            assemblyName,
            sources.Prepend(GlobalUsings).Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: i == 0 ? "GlobalUsings.cs" : $"Source{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>A driver running the Hooks generator and, when asked, System.Text.Json's, with step tracking on.</summary>
    public static GeneratorDriver CreateDriver(bool withJsonGenerator)
    {
        var generators = withJsonGenerator
            ? new[] { new WebHookGenerator().AsSourceGenerator(), JsonGenerator.Value }
            : [new WebHookGenerator().AsSourceGenerator()];
        return CSharpGeneratorDriver.Create(generators, parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    public static GeneratorRun Run(CSharpCompilation compilation, bool withJsonGenerator = true)
    {
        var driver = CreateDriver(withJsonGenerator).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new GeneratorRun(driver, (CSharpCompilation)output, generatorDiagnostics);
    }

    public static Assembly Load(CSharpCompilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join(Environment.NewLine, emit.Diagnostics));
        stream.Position = 0;
        // Collectible, so the test process does not keep every compiled scenario; Hooks' own assemblies resolve from
        // the default context, so generated types implement the same interfaces the test sees.
        var context = new System.Runtime.Loader.AssemblyLoadContext(compilation.AssemblyName, isCollectible: true);
        return context.LoadFromStream(stream);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var tpa = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator);
        var frameworkDirs = new[]
        {
            Path.GetDirectoryName(typeof(object).Assembly.Location)!,
            Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Builder.WebApplication).Assembly.Location)!,
        };
        foreach (var path in tpa)
        {
            if (frameworkDirs.Contains(Path.GetDirectoryName(path)))
            {
                paths.Add(path);
            }
        }
        paths.Add(typeof(WebHookEventAttribute).Assembly.Location);
        paths.Add(typeof(WebHookRegistry).Assembly.Location);
        return [.. paths.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>System.Text.Json's generator from the SDK's targeting pack, so contexts get their real members.</summary>
    private static ISourceGenerator LoadJsonGenerator()
    {
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        var version = Path.GetFileName(runtimeDir);
        var candidates = Directory.GetDirectories(packs).OrderByDescending(d => Path.GetFileName(d) == version).ThenByDescending(d => d, StringComparer.Ordinal);
        var path = candidates
            .Select(d => Path.Combine(d, "analyzers", "dotnet", "cs", "System.Text.Json.SourceGeneration.dll"))
            .First(File.Exists);
        var reference = new AnalyzerFileReference(path, new DefaultLoader());
        return reference.GetGenerators(LanguageNames.CSharp).Single();
    }

    private sealed class DefaultLoader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath) { }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}

/// <summary>The outcome of one generator run.</summary>
internal sealed record GeneratorRun(GeneratorDriver Driver, CSharpCompilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public GeneratorRunResult HooksResult =>
        Driver.GetRunResult().Results.Single(r => r.Generator.GetGeneratorType() == typeof(WebHookGenerator));

    /// <summary>Diagnostics of the generators and of the compiled output, errors and warnings only.</summary>
    public IReadOnlyList<Diagnostic> Problems =>
        [.. GeneratorDiagnostics.Concat(Output.GetDiagnostics()).Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    public IReadOnlyList<Diagnostic> HooksDiagnostics => [.. HooksResult.Diagnostics];
}
