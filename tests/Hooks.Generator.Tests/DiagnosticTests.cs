using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Tests;

/// <summary>Every user mistake the generator knows is reported with its id, at the user's code, saying how to fix it.</summary>
public sealed class DiagnosticTests
{
    private const string Usings = """
        using System.Text.Json.Serialization;
        using Hooks;

        """;

    private static Diagnostic Single(string id, string source, params string[] references) =>
        Single(id, GeneratorHarness.CreateCompilation("Diagnostics", Usings + source), references);

    private static Diagnostic Single(string id, Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation, params string[] _)
    {
        var run = GeneratorHarness.Run(compilation);
        var matching = run.HooksDiagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"Expected one {id}, got: {string.Join(Environment.NewLine, run.HooksDiagnostics)}");
        var diagnostic = matching[0];
        // Diagnostics travel through the pipeline as data and come back as file locations (path + spans).
        var tree = compilation.SyntaxTrees.FirstOrDefault(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        Assert.True(tree is not null, $"The diagnostic points at no source file: {diagnostic.Location}");
        LastText = tree.GetText().ToString(diagnostic.Location.SourceSpan);
        Assert.Equal(tree.GetLineSpan(diagnostic.Location.SourceSpan).Span, diagnostic.Location.GetLineSpan().Span);
        return diagnostic;
    }

