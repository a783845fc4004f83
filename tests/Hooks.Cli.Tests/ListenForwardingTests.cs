using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Hooks.Cli.Listen;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hooks.Cli.Tests;

/// <summary>
/// <c>hooks listen</c>'s forwarding rules, in-process: its endpoint on real Kestrel on loopback (what the reversed
/// connections reach), signed requests sent to it over real HTTP, and a real local receiver behind it.
/// </summary>
public sealed class ListenForwardingTests : IAsyncLifetime
{
    private readonly WebHookSecret _secret = WebHookSecret.Generate();
    private readonly StringWriter _out = new();
    private Receiver _local = null!;
    private LoopbackApp _relay = null!;

    public async Task InitializeAsync()
    {
        _local = await Receiver.StartAsync();
        _relay = await StartRelayAsync(_local.Url);
    }

    public async Task DisposeAsync()
    {
        await _relay.DisposeAsync();
        await _local.DisposeAsync();
    }

    private async Task<LoopbackApp> StartRelayAsync(Uri forward, string? path = null)
    {
        var settings = new ListenSettings(new Uri("http://producer.invalid/webhooks/ptth"), "sub_test", _secret, forward) { Path = path, Timeout = TimeSpan.FromSeconds(10) };
        var console = new CliConsole(_out, TextWriter.Null, () => Stream.Null, _ => null);
        var forwarder = new DeliveryForwarder(settings, ListenRelay.CreateClient(), new WebHookVerifier(_secret), new ListenOutput(console, json: false, 1),
            TimeProvider.System);
        return await LoopbackApp.StartAsync(_ => { }, app => app.Run(forwarder.HandleAsync));
    }

    [Fact]
    public async Task Forwards_a_verified_delivery_with_its_headers_and_body_unchanged_and_prints_a_line()
    {
        using var request = SignedRequests.Order(_secret, "/webhooks/in?x=1", id: "msg_forward1");
        request.Headers.TryAddWithoutValidation("webhook-attempt", "3");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");
        request.Headers.UserAgent.ParseAdd("Hooks/1.0");
        var body = await request.Content!.ReadAsByteArrayAsync();

        using var response = await _relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = await _local.NextAsync();
        Assert.Equal("/hook", received.Path);
        Assert.Equal(body, received.Body);
        Assert.Equal("msg_forward1", received.Header("webhook-id"));
        Assert.Equal(request.Headers.GetValues("webhook-signature").Single(), received.Header("webhook-signature"));
        Assert.Equal(request.Headers.GetValues("webhook-timestamp").Single(), received.Header("webhook-timestamp"));
        Assert.Equal("3", received.Header("webhook-attempt"));
        Assert.Equal("kept", received.Header("x-custom"));
        Assert.Equal("Hooks/1.0", received.Header("user-agent"));
        Assert.Equal("application/json", received.Header("content-type"));
        Assert.True(new WebHookVerifier(_secret).Verify(received.Header("webhook-id"), received.Header("webhook-timestamp"),
            received.Header("webhook-signature"), received.Body).IsValid);
        Assert.Matches(@"^\d\d:\d\d:\d\d  msg_forward1  order\.created  200  \d+ ms  attempt 3\r?\n$", _out.ToString());
    }

    [Fact]
    public async Task Hop_by_hop_headers_and_those_the_connection_header_names_are_not_forwarded()
    {
        using var request = SignedRequests.Order(_secret);
        request.Headers.Connection.Add("x-hop");
        request.Headers.TryAddWithoutValidation("X-Hop", "this hop only");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=5");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.TryAddWithoutValidation("X-End-To-End", "kept");

        using var response = await _relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = await _local.NextAsync();
        Assert.Equal("kept", received.Header("x-end-to-end"));
        foreach (var name in new[] { "x-hop", "keep-alive", "proxy-authorization", "connection", "transfer-encoding", "upgrade" })
        {
            Assert.False(received.Headers.ContainsKey(name), name);
        }
        Assert.NotEqual(_relay.Address.Authority, received.Header("host"));
    }

