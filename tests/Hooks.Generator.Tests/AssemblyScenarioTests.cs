using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Tests;

/// <summary>Generated per-assembly code in apps made of several assemblies.</summary>
public sealed class AssemblyScenarioTests
{
    private const string App = """
        using System.Text.Json.Serialization;
        using Hooks;
        using Microsoft.AspNetCore.Builder;
        namespace {0};
        [WebHookEvent("{0}.created")]
        public partial record Created(string Id);
        [JsonSerializable(typeof(Created))]
        [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
        internal partial class Json : JsonSerializerContext;
        public sealed class Handler : IWebHookHandler<Created>
        {
            public Task HandleAsync(Created message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
        }
        public static class Endpoints
        {
            public static RouteHandlerBuilder Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints) => endpoints.MapWebHooks("/{0}");
        }
        """;

    [Fact]
    public void Assembly_seeing_another_assemblys_MapWebHooks_through_InternalsVisibleTo_gets_HOOK011_and_no_ambiguity()
    {
        var first = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("First",
            "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Second\")]", App.Replace("{0}", "first", StringComparison.Ordinal)));
        Assert.Empty(first.Problems);
        using var stream = new MemoryStream();
        Assert.True(first.Output.Emit(stream).Success);

        // Second maps its own dispatcher explicitly, as HOOK011 says; app.MapWebHooks() there is First's.
        var second = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Second",
                App.Replace("{0}", "second", StringComparison.Ordinal).Replace("endpoints.MapWebHooks(\"/second\")",
                    "global::Hooks.Infrastructure.WebHookReceiverEndpointRouteBuilderExtensions.MapWebHookReceiver(endpoints, \"/second\", global::Hooks.Generated.Second.WebHookDispatcher.Instance)", StringComparison.Ordinal))
            .AddReferences(MetadataReference.CreateFromImage(stream.ToArray())));

        var warning = Assert.Single(second.Problems);
        Assert.Equal("HOOK011", warning.Id);
        Assert.Contains("global::Hooks.Infrastructure.WebHookReceiverEndpointRouteBuilderExtensions.MapWebHookReceiver(endpoints, \"/webhooks\", global::Hooks.Generated.Second.WebHookDispatcher.Instance)",
            warning.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Contracts_assembly_without_the_runtime_gets_event_code_only()
    {
        var compilation = GeneratorHarness.CreateCompilation("Contracts", """
            using System.Text.Json.Serialization;
            using Hooks;
            namespace Contracts;
            [WebHookEvent("thing.created")]
            public partial record Created(string Id);
            [JsonSerializable(typeof(Created))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class Json : JsonSerializerContext;
            """);
        var runtime = compilation.References.Single(r => r.Display!.EndsWith("Hooks.Runtime.dll", StringComparison.Ordinal));
        var run = GeneratorHarness.Run(compilation.RemoveReferences(runtime));
        Assert.Empty(run.Problems);
        Assert.Equal(["Contracts.Created.WebHookEvent.g.cs", "Hooks.WebHookStrictJson.g.cs"], run.HooksResult.GeneratedSources.Select(s => s.HintName));
    }
}

/// <summary>Generated types live in a namespace derived from the assembly name.</summary>
public sealed class GeneratedNamespaceTests
{
    [Theory]
    [InlineData("Shop", "Hooks.Generated.Shop")]
    [InlineData("My-App.2x.event", "Hooks.Generated.My_App._2x.@event")]
    [InlineData("", "Hooks.Generated")]
    public void Assembly_name_becomes_valid_identifiers(string assemblyName, string expected) =>
        Assert.Equal(expected, Parsing.CompilationInfoParser.GeneratedNamespace(assemblyName));
}

/// <summary>The shapes of event types users write all compile with no diagnostic.</summary>
public sealed class EventShapeTests
{
    [Theory]
    [InlineData("public readonly partial record struct Shape(string Id, int Count);")]
    [InlineData("public readonly partial struct Shape { public required string Id { get; init; } }")]
    [InlineData("public sealed partial class Shape { [JsonPropertyName(\"id\")] public required string Id { get; init; } public List<string> Tags { get; init; } = []; }")]
    [InlineData("internal sealed partial record Shape(string Id, Shape.Line[] Lines) { public sealed record Line(string Sku, int Quantity); }")]
    [InlineData("public partial record Shape(string Id) : BaseShape;\npublic abstract record BaseShape;")]
    public void Event_shape_compiles_without_diagnostics(string declaration)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Shapes", $$"""
            using System.Text.Json.Serialization;
            using Hooks;
            namespace Shapes;
            [WebHookEvent("shape.changed")]
            {{declaration}}
            [JsonSerializable(typeof(Shape))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class ShapesJson : JsonSerializerContext;
            """));
        Assert.Empty(run.Problems);
    }
}
