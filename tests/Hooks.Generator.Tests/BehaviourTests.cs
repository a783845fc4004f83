using System.Reflection;
using Hooks.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Hooks.Generator.Tests;

/// <summary>Compiles the generated code with the real references, loads it and runs it.</summary>
public sealed class BehaviourTests
{
    private static readonly Lazy<Type> Probe = new(() =>
    {
        var compilation = GeneratorHarness.CreateCompilation("Shop_" + Guid.NewGuid().ToString("N"), Scenarios.Shop, Scenarios.ShopProbe);
        var run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Problems);
        return GeneratorHarness.Load(run.Output).GetType("Shop.Probe", throwOnError: true)!;
    });

    private static T Call<T>(string method, params object?[] args)
    {
        try
        {
            return (T)Probe.Value.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
            throw;
        }
    }

    [Fact]
    public void Valid_input_compiles_without_any_warning_or_error()
    {
        var compilation = GeneratorHarness.CreateCompilation("Valid", Scenarios.Shop, Scenarios.ShopProbe);
        var run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Problems);
        Assert.Empty(run.HooksDiagnostics);
    }

    [Fact]
    public void Event_type_and_description_come_from_the_attribute()
    {
        Assert.Equal(["order.created", "An order was placed.", "order.shipped", "<null>", "stock.low", "Stock is \"low\"."],
            Call<string[]>("Metadata"));
    }

    [Fact]
    public void Envelope_is_written_with_type_timestamp_and_data()
    {
        var json = Call<string>("WriteOrderCreated", "o-1", 12.5m, null);
        Assert.Equal("""{"type":"order.created","timestamp":"2026-01-02T03:04:05+00:00","data":{"orderId":"o-1","total":12.5,"note":null}}""", json);
    }

    [Fact]
    public void Envelope_round_trips_for_record_class_and_record_struct()
    {
        var created = Call<string>("WriteOrderCreated", "o-1", 12.5m, "gift");
        Assert.Equal("OrderCreated { OrderId = o-1, Total = 12.5, Note = gift }", Call<string>("ReadEnvelope", created));
        var stock = Call<string>("WriteStockLow", "sku-9", 3);
        Assert.Equal("StockLow { Sku = sku-9, Left = 3 }", Call<string>("ReadEnvelope", stock));
    }

    [Theory]
    [InlineData("order.created", """{"orderId":"a","total":1}""")]
    [InlineData("order.created", """{"orderId":"a","total":1,"note":null}""")]
    [InlineData("order.created", """{"orderId":"a","total":1,"unknown":{"x":[1]}}""")]
    [InlineData("order.shipped", """{"orderId":"a"}""")]
    [InlineData("stock.low", """{"sku":"a","left":2}""")]
    public void Reader_accepts_data_that_fits(string eventType, string data) =>
        Assert.Null(Call<string?>("Refusal", eventType, data));

    [Theory]
    [InlineData("order.created", """{"orderId":"s3cr3t-value","total":""", "malformed JSON")]
    [InlineData("order.created", """{"total":1}""", "missing required constructor parameter")]
    [InlineData("order.created", """{"orderId":null,"total":1}""", "null for a non-nullable member")]
    [InlineData("order.created", """{"orderId":"s3cr3t-value","total":"s3cr3t-value"}""", "string for a number")]
    [InlineData("order.created", """{"orderId":"s3cr3t-value","total":true}""", "boolean for a number")]
    [InlineData("order.created", """{"orderId":42,"total":1}""", "number for a string")]
    [InlineData("order.created", """["s3cr3t-value"]""", "array for an object")]
    [InlineData("order.created", """null""", "null data")]
    [InlineData("order.created", """{"orderId":"a","orderId":"s3cr3t-value","total":1}""", "duplicate member")]
    [InlineData("order.shipped", """{"parcels":1}""", "missing required member")]
    [InlineData("stock.low", """{"left":1}""", "missing struct constructor parameter")]
    [InlineData("stock.low", """null""", "null struct")]
    public void Reader_refuses_data_that_does_not_fit_without_echoing_values(string eventType, string data, string why)
    {
        var message = Call<string?>("Refusal", eventType, data);
        Assert.True(message is not null, $"Accepted {why}.");
        Assert.Contains(eventType, message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-value", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"orderId":"a","total":true}""", ": the member 'total' does not fit its type (a boolean was sent) (at $.total).")]
    [InlineData("""{"orderId":"s3cr3t-value","total":{"x":1}}""", ": the member 'total' does not fit its type (an object was sent) (at $.total).")]
    [InlineData("""{"total":1}""", ": the required member 'orderId' is missing (at $).")]
    [InlineData("""{"orderId":"a","orderId":"s3cr3t-value","total":1}""", ": the member 'orderId' appears more than once (at $.orderId).")]
    [InlineData("""{"orderId":"a","OrderId":"s3cr3t-value","total":1}""", ": the member 'OrderId' appears more than once (at $.OrderId).")]
    [InlineData("""{"orderId":null,"total":1}""", ": the member 'orderId' is null, which its type does not allow (at $.orderId).")]
    [InlineData("""["s3cr3t-value"]""", ": the data is an array where an object is expected (at $).")]
    [InlineData("""{"orderId":"s3cr3t-value","total":""", ": the data is not valid JSON (at $.total).")]
    public void Refusal_names_the_member_that_is_missing_duplicated_or_of_the_wrong_kind(string data, string detail)
    {
        var message = Call<string?>("Refusal", "order.created", data);
        Assert.Equal("The data of the 'order.created' event does not fit Shop.OrderCreated" + detail, message);
    }

    [Fact]
    public void Refusal_for_a_missing_struct_member_names_it()
    {
        var message = Call<string?>("Refusal", "stock.low", """{"left":1}""");
        Assert.Equal("The data of the 'stock.low' event has no value for the non-nullable member 'StockLow.sku'.", message);
    }

    [Fact]
    public async Task Dispatcher_routes_each_type_to_its_handlers_from_dependency_injection()
    {
        var created = Call<string>("WriteOrderCreated", "o-7", 99m, null);
        var stock = Call<string>("WriteStockLow", "sku-1", 0);
        const string shipped = """{"type":"order.shipped","timestamp":"2026-01-02T03:04:05Z","data":{"orderId":"o-7","parcels":2}}""";
        const string unknown = """{"type":"order.refunded","timestamp":"2026-01-02T03:04:05Z","data":{}}""";

        var results = await Call<Task<string[]>>("Dispatch", (object)new[] { created, stock, shipped, unknown });

        Assert.Equal(
            [
                "Handled", "Handled", "Handled", "UnknownType",
                "audit:order.created", "created:o-7:99:msg_1", "stock:sku-1:0", "shipped:o-7:2",
                "types:order.created,order.shipped,stock.low",
            ],
            results.Take(9));
        var catalog = results.Single(r => r.StartsWith("catalog:", StringComparison.Ordinal));
        Assert.Contains("order.created", catalog, StringComparison.Ordinal);
        Assert.Contains("stock.low", catalog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatcher_refuses_data_that_does_not_fit_before_any_handler_runs()
    {
        const string bad = """{"type":"order.created","timestamp":"2026-01-02T03:04:05Z","data":{"total":1}}""";
        var exception = await Assert.ThrowsAsync<WebHookPayloadException>(() => Call<Task<string[]>>("Dispatch", (object)new[] { bad }));
        Assert.Contains("order.created", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_without_json_context_throws_instead_of_using_reflection()
    {
        const string source = """
            using Hooks;
            namespace Lone;
            [WebHookEvent("lone.event")]
            public partial record LoneEvent(string Id);
            public static class Probe
            {
                public static void Write()
                {
                    var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                    WebHookEnvelope.Write(buffer, new LoneEvent("x"), DateTimeOffset.UnixEpoch);
                }
            }
            """;
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Lone_" + Guid.NewGuid().ToString("N"), source));
        Assert.Equal("HOOK005", Assert.Single(run.Problems).Id);
        var probe = GeneratorHarness.Load(run.Output).GetType("Lone.Probe", throwOnError: true)!;
        var exception = Assert.Throws<TargetInvocationException>(() => probe.GetMethod("Write")!.Invoke(null, null));
        var inner = Assert.IsType<InvalidOperationException>(exception.InnerException);
        Assert.Contains("[JsonSerializable(typeof(Lone.LoneEvent))]", inner.Message, StringComparison.Ordinal);
    }
}