    [Fact]
    public async Task The_local_apps_status_headers_and_body_come_back_and_its_hop_by_hop_headers_do_not()
    {
        _local.Respond = async (ctx, _) =>
        {
            ctx.Response.StatusCode = 500;
            ctx.Response.Headers["X-Local"] = "answer";
            ctx.Response.Headers["Retry-After"] = "7";
            ctx.Response.Headers.Connection = "x-private";
            ctx.Response.Headers["X-Private"] = "hop";
            await ctx.Response.WriteAsync("local failure");
        };
        using var request = SignedRequests.Order(_secret, id: "msg_fail1");

        using var response = await _relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("local failure", await response.Content.ReadAsStringAsync());
        Assert.Equal("answer", response.Headers.GetValues("X-Local").Single());
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.False(response.Headers.Contains("X-Private"));
        Assert.Contains("  msg_fail1  order.created  500  ", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_local_apps_answer_body_is_passed_back_up_to_64_KiB()
    {
        _local.Respond = (ctx, _) => ctx.Response.Body.WriteAsync(new byte[DeliveryForwarder.MaxAnswerBytes * 3]).AsTask();
        using var request = SignedRequests.Order(_secret);

        using var response = await _relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DeliveryForwarder.MaxAnswerBytes, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_delivery_body_over_the_limit_is_answered_413_and_not_forwarded()
    {
        var big = SignedRequests.Envelope("order.created", $"{{\"pad\":\"{new string('a', DeliveryForwarder.MaxBodyBytes)}\"}}");
        using var tooBig = SignedRequests.Create(_secret, "/webhooks", big);
        using var chunked = SignedRequests.Create(_secret, "/webhooks", big);
        chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))); // no Content-Length: sent chunked

        using var refused = await _relay.Client.SendAsync(tooBig);
        using var refusedChunked = await _relay.Client.SendAsync(chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refusedChunked.StatusCode);
        await AssertNextForwardedIsAsync("msg_after_big");
    }

    [Fact]
    public async Task A_forged_delivery_is_answered_401_with_the_reason_and_not_forwarded()
    {
        using var forged = SignedRequests.Order(WebHookSecret.Generate(), id: "msg_forged");
        using var stale = SignedRequests.Create(_secret, "/webhooks", SignedRequests.Envelope("order.created", "{}"), id: "msg_stale",
            timestamp: DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds());

        using var forgedAnswer = await _relay.Client.SendAsync(forged);
        using var staleAnswer = await _relay.Client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.Unauthorized, forgedAnswer.StatusCode);
        Assert.Equal("application/problem+json", forgedAnswer.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await forgedAnswer.Content.ReadAsStringAsync());
        Assert.Equal("No signature in webhook-signature matches a configured secret.", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, staleAnswer.StatusCode);
        Assert.Contains("  msg_forged  order.created  401  ", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("not forwarded: No signature", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("  msg_stale  order.created  401  ", _out.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_secret.Reveal(), _out.ToString(), StringComparison.Ordinal);
        await AssertNextForwardedIsAsync("msg_after_forged");
    }

    [Fact]
    public async Task The_local_app_being_down_is_answered_502_so_the_producer_retries()
    {
        await using var relay = await StartRelayAsync(new Uri($"http://127.0.0.1:{ClosedPort()}/webhooks"));
        using var request = SignedRequests.Order(_secret, id: "msg_down");

        using var response = await relay.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("The local app is not answering", problem.RootElement.GetProperty("title").GetString());
        Assert.DoesNotContain("127.0.0.1", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("  msg_down  order.created  502  ", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("(could not forward to http://127.0.0.1:", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_producers_liveness_ping_is_answered_without_forwarding()
    {
        using var ping = new HttpRequestMessage(HttpMethod.Options, "/");

        using var response = await _relay.Client.SendAsync(ping);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("", _out.ToString());
        await AssertNextForwardedIsAsync("msg_after_ping");
    }

    [Fact]
    public async Task With_a_path_only_deliveries_to_that_path_are_forwarded()
    {
        await using var relay = await StartRelayAsync(_local.Url, path: "/webhooks");
        using var other = SignedRequests.Order(_secret, "/elsewhere");
        using var wanted = SignedRequests.Order(_secret, "/webhooks", id: "msg_wanted");

        using var refused = await relay.Client.SendAsync(other);
        using var forwarded = await relay.Client.SendAsync(wanted);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, forwarded.StatusCode);
        Assert.Equal("msg_wanted", (await _local.NextAsync()).Header("webhook-id"));
    }

    [Fact]
    public void The_event_type_is_read_from_the_envelope_and_anything_else_prints_no_type()
    {
        Assert.Equal("order.created", DeliveryForwarder.EventType("{\"data\":{\"type\":\"inner\"},\"type\":\"order.created\"}"u8));
        Assert.Null(DeliveryForwarder.EventType("not json"u8));
        Assert.Null(DeliveryForwarder.EventType("{\"type\":\"line\\nbreak\"}"u8));
        Assert.Null(DeliveryForwarder.EventType("[1]"u8));
    }

    /// <summary>Nothing refused reached the local app: the next request it gets is the valid one sent after.</summary>
    private async Task AssertNextForwardedIsAsync(string id)
    {
        using var valid = SignedRequests.Order(_secret, id: id);
        using var answer = await _relay.Client.SendAsync(valid);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(id, (await _local.NextAsync()).Header("webhook-id"));
    }

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
