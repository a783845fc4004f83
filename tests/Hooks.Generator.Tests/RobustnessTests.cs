using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Tests;

/// <summary>No user input makes the generator throw or drop unrelated output.</summary>
public sealed class RobustnessTests
{
    private const string Json = """
        [System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
        [System.Text.Json.Serialization.JsonSerializable(typeof(A.Orders.Created), TypeInfoPropertyName = "Upper")]
        [System.Text.Json.Serialization.JsonSerializable(typeof(A.orders.Created), TypeInfoPropertyName = "Lower")]
        [System.Text.Json.Serialization.JsonSerializable(typeof(Unrelated.Ping))]
        internal partial class AppJson : System.Text.Json.Serialization.JsonSerializerContext;
        """;

    [Fact]
    public void Events_whose_names_differ_only_in_case_get_distinct_files_and_unrelated_events_still_generate()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("CaseOnly", """
            using Hooks;
            namespace A.Orders { [WebHookEvent("upper.created")] public partial record Created(string Id); }
            namespace A.orders { [WebHookEvent("lower.created")] public partial record Created(string Id); }
            namespace Unrelated { [WebHookEvent("ping")] public partial record Ping(long Sequence); }
            public static class Probe
            {
                public static string Names() => A.Orders.Created.EventType + "," + A.orders.Created.EventType + "," + Unrelated.Ping.EventType;
            }
            """, Json));

        Assert.Null(run.HooksResult.Exception);
        Assert.Empty(run.Problems);
        var hints = run.HooksResult.GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Equal(hints.Count, hints.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("Unrelated.Ping.WebHookEvent.g.cs", hints);
        var probe = GeneratorHarness.Load(run.Output).GetType("Probe", throwOnError: true)!;
        Assert.Equal("upper.created,lower.created,ping", probe.GetMethod("Names")!.Invoke(null, null));
    }

    [Fact]
    public void Nested_event_and_namespaced_event_of_the_same_spelling_get_distinct_files()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("NestedVsNamespace", """
            using System.Text.Json;
            using System.Text.Json.Serialization;
            using Hooks;
            namespace Shop { public static partial class Orders { [WebHookEvent("nested.created")] public partial record Created(string Id); } }
            namespace Shop.Orders2 { }
            namespace Shop.orders { [WebHookEvent("ns.created")] public partial record Created(string Id); }
            [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(Shop.Orders.Created), TypeInfoPropertyName = "A")]
            [JsonSerializable(typeof(Shop.orders.Created), TypeInfoPropertyName = "B")]
            internal partial class AppJson : JsonSerializerContext;
            """));

        Assert.Null(run.HooksResult.Exception);
        Assert.Empty(run.Problems);
        Assert.Equal(4, run.HooksResult.GeneratedSources.Length);
    }

    [Fact]
    public void A_failing_step_becomes_HOOK999_instead_of_an_exception()
    {
        var result = Diagnostics.Guard.Parse<Model.EquatableArray<Model.DiagnosticInfo>>(
            () => throw new InvalidOperationException("boom"), "reading something", failures => failures);

        var failure = Assert.Single(result);
        Assert.Equal("HOOK999", failure.Id);
        Assert.Equal(["reading something", "InvalidOperationException: boom"], failure.Arguments);
        Assert.Equal(DiagnosticSeverity.Error, Diagnostics.DiagnosticDescriptors.ById(failure.Id).DefaultSeverity);
    }
}
