using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Hooks.Hosting;
using Hooks.Infrastructure;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Tests.Receiving;

/// <summary>Every step of the receiver pipeline, over real HTTP to a real Kestrel endpoint.</summary>
public sealed class ReceiverPipelineTests : IAsyncLifetime
{
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static readonly WebHookSecret OldSecret = WebHookSecret.Parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    private readonly HandlerLog _log = new();
    private LoopbackApp _app = null!;

    public async Task InitializeAsync() => _app = await StartAsync(_log);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    internal static Task<LoopbackApp> StartAsync(HandlerLog log, Action<WebHookReceiverOptions>? configure = null) =>
        LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton(log);
                services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
                services.AddScoped<IWebHookHandler<InvoicePaid>, InvoicePaidHandler>();
                services.AddWebHooks().AddReceiver(o =>
                {
                    o.Secrets.Add(Secret.Reveal());
                    o.Secrets.Add(OldSecret.Reveal());
                    o.MaxBodyBytes = 64 * 1024;
                    configure?.Invoke(o);
                });
            },
            app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _app.Client.SendAsync(request);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
        var text = problem.RootElement.GetRawText();
        Assert.DoesNotContain("MfKQ9r8G", text, StringComparison.Ordinal);
        Assert.DoesNotContain("v1,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Genuine_message_runs_its_handler_with_context_and_answers_204()
    {
        var request = SignedRequests.Order(Secret, id: "msg_genuine1", orderId: "o-42");
        request.Headers.TryAddWithoutValidation("webhook-attempt", "3");

        var response = await SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var (evt, context) = Assert.Single(_log.Calls);
        Assert.Equal(new OrderCreated("o-42", 12.5m), evt);
        Assert.Equal("msg_genuine1", context.MessageId);
        Assert.Equal("order.created", context.EventType);
        Assert.Equal(3, context.Attempt);
        Assert.Equal("default", context.ReceiverName);
        Assert.Equal(WebHookSource.Push, context.Source);
    }

    [Fact]
    public async Task Handler_sees_headers_while_it_runs()
    {
        string? seen = null;
        await using var app = await LoopbackApp.StartAsync(
            services =>
            {
                services.AddSingleton<IWebHookHandler<InvoicePaid>>(new DelegateHandler<InvoicePaid>((_, ctx) => seen = ctx.Headers["x-tenant"]));
                services.AddWebHooks().AddReceiver(o => o.Secrets.Add(Secret.Reveal()));
            },
            a => a.MapWebHookReceiver("/webhooks", TestDispatcher.Instance));
        var request = SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("invoice.paid", "{\"InvoiceId\":\"i-1\"}"));
        request.Headers.TryAddWithoutValidation("x-tenant", "acme");

        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(request)).StatusCode);
        Assert.Equal("acme", seen);
    }

    [Fact]
    public async Task Svix_header_aliases_are_accepted()
    {
        var body = SignedRequests.Envelope("invoice.paid", "{\"InvoiceId\":\"i-1\"}");

        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", body, svixHeaders: true));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Fact]
    public async Task Only_post_is_mapped()
    {
        var response = await _app.Client.GetAsync(new Uri("/webhooks", UriKind.Relative));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Declared_body_over_the_limit_is_413()
    {
        var body = SignedRequests.Envelope("order.created", $"{{\"OrderId\":\"{new string('x', 70 * 1024)}\",\"Total\":1}}");

        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", body));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, _log.Count);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413()
    {
        var request = SignedRequests.Order(Secret);
        var big = new byte[80 * 1024];
        request.Content = new StreamContent(new NonSeekableStream(big));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await SendAsync(request);

        Assert.Null(request.Content.Headers.ContentLength);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, _log.Count);
    }

    [Fact]
    public async Task Chunked_body_within_the_limit_is_handled()
    {
        var signed = SignedRequests.Order(Secret);
        var bytes = await signed.Content!.ReadAsByteArrayAsync();
        signed.Content = new StreamContent(new NonSeekableStream(bytes));
        signed.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(signed)).StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/jsonx")]
    public async Task Non_json_content_type_is_415(string contentType)
    {
        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("invoice.paid", "{\"InvoiceId\":\"i\"}"), contentType: contentType));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal(0, _log.Count);
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/cloudevents+json")]
    public async Task Json_media_types_are_accepted(string contentType)
    {
        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("invoice.paid", "{\"InvoiceId\":\"i\"}"), contentType: contentType));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [InlineData("webhook-id")]
    [InlineData("webhook-timestamp")]
    [InlineData("webhook-signature")]
    public async Task Missing_header_is_400_naming_it(string header)
    {
        var request = SignedRequests.Order(Secret);
        request.Headers.Remove(header);

        var response = await SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(header, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _log.Count);
    }

    [Fact]
    public async Task Repeated_header_is_400()
    {
        var request = SignedRequests.Order(Secret);
        request.Headers.TryAddWithoutValidation("webhook-id", "msg_second");

        await AssertProblemAsync(await SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Equal(0, _log.Count);
    }

    [Theory]
    [InlineData("12x4")]
    [InlineData("-5")]
    [InlineData("99999999999999999999999")]
    public async Task Malformed_timestamp_is_400(string timestamp)
    {
        var request = SignedRequests.Order(Secret);
        request.Headers.Remove("webhook-timestamp");
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp);

        await AssertProblemAsync(await SendAsync(request), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Wrong_signature_is_401()
    {
        var response = await SendAsync(SignedRequests.Order(WebHookSecret.Generate()));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(0, _log.Count);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task Timestamp_outside_tolerance_is_401(int offsetSeconds)
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offsetSeconds;
        var request = SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("invoice.paid", "{\"InvoiceId\":\"i\"}"), timestamp: ts);

        await AssertProblemAsync(await SendAsync(request), HttpStatusCode.Unauthorized);
        Assert.Equal(0, _log.Count);
    }

    [Fact]
    public async Task Either_secret_of_a_rotation_is_accepted()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(SignedRequests.Order(Secret))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(SignedRequests.Order(OldSecret))).StatusCode);
        Assert.Equal(2, _log.Count);
    }

    [Fact]
    public async Task Handled_id_is_acknowledged_without_running_the_handler_again()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(SignedRequests.Order(Secret, id: "msg_dup"))).StatusCode);

        var again = await SendAsync(SignedRequests.Order(Secret, id: "msg_dup"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Fact]
    public async Task Replay_of_the_same_signed_request_runs_the_handler_once()
    {
        var first = SignedRequests.Order(Secret, id: "msg_replay");
        var body = await first.Content!.ReadAsStringAsync();
        var replay = SignedRequests.Create(Secret, "/webhooks", body, id: "msg_replay");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(replay)).StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"type\":\"order.created\",\"data\":{}}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{\"OrderId\":\"o\",\"Total\":1}} trailing")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{\"Total\":1}}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{\"OrderId\":null,\"Total\":1}}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":{\"OrderId\":\"o\",\"Total\":\"12\"}}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":null}")]
    [InlineData("{\"type\":\"order.created\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"data\":[1,2]}")]
    public async Task Malformed_json_or_data_that_does_not_fit_is_400(string body)
    {
        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", body, id: "msg_bad"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, _log.Count);
        // Refused messages are not remembered: a corrected retry of the id is handled.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(SignedRequests.Order(Secret, id: "msg_bad"))).StatusCode);
    }

    [Fact]
    public async Task Unknown_type_is_200_by_default_and_logged()
    {
        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("user.deleted", "{}")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, _log.Count);
        Assert.Contains(_app.Logs.Lines, l => l.Contains("user.deleted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_type_is_400_when_configured()
    {
        await using var strict = await StartAsync(new HandlerLog(), o => o.UnknownEventType = WebHookUnknownEventTypeBehavior.Reject);

        var response = await strict.Client.SendAsync(SignedRequests.Create(Secret, "/webhooks", SignedRequests.Envelope("user.deleted", "{}")));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Handler_exception_is_500_and_the_retry_runs_it_again()
    {
        _log.FailuresToThrow = 1;

        var first = await SendAsync(SignedRequests.Order(Secret, id: "msg_retry"));
        await AssertProblemAsync(first, HttpStatusCode.InternalServerError);
        Assert.DoesNotContain("handler failure for the test", await first.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _log.Count);

        var retry = await SendAsync(SignedRequests.Order(Secret, id: "msg_retry"));

        Assert.Equal(HttpStatusCode.NoContent, retry.StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Fact]
    public async Task Fifty_simultaneous_deliveries_of_one_id_run_the_handler_once()
    {
        _log.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = SendAsync(SignedRequests.Order(Secret, id: "msg_burst"));
        await _log.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The first delivery is inside its handler; 49 more arrive at once.
        var others = await Task.WhenAll(Enumerable.Range(0, 49).Select(_ => SendAsync(SignedRequests.Order(Secret, id: "msg_burst"))));
        _log.Gate.SetResult();
        var firstResponse = await first.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.NoContent, firstResponse.StatusCode);
        Assert.All(others, r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.All(others, r => Assert.NotNull(r.Headers.RetryAfter));
        Assert.Equal(1, _log.Count);
        // After it completes, the producer's retry is acknowledged without a second run.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(SignedRequests.Order(Secret, id: "msg_burst"))).StatusCode);
        Assert.Equal(1, _log.Count);
    }

    [Fact]
    public async Task Fifty_simultaneous_deliveries_race_to_one_handler_run()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, 50).Select(_ => SignedRequests.Order(Secret, id: "msg_race")).ToArray();
        var sends = requests.Select(async r => { await start.Task; return await SendAsync(r); }).ToArray();
        start.SetResult();

        var responses = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, _log.Count);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.NoContent);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.NoContent, HttpStatusCode.OK, HttpStatusCode.Conflict }));
    }

    [Fact]
    public async Task Challenge_is_answered_without_running_a_handler()
    {
        var body = SignedRequests.Envelope(WebHookChallenge.EventType, "{\"challenge\":\"c-123\"}");

        var response = await SendAsync(SignedRequests.Create(Secret, "/webhooks", body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("c-123", answer.RootElement.GetProperty("challenge").GetString());
        Assert.Equal(0, _log.Count);
    }

    [Fact]
    public async Task Unsigned_challenge_is_refused()
    {
        var body = SignedRequests.Envelope(WebHookChallenge.EventType, "{\"challenge\":\"c-123\"}");

        var response = await SendAsync(SignedRequests.Create(WebHookSecret.Generate(), "/webhooks", body));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Logs_never_contain_secrets_signatures_or_payloads()
    {
        var request = SignedRequests.Order(Secret, orderId: "secret-order-value");
        var signature = request.Headers.GetValues("webhook-signature").Single();
        await SendAsync(request);
        await SendAsync(SignedRequests.Order(WebHookSecret.Generate(), orderId: "secret-order-value"));
        _log.FailuresToThrow = 1;
        await SendAsync(SignedRequests.Order(Secret, orderId: "secret-order-value"));

        Assert.NotEmpty(_app.Logs.Lines);
        foreach (var line in _app.Logs.Lines)
        {
            Assert.DoesNotContain("MfKQ9r8G", line, StringComparison.Ordinal);
            Assert.DoesNotContain(signature[3..], line, StringComparison.Ordinal);
            Assert.DoesNotContain("secret-order-value", line, StringComparison.Ordinal);
        }
    }

    private sealed class DelegateHandler<T>(Action<T, WebHookContext> action) : IWebHookHandler<T> where T : IWebHookEvent<T>
    {
        public Task HandleAsync(T message, WebHookContext context, CancellationToken cancellationToken)
        {
            action(message, context);
            return Task.CompletedTask;
        }
    }

    /// <summary>Hides the length so HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