    [Fact]
    public void HOOK001_event_not_partial()
    {
        var d = Single("HOOK001", """
            [WebHookEvent("order.created")]
            public record OrderCreated(string Id);
            """);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("add the 'partial' modifier to 'OrderCreated'", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("OrderCreated", SourceText(d));
    }

    [Fact]
    public void Handler_of_an_event_with_errors_adds_no_errors_to_generated_files()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Cascade", Usings + """
            [WebHookEvent("order.created")]
            public record OrderCreated(string Id);
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            public sealed class Handler : IWebHookHandler<OrderCreated>
            {
                public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """));
        Assert.Contains(run.HooksDiagnostics, d => d.Id == "HOOK001");
        Assert.DoesNotContain(run.Problems, d => d.Location.SourceTree?.FilePath.EndsWith(".g.cs", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void HOOK001_event_nested_in_a_type_that_is_not_partial()
    {
        var d = Single("HOOK001", """
            public class Outer
            {
                [WebHookEvent("order.created")]
                public partial record OrderCreated(string Id);
            }
            """);
        Assert.Contains("add the 'partial' modifier to 'Outer'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("order created")]
    [InlineData("")]
    [InlineData("ordér.created")]
    [InlineData("order.*")]
    [InlineData("order/created")]
    public void HOOK002_invalid_event_type_name(string name)
    {
        var d = Single("HOOK002", $$"""
            [WebHookEvent("{{name}}")]
            public partial record OrderCreated(string Id);
            """);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("use 1 to 256 characters, each a letter (a-z, A-Z), a digit, '-', '_' or '.'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK002_event_type_name_longer_than_256_characters_states_the_limit()
    {
        var d = Single("HOOK002", $$"""
            [WebHookEvent("{{new string('a', 257)}}")]
            public partial record OrderCreated(string Id);
            """);
        Assert.Contains("1 to 256 characters", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("payment-intent.succeeded")]
    [InlineData("customer.subscription.trial_will_end")]
    [InlineData("Order-Created_v2")]
    [InlineData("order..created")]
    [InlineData(".order.")]
    public void Event_type_names_Svix_accepts_are_accepted(string name)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Names", Usings + $$"""
            [WebHookEvent("{{name}}")]
            public partial record OrderCreated(string Id);
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(OrderCreated))]
            internal partial class AppJson : JsonSerializerContext;
            """));
        Assert.Empty(run.Problems);
    }

    [Fact]
    public void HOOK003_same_event_type_name_twice()
    {
        var d = Single("HOOK003", """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [WebHookEvent("order.created")]
            public partial record OrderPlaced(string Id);
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSerializable(typeof(OrderPlaced))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            """);
        Assert.Contains("'order.created' is used by both 'OrderCreated' and 'OrderPlaced'", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("OrderPlaced", SourceText(d));
    }

    [Theory]
    [InlineData("public partial record Generic<T>(T Value);", "generic")]
    [InlineData("public abstract partial record Base(string Id);", "abstract")]
    [InlineData("public ref partial struct Span { }", "a ref struct")]
    [InlineData("public static partial class Statics { }", "static")]
    public void HOOK004_unsupported_event_type(string declaration, string reason)
    {
        var d = Single("HOOK004", $"""
            [WebHookEvent("order.created")]
            {declaration}
            """);
        Assert.Contains($"because it is {reason}", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK004_event_nested_in_a_generic_type()
    {
        var d = Single("HOOK004", """
            public partial class Outer<T>
            {
                [WebHookEvent("order.created")]
                public partial record OrderCreated(string Id);
            }
            """);
        Assert.Contains("nested in the generic type 'Outer<T>'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK005_no_json_context_names_the_attribute_to_add()
    {
        var d = Single("HOOK005", """
            namespace Shop.Events
            {
                [WebHookEvent("order.created")]
                public partial record OrderCreated(string Id);
            }
            """);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("No JsonSerializerContext in this project lists 'Shop.Events.OrderCreated'", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("add [JsonSerializable(typeof(Shop.Events.OrderCreated))] to a partial class deriving from JsonSerializerContext",
            d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK005_is_not_reported_for_a_context_using_TypeInfoPropertyName()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Named", Usings + """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [JsonSerializable(typeof(OrderCreated), TypeInfoPropertyName = "Created")]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            """));
        Assert.Empty(run.Problems);
    }

    [Theory]
    [InlineData("[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Serialization)]", "")]
    [InlineData("", ", GenerationMode = JsonSourceGenerationMode.Serialization")]
    public void HOOK012_context_lists_the_event_for_serialization_only(string contextOptions, string entryOptions)
    {
        var d = Single("HOOK012", $$"""
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            {{contextOptions}}
            [JsonSerializable(typeof(OrderCreated){{entryOptions}})]
            internal partial class AppJson : JsonSerializerContext;
            """);
        // An error, as HOOK005: every delivery of the event would otherwise fail at run time and be retried for days.
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("'AppJson' lists 'OrderCreated' with GenerationMode = Serialization", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK006_handler_for_a_hand_written_event_type()
    {
        var d = Single("HOOK006", """
            public sealed class Plain : IWebHookEvent<Plain>
            {
                public static string EventType => "plain";
                public static string? EventDescription => null;
                public static void WriteData(System.Text.Json.Utf8JsonWriter writer, Plain value) { }
                public static Plain ReadData(ReadOnlySpan<byte> utf8Data) => new();
            }
            public sealed class PlainHandler : IWebHookHandler<Plain>
            {
                public Task HandleAsync(Plain message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """);
        Assert.Contains("mark 'Plain' with [WebHookEvent(\"name\")], make it partial", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("PlainHandler", SourceText(d));
    }

    [Theory]
    [InlineData("public sealed class Plain { }", "CS0311")]
    [InlineData("", "CS0246")]
    public void HOOK006_is_not_reported_where_the_compiler_already_reports(string declaration, string compilerError)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("NotEvents", Usings + declaration + """

            public sealed class PlainHandler : IWebHookHandler<Plain>
            {
                public Task HandleAsync(Plain message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """));
        Assert.DoesNotContain(run.HooksDiagnostics, d => d.Id == "HOOK006");
        Assert.Contains(run.Output.GetDiagnostics(), d => d.Id == compilerError);
    }

    [Fact]
    public void HOOK007_private_event_type()
    {
        var d = Single("HOOK007", """
            public partial class Outer
            {
                [WebHookEvent("order.created")]
                private partial record OrderCreated(string Id);
            }
            """);
        Assert.Contains("is private", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("make it (and any type containing it) internal or public", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK007_private_handler()
    {
        var d = Single("HOOK007", """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            public class Outer
            {
                private sealed class Handler : IWebHookHandler<OrderCreated>
                {
                    public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
                }
            }
            """);
        Assert.Contains("'Outer.Handler' is private", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK008_handler_without_public_constructor()
    {
        var d = Single("HOOK008", """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            public sealed class Handler : IWebHookHandler<OrderCreated>
            {
                private Handler() { }
                public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """);
        Assert.Contains("add a public constructor", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK009_handled_events_from_two_assemblies_share_a_name()
    {
        var first = Contracts("ContractsA", "namespace A;");
        var second = Contracts("ContractsB", "namespace B;");
        var consumer = GeneratorHarness.CreateCompilation("Consumer", """
            using Hooks;
            public sealed class HandlerA : IWebHookHandler<A.Created>
            {
                public Task HandleAsync(A.Created message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            public sealed class HandlerB : IWebHookHandler<B.Created>
            {
                public Task HandleAsync(B.Created message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """).AddReferences(first, second);
        var d = Single("HOOK009", consumer);
        Assert.Contains("'A.Created' and 'B.Created' both use the event type name 'thing.created'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK010_event_declares_a_generated_member()
    {
        var d = Single("HOOK010", """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id)
            {
                public static string EventType => "mine";
            }
            """);
        Assert.Contains("declares 'EventType'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Handler_for_an_event_from_a_referenced_contracts_assembly_is_routed_without_diagnostics()
    {
        var contracts = Contracts("Contracts", "namespace A;");
        var consumer = GeneratorHarness.CreateCompilation("Consumer", """
            using Hooks;
            public sealed class Handler : IWebHookHandler<A.Created>
            {
                public Task HandleAsync(A.Created message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """).AddReferences(contracts);
        var run = GeneratorHarness.Run(consumer);
        Assert.Empty(run.Problems);
        var file = Assert.Single(run.HooksResult.GeneratedSources).SourceText.ToString();
        Assert.Contains("case \"thing.created\":", file, StringComparison.Ordinal);
        Assert.Contains("IWebHookHandler<global::A.Created>, global::Handler>", file, StringComparison.Ordinal);
        Assert.DoesNotContain("AddEvent<", file, StringComparison.Ordinal);
    }

    [Fact]
    public void Abstract_and_open_generic_handlers_are_not_registered_and_not_reported()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Bases", Usings + """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class AppJson : JsonSerializerContext;
            public abstract class Base<T> : IWebHookHandler<T> where T : IWebHookEvent<T>
            {
                public Task HandleAsync(T message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            public abstract class AbstractHandler : IWebHookHandler<OrderCreated>
            {
                public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """));
        Assert.Empty(run.Problems);
        Assert.DoesNotContain(run.HooksResult.GeneratedSources, s => s.SourceText.ToString().Contains("IWebHookHandler<", StringComparison.Ordinal));
    }

    [Fact]
    public void HOOK003_names_both_types_and_points_at_both()
    {
        var d = Single("HOOK003", """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [WebHookEvent("order.created")]
            public partial record OrderPlaced(string Id);
            """);
        Assert.Contains("used by both 'OrderCreated' and 'OrderPlaced'", d.GetMessage(), StringComparison.Ordinal);
        var other = Assert.Single(d.AdditionalLocations);
        Assert.Equal("OrderCreated", other.SourceTree!.GetText().ToString(other.SourceSpan));
    }

    [Theory]
    [InlineData("private", "is private")]
    [InlineData("protected", "is protected")]
    public void HOOK005_says_the_context_is_inaccessible_rather_than_missing(string accessibility, string why)
    {
        var d = Single("HOOK005", $$"""
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            public partial class Outer
            {
                [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
                [JsonSerializable(typeof(OrderCreated))]
                {{accessibility}} partial class AppJson : JsonSerializerContext;
            }
            """);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains($"'Outer.AppJson', {why}, so generated code cannot use it", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("make 'Outer.AppJson' (and any type containing it) internal or public", d.GetMessage(), StringComparison.Ordinal);
        Assert.DoesNotContain("No JsonSerializerContext", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void HOOK013_two_events_with_one_simple_name_in_one_context()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("SameName", Usings + """
            namespace Billing { [WebHookEvent("billing.created")] public partial record Created(string Id); }
            namespace Shipping { [WebHookEvent("shipping.created")] public partial record Created(string Id); }
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(Billing.Created))]
            [JsonSerializable(typeof(Shipping.Created))]
            internal partial class AppJson : JsonSerializerContext;
            """));
        // Both events are reported: which one System.Text.Json keeps is its choice, and one attribute fixes both.
        var found = run.HooksDiagnostics.Where(d => d.Id == "HOOK013").OrderBy(d => d.GetMessage(), StringComparer.Ordinal).ToList();
        Assert.Equal(2, found.Count);
        Assert.All(found, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.Contains("'AppJson' lists 'Billing.Created' and 'Shipping.Created', which both get the property 'Created'", found[0].GetMessage(), StringComparison.Ordinal);
        Assert.Contains("'AppJson' lists 'Shipping.Created' and 'Billing.Created', which both get the property 'Created'", found[1].GetMessage(), StringComparison.Ordinal);
        Assert.Contains("add TypeInfoPropertyName", found[0].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_events_with_one_simple_name_work_with_TypeInfoPropertyName()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("SameName_" + Guid.NewGuid().ToString("N"), Usings + """
            namespace Billing { [WebHookEvent("billing.created")] public partial record Created(string Id); }
            namespace Shipping { [WebHookEvent("shipping.created")] public partial record Created(string Id); }
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(Billing.Created))]
            [JsonSerializable(typeof(Shipping.Created), TypeInfoPropertyName = "ShippingCreated")]
            internal partial class AppJson : JsonSerializerContext;
            public static class Probe
            {
                public static string RoundTrip()
                {
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    WebHookEnvelope.Write(buffer, new Shipping.Created("s-1"), DateTimeOffset.UnixEpoch);
                    var bytes = buffer.WrittenSpan.ToArray();
                    WebHookEnvelope.TryRead(bytes, out var envelope, out _);
                    return IWebHookEventRead<Shipping.Created>(envelope!.Data(bytes.AsSpan())).Id;
                }
                private static T IWebHookEventRead<T>(ReadOnlySpan<byte> data) where T : IWebHookEvent<T> => T.ReadData(data);
            }
            """));
        Assert.Empty(run.Problems);
        var probe = GeneratorHarness.Load(run.Output).GetType("Probe", throwOnError: true)!;
        Assert.Equal("s-1", probe.GetMethod("RoundTrip")!.Invoke(null, null));
    }

    [Fact]
    public void Event_deriving_from_another_event_compiles_without_hiding_warnings()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Derived", Usings + """
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [WebHookEvent("order.created.v2")]
            public partial record OrderCreatedV2(string Id, int Version) : OrderCreated(Id);
            [WebHookEvent("order.created.v3")]
            public partial record OrderCreatedV3(string Id, int Version, bool Flag) : OrderCreatedV2(Id, Version);
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(OrderCreated))]
            [JsonSerializable(typeof(OrderCreatedV2))]
            [JsonSerializable(typeof(OrderCreatedV3))]
            internal partial class AppJson : JsonSerializerContext;
            public static class Probe
            {
                public static string Names() => OrderCreated.EventType + "," + OrderCreatedV2.EventType + "," + OrderCreatedV3.EventType;
            }
            """));
        Assert.Empty(run.Problems);
    }

    [Theory]
    [InlineData("public sealed class AuditHandler<T> : IWebHookHandler<T> where T : IWebHookEvent<T>", "AuditHandler<T>")]
    [InlineData("public partial class Outer<T> { public sealed class Handler : IWebHookHandler<OrderCreated> { public Task HandleAsync(OrderCreated m, WebHookContext c, CancellationToken t) => Task.CompletedTask; } }\npublic class Unused<T>", "Outer<T>.Handler")]
    public void HOOK014_generic_handler_is_reported_not_ignored(string declaration, string display)
    {
        var d = Single("HOOK014", $$"""
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(OrderCreated))]
            internal partial class AppJson : JsonSerializerContext;
            {{declaration}}
            {
            }
            """.Replace("where T : IWebHookEvent<T>\n{\n}", "where T : IWebHookEvent<T>\n{\n    public Task HandleAsync(T m, WebHookContext c, CancellationToken t) => Task.CompletedTask;\n}", StringComparison.Ordinal));
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains($"'{display}' is generic", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("make it abstract", d.GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.General)]", true)]
    [InlineData("[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]", false)]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]", false)]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified)]", false)]
    public void HOOK015_context_with_events_and_no_naming_policy(string options, bool reported)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Naming", Usings + $$"""
            [WebHookEvent("order.created")]
            public partial record OrderCreated(string Id);
            {{options}}
            [JsonSerializable(typeof(OrderCreated))]
            internal partial class AppJson : JsonSerializerContext;
            [JsonSerializable(typeof(string))]
            internal partial class OtherJson : JsonSerializerContext;
            """));
        var found = run.HooksDiagnostics.Where(d => d.Id == "HOOK015").ToList();
        Assert.Equal(reported ? 1 : 0, found.Count);
        if (reported)
        {
            Assert.Equal(DiagnosticSeverity.Warning, found[0].Severity);
            Assert.Contains("[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)] for camelCase", found[0].GetMessage(), StringComparison.Ordinal);
            Assert.Contains("JsonKnownNamingPolicy.SnakeCaseLower", found[0].GetMessage(), StringComparison.Ordinal);
        }
    }

    private static PortableExecutableReference Contracts(string assemblyName, string ns)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(assemblyName, Usings + ns + """

            [WebHookEvent("thing.created")]
            public partial record Created(string Id);
            [JsonSerializable(typeof(Created))]
            [JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
            internal partial class ContractsJson : JsonSerializerContext;
            """));
        Assert.Empty(run.Problems);
        using var stream = new MemoryStream();
        Assert.True(run.Output.Emit(stream).Success);
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    [ThreadStatic]
    private static string? LastText;

    /// <summary>The source text the last diagnostic checked by <see cref="Single(string, string, string[])"/> points at.</summary>
    private static string SourceText(Diagnostic _) => LastText!;
}
