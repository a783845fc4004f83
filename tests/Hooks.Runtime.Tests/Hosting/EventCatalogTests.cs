using System.Text.Json.Nodes;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Hooks.Tests.Hosting;

/// <summary>The event catalog describes each event's JSON Schema: in the management API and in the app's OpenAPI document.</summary>
public sealed class EventCatalogTests
{
    [Fact]
    public async Task Event_types_answer_carries_the_json_schema_of_each_events_body()
    {
        await using var app = await ProducerApp.StartAsync();
        var body = JsonNode.Parse(await app.Client.GetStringAsync(new Uri("/webhooks/event-types", UriKind.Relative)))!;
        var created = body["data"]!.AsArray().Single(t => (string?)t!["type"] == "order.created")!;

        var schema = created["schema"]!;
        Assert.Equal("object", (string?)schema["type"]);
        Assert.Equal(["type", "timestamp", "data"], schema["required"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("order.created", (string?)schema["properties"]!["type"]!["const"]);
        Assert.Equal("date-time", (string?)schema["properties"]!["timestamp"]!["format"]);
        // data as the event's JsonSerializerContext writes it: camelCase names and JSON kinds.
        var data = schema["properties"]!["data"]!;
        Assert.Equal("string", (string?)data["properties"]!["orderId"]!["type"]);
        Assert.Equal("number", (string?)data["properties"]!["total"]!["type"]);
        Assert.Equal(["orderId", "total"], data["required"]!.AsArray().Select(n => (string?)n).Order());
        Assert.Equal("An order was placed.", (string?)schema["description"]);
    }

    [Fact]
    public async Task An_app_that_adds_openapi_lists_every_event_type_under_webhooks_with_its_schema()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var app = await LoopbackApp.StartAsync(
            services =>
            {
                TestProducer.AddTestProducer(services, time, new RecordingStore(), configure: null);
                services.AddOpenApi();
            },
            a =>
            {
                a.MapWebHookSubscriptions();
                a.MapOpenApi();
            });

        var json = await app.Client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        var read = OpenApiDocument.Parse(json, OpenApiConstants.Json);

        Assert.Empty(read.Diagnostic!.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, read.Diagnostic.SpecificationVersion);
        var document = read.Document!;
        Assert.Equal(["customer.created", "order.cancelled", "order.created"], document.Webhooks!.Keys.Order(StringComparer.Ordinal));
        var post = document.Webhooks["order.created"].Operations![HttpMethod.Post];
        Assert.Equal("An order was placed.", post.Description);
        Assert.Equal([WebHookHeaders.Id, WebHookHeaders.Timestamp, WebHookHeaders.Signature], post.Parameters!.Select(p => p.Name));
        var envelope = post.RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal(JsonSchemaType.String, envelope.Properties!["data"].Properties!["orderId"].Type);
        Assert.Contains("2XX", post.Responses!.Keys);
    }
}
