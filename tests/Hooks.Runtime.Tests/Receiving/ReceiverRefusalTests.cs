using System.Net;
using System.Text.Json;
using Hooks.Infrastructure;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Receiving;

/// <summary>How a receiver answers and logs the requests it refuses, over real HTTP to a real Kestrel endpoint.</summary>
public sealed class ReceiverRefusalTests : IAsyncLifetime
{
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly HandlerLog _log = new();
    private LoopbackApp _app = null!;

    public async Task InitializeAsync() => _app = await LoopbackApp.StartAsync(
        services =>
        {
            services.AddSingleton<TimeProvider>(_time);
            services.AddSingleton(_log);
            services.AddScoped<IWebHookHandler<OrderCreated>, OrderCreatedHandler>();
            services.AddWebHooks().AddReceiver("shop", o => o.Secrets.Add(Secret.Reveal()));
        },
        app => app.MapWebHookReceiver("/webhooks", TestDispatcher.Instance, "shop"));

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private IEnumerable<string> ReceiverLines(string level) =>
        _app.Logs.Lines.Where(l => l.StartsWith(level + " Hooks.Receiving:", StringComparison.Ordinal));

    private async Task RefuseAsync(int wrongSignatures, int notJson = 0, int missingSignature = 0)
    {
        for (var i = 0; i < wrongSignatures; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await _app.Client.SendAsync(SignedRequests.Order(WebHookSecret.Generate()))).StatusCode);
        }
        for (var i = 0; i < notJson; i++)
        {
            var request = SignedRequests.Create(Secret, "/webhooks", "{}", contentType: "text/plain");
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await _app.Client.SendAsync(request)).StatusCode);
        }
        for (var i = 0; i < missingSignature; i++)
        {
            var request = SignedRequests.Order(Secret);
            request.Headers.Remove("webhook-signature");
            Assert.Equal(HttpStatusCode.BadRequest, (await _app.Client.SendAsync(request)).StatusCode);
        }
    }

    [Fact]
    public async Task Each_refusal_logs_at_debug_and_nothing_above_it()
    {
        await RefuseAsync(wrongSignatures: 3, notJson: 2, missingSignature: 1);

        Assert.Equal(6, ReceiverLines("Debug").Count(l => l.Contains("refused a request", StringComparison.Ordinal)));
        Assert.Empty(ReceiverLines("Information"));
        Assert.Empty(ReceiverLines("Warning"));
    }

    [Fact]
    public async Task A_burst_of_refusals_is_summarised_at_warning_a_minute_later_counted_by_reason()
    {
        await RefuseAsync(wrongSignatures: 3, notJson: 2, missingSignature: 1);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(ReceiverLines("Warning"));

        _time.Advance(TimeSpan.FromSeconds(1));

        var summary = Assert.Single(ReceiverLines("Warning"));
        Assert.Contains("shop", summary, StringComparison.Ordinal);
        Assert.Contains("refused 6 requests", summary, StringComparison.Ordinal);
        Assert.Contains("401 no matching signature: 3", summary, StringComparison.Ordinal);
        Assert.Contains("415 not JSON: 2", summary, StringComparison.Ordinal);
        Assert.Contains("400 missing header: 1", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summaries_come_at_most_once_a_minute_and_not_at_all_when_nothing_was_refused()
    {
        await RefuseAsync(wrongSignatures: 2);
        _time.Advance(TimeSpan.FromSeconds(30));
        await RefuseAsync(wrongSignatures: 2);
        _time.Advance(TimeSpan.FromSeconds(30));
        var first = Assert.Single(ReceiverLines("Warning"));
        Assert.Contains("refused 4 requests", first, StringComparison.Ordinal);

        await RefuseAsync(wrongSignatures: 1);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Single(ReceiverLines("Warning"));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, ReceiverLines("Warning").Count());
        Assert.Contains("refused 1 requests", ReceiverLines("Warning").Last(), StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(2, ReceiverLines("Warning").Count());
    }

    [Fact]
    public async Task A_genuine_message_is_neither_refused_nor_summarised()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await _app.Client.SendAsync(SignedRequests.Order(Secret))).StatusCode);
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Empty(ReceiverLines("Warning"));
        Assert.DoesNotContain(_app.Logs.Lines, l => l.Contains("refused", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, "webhook-signature")]
    [InlineData(true, "svix-signature")]
    public async Task Unauthorized_answers_carry_www_authenticate_and_name_the_signature_header_that_was_sent(bool svix, string header)
    {
        var request = SignedRequests.Create(WebHookSecret.Generate(), "/webhooks",
            SignedRequests.Envelope("order.created", "{\"OrderId\":\"o\",\"Total\":1}"), svixHeaders: svix);
        var signature = request.Headers.GetValues(header).Single();

        var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Webhook-Signature", challenge.Scheme);
        var detail = await DetailAsync(response);
        Assert.Contains(header, detail, StringComparison.Ordinal);
        Assert.DoesNotContain(svix ? "webhook-" : "svix-", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(signature[3..], await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, _log.Count);
    }

    [Theory]
    [InlineData(false, "webhook-timestamp")]
    [InlineData(true, "svix-timestamp")]
    public async Task A_stale_timestamp_answer_names_the_timestamp_header_that_was_sent(bool svix, string header)
    {
        var stale = _time.GetUtcNow().ToUnixTimeSeconds() - 3600;
        var request = SignedRequests.Create(Secret, "/webhooks",
            SignedRequests.Envelope("order.created", "{\"OrderId\":\"o\",\"Total\":1}"), timestamp: stale, svixHeaders: svix);

        var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Webhook-Signature", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        var detail = await DetailAsync(response);
        Assert.Contains(header, detail, StringComparison.Ordinal);
        Assert.DoesNotContain(stale.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_header_among_svix_headers_is_named_by_its_svix_name()
    {
        var request = SignedRequests.Create(Secret, "/webhooks",
            SignedRequests.Envelope("order.created", "{\"OrderId\":\"o\",\"Total\":1}"), svixHeaders: true);
        request.Headers.Remove("svix-signature");

        var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Equal("The svix-signature header is missing.", await DetailAsync(response));
    }

    [Theory]
    [InlineData(false, "The webhook-timestamp header is malformed.")]
    [InlineData(true, "The svix-timestamp header is malformed.")]
    public async Task A_malformed_header_is_named_as_it_was_sent(bool svix, string expected)
    {
        var request = SignedRequests.Create(Secret, "/webhooks",
            SignedRequests.Envelope("order.created", "{\"OrderId\":\"o\",\"Total\":1}"), svixHeaders: svix);
        var name = svix ? "svix-timestamp" : "webhook-timestamp";
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, "12x4");

        var response = await _app.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(expected, await DetailAsync(response));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("detail").GetString()!;
    }
}
