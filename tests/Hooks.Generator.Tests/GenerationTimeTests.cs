using System.Diagnostics;
using System.Text;
using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace Hooks.Generator.Tests;

/// <summary>
/// Measures generation for 500 event types and 500 handlers and prints the times (no timing assertion). Run:
/// <c>dotnet test tests/Hooks.Generator.Tests --filter GenerationTimeTests --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class GenerationTimeTests(ITestOutputHelper output)
{
    private const int Count = 500;

    [Fact]
    [Trait("Category", "Slow")]
    public void Generates_500_events_and_an_unrelated_edit_re_runs_no_step()
    {
        var events = new StringBuilder("using System.Text.Json.Serialization;\nusing Hooks;\nnamespace Big;\n");
        var handlers = new StringBuilder("using Hooks;\nnamespace Big;\n");
        var context = new StringBuilder();
        for (var i = 0; i < Count; i++)
        {
            events.AppendLine($"[WebHookEvent(\"big.event_{i}\", Description = \"Event {i}.\")] public partial record Event{i}(string Id, int Value, string? Note);");
            context.AppendLine($"[JsonSerializable(typeof(Event{i}))]");
            handlers.AppendLine($"public sealed class Handler{i} : IWebHookHandler<Event{i}> {{ public Task HandleAsync(Event{i} message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask; }}");
        }
        events.AppendLine("[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]")
            .Append(context).AppendLine("internal partial class BigJson : JsonSerializerContext;");
        var compilation = GeneratorHarness.CreateCompilation("Big", events.ToString(), handlers.ToString(), "public static class Unrelated { }");

        // Warm the JIT on a separate, identical run so the numbers are about the generator.
        GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation.Clone());

        var clock = Stopwatch.StartNew();
        var driver = GeneratorHarness.CreateDriver(withJsonGenerator: false).RunGenerators(compilation);
        var first = clock.Elapsed;
        var result = driver.GetRunResult().Results.Single();
        Assert.Empty(result.Diagnostics.Where(d => d.Id != "HOOK005"));
        Assert.Equal(Count + 2, result.GeneratedSources.Length); // the events, the assembly file, the strict JSON helper

        var unrelated = compilation.SyntaxTrees.Single(t => t.FilePath == "Source3.cs");
        var edited = compilation.ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(
            Microsoft.CodeAnalysis.Text.SourceText.From("public static class Unrelated { public static int Edited => 1; }")));
        clock.Restart();
        driver = driver.RunGenerators(edited);
        var second = clock.Elapsed;

        var reasons = IncrementalTests.Steps(driver)
            .SelectMany(s => s.Value.SelectMany(step => step.Outputs.Select(o => (s.Key, o.Reason))))
            .ToList();
        Assert.All(reasons, r => Assert.True(r.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"Step '{r.Key}' was {r.Reason} after an unrelated edit."));

        output.WriteLine($"Generation for {Count} events + {Count} handlers: first run {first.TotalMilliseconds:F0} ms; " +
            $"after an unrelated edit {second.TotalMilliseconds:F0} ms; step outputs after the edit: " +
            string.Join(", ", reasons.GroupBy(r => r.Reason).Select(g => $"{g.Key}={g.Count()}")));
    }
}
