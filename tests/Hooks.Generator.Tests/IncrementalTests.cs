using System.Collections;
using System.Reflection;
using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Hooks.Generator.Tests;

/// <summary>The pipeline caches: an unrelated edit re-runs no step's output, and no model holds compiler objects.</summary>
public sealed class IncrementalTests
{
    private static readonly IncrementalStepRunReason[] CachedReasons = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    [Fact]
    public void Unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.CreateCompilation("Caching", Scenarios.Shop, Scenarios.ShopProbe);
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation);
        AssertEveryStepRan(driver);

        var edited = EditProbe(compilation, "\n// an unrelated edit\npublic static class Unrelated { public static int Answer => 42; }\n");
        driver = driver.RunGenerators(edited);

        var steps = Steps(driver);
        foreach (var name in TrackingNames.All)
        {
            foreach (var step in steps[name])
            {
                foreach (var (_, reason) in step.Outputs)
                {
                    Assert.True(CachedReasons.Contains(reason), $"Step '{name}' output was {reason} after an unrelated edit.");
                }
            }
        }
    }

    [Theory]
    [InlineData("Source1.cs")]
    [InlineData("Source2.cs")]
    public void Blank_line_at_the_top_of_a_file_re_emits_nothing(string file)
    {
        // Models hold no spans: a line shift moves every declaration in the file and must change no model.
        var compilation = GeneratorHarness.CreateCompilation("Caching", Scenarios.Shop, Scenarios.ShopProbe);
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == file);
        var edited = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From("\n" + tree.GetText().ToString())));

        driver = driver.RunGenerators(edited);

        foreach (var (name, steps) in Steps(driver))
        {
            foreach (var (_, reason) in steps.SelectMany(s => s.Outputs))
            {
                Assert.True(CachedReasons.Contains(reason), $"Step '{name}' output was {reason} after a blank line was added to {file}.");
            }
        }
    }

    [Fact]
    public void Editing_an_event_re_emits_that_event_only()
    {
        var compilation = GeneratorHarness.CreateCompilation("Caching", Scenarios.Shop, Scenarios.ShopProbe);
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation);
        var shop = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        var edited = compilation.ReplaceSyntaxTree(shop, shop.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(
            // Same length: an edit that moves text also moves the locations the other events in the file carry.
            Scenarios.Shop.Replace("An order was placed.", "An order was PLACED.", StringComparison.Ordinal))));

        driver = driver.RunGenerators(edited);

        var emitted = Steps(driver)[TrackingNames.EventsWithJson].SelectMany(s => s.Outputs).ToList();
        var modified = Assert.Single(emitted, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("was PLACED", modified.Value.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, emitted.Count(o => CachedReasons.Contains(o.Reason)));
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_locations_or_compilations()
    {
        var compilation = GeneratorHarness.CreateCompilation("Models", Scenarios.Shop, Scenarios.ShopProbe, """
            using Hooks;
            [WebHookEvent("bad name")]
            public record NotPartial(string Id);
            """);
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation);
        AssertEveryStepRan(driver);
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var (name, steps) in Steps(driver))
        {
            foreach (var output in steps.SelectMany(s => s.Outputs))
            {
                Walk(output.Value, name, visited);
            }
        }
        Assert.Contains(visited, v => v.GetType().Name == "DiagnosticInfo");
    }

    private static void Walk(object? value, string path, HashSet<object> visited)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Location or Compilation or SemanticModel,
            $"{path} holds a {value.GetType().FullName}.");
        if (!value.GetType().IsValueType && !visited.Add(value))
        {
            return;
        }
        if (value is IEnumerable sequence)
        {
            var i = 0;
            foreach (var item in sequence)
            {
                Walk(item, $"{path}[{i++}]", visited);
            }
        }
        for (var type = value.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                Walk(field.GetValue(value), $"{path}.{field.Name}", visited);
            }
        }
    }

    internal static CSharpCompilation EditProbe(CSharpCompilation compilation, string appended)
    {
        var probe = compilation.SyntaxTrees.Single(t => t.FilePath == "Source2.cs");
        return compilation.ReplaceSyntaxTree(probe, probe.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From(probe.GetText().ToString() + appended)));
    }

    internal static IReadOnlyDictionary<string, IReadOnlyList<IncrementalGeneratorRunStep>> Steps(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single(r => r.Generator.GetGeneratorType() == typeof(WebHookGenerator))
            .TrackedSteps
            .Where(s => TrackingNames.All.Contains(s.Key))
            .ToDictionary(s => s.Key, s => (IReadOnlyList<IncrementalGeneratorRunStep>)s.Value);

    internal static void AssertEveryStepRan(GeneratorDriver driver)
    {
        var steps = Steps(driver);
        foreach (var name in TrackingNames.All)
        {
            Assert.True(steps.ContainsKey(name), $"Step '{name}' did not run.");
            Assert.NotEmpty(steps[name].SelectMany(s => s.Outputs));
        }
    }
}
