using System.Runtime.CompilerServices;
using Hooks.Generator.Tests.Infrastructure;

namespace Hooks.Generator.Tests;

/// <summary>
/// Compares generated sources with the files under Baselines/{Test}/{Hint}.txt. To accept new output, run
/// <c>HOOKS_UPDATE_BASELINES=1 dotnet test tests/Hooks.Generator.Tests --filter BaselineTests</c> and review the diff.
/// </summary>
public sealed class BaselineTests
{
    [Fact]
    public void Shop() => AssertBaselines(Scenarios.Shop);

    [Fact]
    public void Nested_and_global_namespace_events_without_handlers() => AssertBaselines("""
        using System.Text.Json.Serialization;
        using Hooks;

        [WebHookEvent("ping")]
        public partial class Ping
        {
            public long Sequence { get; set; }
        }

        namespace Billing
        {
            public static partial class Invoices
            {
                [WebHookEvent("invoice.paid")]
                public partial struct Paid
                {
                    public required string InvoiceId { get; init; }
                }
            }

            [JsonSerializable(typeof(global::Ping))]
            [JsonSerializable(typeof(Invoices.Paid))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class BillingJson : JsonSerializerContext;
        }
        """);

    [Fact]
    public void Event_without_json_context() => AssertBaselines("""
        using Hooks;
        namespace Lone;
        [WebHookEvent("lone.event")]
        public partial record LoneEvent(string Id);
        """, expectedDiagnostics: "HOOK005");

    private static void AssertBaselines(string source, [CallerMemberName] string test = "", params string[] expectedDiagnostics)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(test, source));
        Assert.Equal(expectedDiagnostics, run.Problems.Select(d => d.Id));
        var generated = run.HooksResult.GeneratedSources.ToDictionary(s => s.HintName + ".txt", s => s.SourceText.ToString());
        var directory = Path.Combine(ProjectDirectory(), "Baselines", test);

        if (Environment.GetEnvironmentVariable("HOOKS_UPDATE_BASELINES") == "1")
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
            Directory.CreateDirectory(directory);
            foreach (var (name, text) in generated)
            {
                File.WriteAllText(Path.Combine(directory, name), text);
            }
        }

        Assert.True(Directory.Exists(directory), $"No baselines for {test}: run with HOOKS_UPDATE_BASELINES=1.");
        var baselines = Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(baselines, generated.Keys.Order(StringComparer.Ordinal).ToArray());
        foreach (var (name, text) in generated)
        {
            var expected = File.ReadAllText(Path.Combine(directory, name)).ReplaceLineEndings("\n");
            Assert.True(expected == text.ReplaceLineEndings("\n"), $"{test}/{name} differs from its baseline (HOOKS_UPDATE_BASELINES=1 to accept).");
        }
    }

    private static string ProjectDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
