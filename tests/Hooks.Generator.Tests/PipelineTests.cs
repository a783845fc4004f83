using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using Hooks.Generator.Tests.Infrastructure;
using Hooks.Security;

namespace Hooks.Generator.Tests;

/// <summary>
/// The consumer's one pipeline with generated code: an app compiled with the generator, on Kestrel at 127.0.0.1, gets
/// the same messages pushed over HTTP and handed to <c>WebHookMessageProcessor</c> directly (as catch-up will), and
/// each id runs its generated, strictly deserializing handler once.
/// </summary>
public sealed class PipelineTests
{
    private const string App = """
        using System.Collections.Concurrent;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using Hooks;
        using Hooks.Receiving;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Hosting.Server;
        using Microsoft.AspNetCore.Hosting.Server.Features;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;

        public static class Host
        {
            private static WebApplication? s_app;

            public static async Task<string> StartAsync(string secret)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddSingleton<Seen>();
                builder.Services.AddWebHooks().AddReceiver(o => o.Secrets.Add(secret));
                var app = builder.Build();
                app.MapWebHooks();
                await app.StartAsync();
                s_app = app;
                return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            }

            public static async Task<string> ProcessAsync(string id, string type, DateTimeOffset timestamp, byte[] body)
            {
                var result = await s_app!.Services.GetRequiredService<WebHookMessageProcessor>().ProcessAsync(new WebHookInboundMessage
                {
                    MessageId = id,
                    EventType = type,
                    Timestamp = timestamp,
                    Body = body,
                });
                // A failure names what the handler threw, so a failing assertion says why.
                return result.Status == WebHookProcessingStatus.Failed
                    ? result.Failure + ": " + result.Detail + (result.Exception is { } ex ? " [" + ex + "]" : "")
                    : result.Status.ToString();
            }

            public static string[] Handled() => [.. s_app!.Services.GetRequiredService<Seen>().Calls];

            public static async Task StopAsync()
            {
                await s_app!.StopAsync();
                await s_app.DisposeAsync();
            }
        }

        public sealed class Seen
        {
            public ConcurrentQueue<string> Calls { get; } = new();
        }

        namespace Shop
        {
            // A name no other test's app uses: generated registrations are process-wide (one app per process in real
            // life), so in this test process every compiled app's dispatchers are registered, and the processor would
            // route another app's "order.created" to that app's handlers.
            [WebHookEvent("pipeline.order.created")]
            public partial record OrderCreated(string OrderId, decimal Total);

            [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
            [JsonSerializable(typeof(OrderCreated))]
            internal partial class ShopJson : JsonSerializerContext;

            public sealed class OrderHandler(Seen seen) : IWebHookHandler<OrderCreated>
            {
                public Task HandleAsync(OrderCreated message, WebHookContext context, CancellationToken cancellationToken)
                {
                    seen.Calls.Enqueue($"{context.MessageId} {context.Source} {message.OrderId}");
                    return Task.CompletedTask;
                }
            }
        }
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly DateTimeOffset Happened = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    private static byte[] Body(string data) =>
        Encoding.UTF8.GetBytes("""{"type":"pipeline.order.created","timestamp":"2026-11-30T06:00:00+00:00","data":""" + data + "}");

    [Fact]
    public async Task Pushes_and_direct_calls_of_the_same_ids_run_the_generated_handler_once_per_id()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation("Pipeline_" + Guid.NewGuid().ToString("N"), App));
        Assert.Empty(run.Problems);
        var host = GeneratorHarness.Load(run.Output).GetType("Host", throwOnError: true)!;
        var secret = WebHookSecret.Generate();
        var address = new Uri(await Invoke<Task<string>>(host, "StartAsync", secret.Reveal()));
        using var client = new HttpClient { BaseAddress = address, Timeout = Timeout };
        try
        {
            var order = Body("""{"orderId":"o-1","total":12.5}""");

            // msg_a: pushed, then caught up. msg_b: caught up, then pushed. msg_c: caught up twice.
            using var pushA = await PushAsync(client, secret, "msg_a", order);
            var directA = await ProcessAsync(host, "msg_a", order);
            var directB = await ProcessAsync(host, "msg_b", order);
            using var pushB = await PushAsync(client, secret, "msg_b", order);
            var directC = await ProcessAsync(host, "msg_c", order);
            var againC = await ProcessAsync(host, "msg_c", order);
            // The generated strict reading refuses a misfit exactly as it does for a push, and runs nothing.
            var misfit = await ProcessAsync(host, "msg_d", Body("""{"total":12.5}"""));

            Assert.Equal(HttpStatusCode.NoContent, pushA.StatusCode);
            Assert.Equal("Duplicate", directA);
            Assert.Equal("Handled", directB);
            Assert.Equal(HttpStatusCode.OK, pushB.StatusCode);
            Assert.Equal("Handled", directC);
            Assert.Equal("Duplicate", againC);
            Assert.Equal("PayloadDoesNotFit: The data of the 'pipeline.order.created' event does not fit Shop.OrderCreated: the required member 'orderId' is missing (at $).", misfit);
            Assert.Equal(["msg_a Push o-1", "msg_b CatchUp o-1", "msg_c CatchUp o-1"], Invoke<string[]>(host, "Handled").Order());
        }
        finally
        {
            await Invoke<Task>(host, "StopAsync");
        }
    }

    private static Task<string> ProcessAsync(Type host, string id, byte[] body) =>
        Invoke<Task<string>>(host, "ProcessAsync", id, "pipeline.order.created", Happened, body);

    private static async Task<HttpResponseMessage> PushAsync(HttpClient client, WebHookSecret secret, string id, byte[] body)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebHookHeaders.Id, id);
        request.Headers.Add(WebHookHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebHookHeaders.Signature, WebHookSigner.Sign(secret, id, timestamp, body));
        return await client.SendAsync(request);
    }

    private static T Invoke<T>(Type type, string method, params object?[] args)
    {
        try
        {
            return (T)type.GetMethod(method, BindingFlags.Public | BindingFlags.Static)!.Invoke(null, args)!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception.InnerException);
            throw;
        }
    }
}
