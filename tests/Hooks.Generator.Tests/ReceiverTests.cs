using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Hooks.Generator.Tests.Infrastructure;
using Hooks.Security;

namespace Hooks.Generator.Tests;

/// <summary>
/// Generated code compiled into an app that runs Kestrel on 127.0.0.1 (port 0) and answers real signed HTTP POSTs.
/// </summary>
public sealed class ReceiverTests
{
    private const string Host = """
        using Hooks;
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

            public static Task<string> NextHandledAsync() => s_app!.Services.GetRequiredService<Seen>().Next.Task;

            public static async Task StopAsync()
            {
                await s_app!.StopAsync();
                await s_app.DisposeAsync();
            }
        }

        public sealed class Seen
        {
            public TaskCompletionSource<string> Next { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        """;

    private const string Consumer = """
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using Hooks;

        namespace Stripe;

        [WebHookEvent("payment-intent.succeeded")]
        public partial record PaymentIntentSucceeded(string PaymentIntentId, long Amount);

        [JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
        [JsonSerializable(typeof(PaymentIntentSucceeded))]
        internal partial class StripeJson : JsonSerializerContext;

        public sealed class PaymentHandler(Seen seen) : IWebHookHandler<PaymentIntentSucceeded>
        {
            public Task HandleAsync(PaymentIntentSucceeded message, WebHookContext context, CancellationToken cancellationToken)
            {
                seen.Next.TrySetResult($"{context.EventType} {message.PaymentIntentId} {message.Amount}");
                return Task.CompletedTask;
            }
        }
        """;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Event_type_name_with_a_dash_is_declared_routed_and_handled_over_http()
    {
        await using var app = await RunningApp.StartAsync("Dashes", Consumer);

        using var response = await app.PostAsync("""{"type":"payment-intent.succeeded","timestamp":"2026-01-02T03:04:05Z","data":{"paymentIntentId":"pi_1","amount":1999}}""");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("payment-intent.succeeded pi_1 1999", await app.NextHandledAsync().WaitAsync(Timeout));
    }

    [Theory]
    [InlineData("""{"amount":1999}""", "the required member 'paymentIntentId' is missing (at $)")]
    [InlineData("""{"paymentIntentId":"pi_1","paymentIntentId":"s3cr3t-value","amount":1}""", "the member 'paymentIntentId' appears more than once (at $.paymentIntentId)")]
    [InlineData("""{"paymentIntentId":"s3cr3t-value","amount":"s3cr3t-value"}""", "the member 'amount' does not fit its type (a string was sent) (at $.amount)")]
    public async Task Refusal_detail_names_the_member_and_never_its_value(string data, string detail)
    {
        await using var app = await RunningApp.StartAsync("Refusals", Consumer);

        using var response = await app.PostAsync("""{"type":"payment-intent.succeeded","timestamp":"2026-01-02T03:04:05Z","data":""" + data + "}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(
            "The data of the 'payment-intent.succeeded' event does not fit Stripe.PaymentIntentSucceeded: " + detail + ".",
            problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("s3cr3t-value", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_without_handlers_maps_webhooks_and_acknowledges_what_it_does_not_handle()
    {
        // A producer-only app (or one whose handlers are not written yet) still has app.MapWebHooks().
        await using var app = await RunningApp.StartAsync("NoHandlers", """
            namespace Producer;
            public static class Nothing;
            """);

        using var response = await app.PostAsync("""{"type":"order.created","timestamp":"2026-01-02T03:04:05Z","data":{}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("payment-intent.*", "payment-intent.succeeded", true)]
    [InlineData("payment-intent.succeeded", "payment-intent.succeeded", true)]
    [InlineData("payment-intent.*", "payment.succeeded", false)]
    public void Subscription_filters_take_names_with_dashes(string filter, string eventType, bool matches) =>
        Assert.Equal(matches, Hooks.Storage.WebHookEventFilter.Matches(filter, eventType));

    private sealed class RunningApp : IAsyncDisposable
    {
        private readonly Type _host;
        private readonly WebHookSecret _secret;
        private readonly HttpClient _client;

        private RunningApp(Type host, WebHookSecret secret, Uri address)
        {
            _host = host;
            _secret = secret;
            _client = new HttpClient { BaseAddress = address, Timeout = Timeout };
        }

        public static async Task<RunningApp> StartAsync(string name, string source)
        {
            var run = GeneratorHarness.Run(GeneratorHarness.CreateCompilation(name + "_" + Guid.NewGuid().ToString("N"), Host, source));
            Assert.Empty(run.Problems);
            var host = GeneratorHarness.Load(run.Output).GetType("Host", throwOnError: true)!;
            var secret = WebHookSecret.Generate();
            var address = await Invoke<Task<string>>(host, "StartAsync", secret.Reveal());
            return new RunningApp(host, secret, new Uri(address));
        }

        public Task<string> NextHandledAsync() => Invoke<Task<string>>(_host, "NextHandledAsync");

        public async Task<HttpResponseMessage> PostAsync(string json)
        {
            var body = Encoding.UTF8.GetBytes(json);
            var id = "msg_" + Guid.NewGuid().ToString("N");
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(WebHookHeaders.Id, id);
            request.Headers.Add(WebHookHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebHookHeaders.Signature, WebHookSigner.Sign(_secret, id, timestamp, body));
            return await _client.SendAsync(request);
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await Invoke<Task>(_host, "StopAsync");
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
}
