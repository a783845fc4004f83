using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Hooks.Cli.Tests.Infrastructure;
using Hooks.Security;
using Hooks.Tests.Infrastructure;

namespace Hooks.Cli.Tests;

/// <summary>send, sign and verify through the packed, installed tool, against the runtime's real receiver and verifier.</summary>
[Collection(PackedToolCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ToolSigningTests(PackedTool tool)
{
    private static Dictionary<string, string> SecretVariable(WebHookSecret secret) => new() { ["HOOKS_SECRET"] = secret.Reveal() };

    [Fact]
    public async Task Send_to_a_Hooks_receiver_is_accepted_and_runs_its_handler()
    {
        var secret = WebHookSecret.Generate();
        await using var receiver = await ReceiverApp.StartAsync(secret);

        var run = await tool.RunAsync(["send", receiver.Url.ToString(), "--type", "order.created", "--data", """{"orderId":"o-7","total":12.5}"""],
            SecretVariable(secret));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("accepted: 204", run.Out, StringComparison.Ordinal);
        var (order, context) = Assert.Single(receiver.Log.Calls);
        Assert.Equal(new OrderCreated("o-7", 12.5m), order);
        Assert.Equal("order.created", context.EventType);
        Assert.Contains(context.MessageId, run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_with_a_wrong_secret_is_refused_with_exit_code_1_and_the_receivers_reason()
    {
        await using var receiver = await ReceiverApp.StartAsync(WebHookSecret.Generate());
        var wrong = WebHookSecret.Generate().Reveal();

        var run = await tool.RunAsync("send", receiver.Url.ToString(), "--secret", wrong, "--type", "order.created", "--data", """{"orderId":"o-8","total":1}""");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("refused: 401", run.Out, StringComparison.Ordinal);
        Assert.Contains("matches a configured secret", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, run.All, StringComparison.Ordinal);
        Assert.Empty(receiver.Log.Calls);
    }

    [Fact]
    public async Task Send_to_a_port_nothing_listens_on_exits_4()
    {
        var run = await tool.RunAsync(["send", $"http://127.0.0.1:{ClosedPort()}/webhooks", "--type", "order.created"], SecretVariable(WebHookSecret.Generate()));

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("could not reach http://127.0.0.1:", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_prints_headers_the_runtime_verifier_accepts_for_each_secret_given()
    {
        var current = WebHookSecret.Generate();
        var next = WebHookSecret.Generate();
        var body = Encoding.UTF8.GetBytes("""{"type":"order.created","timestamp":"2026-11-01T12:00:00Z","data":{"orderId":"o-1","total":3}}""" + "\n");

        var run = await tool.RunAsync(["sign", "--secret", current.Reveal(), "--secret", next.Reveal()], stdin: body);

        Assert.True(run.ExitCode == 0, run.ToString());
        var headers = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2))
            .ToDictionary(p => p[0], p => p[1].TrimEnd('\r'), StringComparer.Ordinal);
        Assert.Equal([WebHookHeaders.Id, WebHookHeaders.Timestamp, WebHookHeaders.Signature], headers.Keys);
        foreach (var secret in new[] { current, next })
        {
            var result = new WebHookVerifier(secret).Verify(headers[WebHookHeaders.Id], headers[WebHookHeaders.Timestamp], headers[WebHookHeaders.Signature], body);
            Assert.True(result.IsValid, result.Describe());
        }
        // The body as read from stdin, byte for byte: without its trailing newline it no longer verifies.
        Assert.False(new WebHookVerifier(current).Verify(headers[WebHookHeaders.Id], headers[WebHookHeaders.Timestamp], headers[WebHookHeaders.Signature],
            body.AsSpan(0, body.Length - 1)).IsValid);
    }

    public static TheoryData<string, int, string[]> FailureKinds => new()
    {
        { "valid", 0, ["valid: the signature matches"] },
        { "wrong-secret", 1, ["invalid: No signature in webhook-signature matches a configured secret.", "signed with another secret"] },
        { "changed-body", 1, ["invalid: No signature in webhook-signature matches", "the body, id or timestamp differ"] },
        { "too-old", 1, ["invalid: The webhook-timestamp is older than the tolerance allows.", "1 h 0 min old", "tolerance is 300 s"] },
        { "too-new", 1, ["invalid: The webhook-timestamp is further in the future than the tolerance allows.", "1 h 0 min ahead"] },
        { "missing-id", 1, ["invalid: The webhook-id header is missing.", "--id"] },
        { "malformed-timestamp", 1, ["invalid: The webhook-timestamp header is malformed.", "Unix seconds"] },
        { "no-v1-signature", 1, ["none is a v1 (HMAC-SHA256) signature"] },
        { "malformed-secret", 2, ["The secret is not usable: The webhook secret's key is shorter than 24 bytes."] },
    };

    [Theory]
    [MemberData(nameof(FailureKinds))]
    public async Task Verify_explains_each_failure_kind_without_printing_the_secret(string kind, int exitCode, string[] expected)
    {
        var secret = WebHookSecret.Generate();
        var body = Encoding.UTF8.GetBytes("""{"type":"order.created","timestamp":"2026-11-01T12:00:00Z","data":{}}""");
        var id = "msg_verify";
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // too-new: 30 s of slack, so the tool starting later than `now` still finds it "1 h 0 min ahead" (not 59 min 59 s).
        var timestamp = kind switch { "too-old" => now - 3600, "too-new" => now + 3630, _ => now };
        var signingSecret = kind == "wrong-secret" ? WebHookSecret.Generate() : secret;
        var signature = WebHookSigner.Sign(signingSecret, id, timestamp, kind == "changed-body" ? [.. body, (byte)' '] : body);
        var secretText = kind == "malformed-secret" ? "whsec_" + Convert.ToBase64String(new byte[10]) : secret.Reveal();
        var args = new List<string> { "verify", "--secret", secretText, "--body", "-" };
        if (kind != "missing-id") args.AddRange(["-H", $"webhook-id: {id}"]);
        args.AddRange(["-H", $"webhook-timestamp: {(kind == "malformed-timestamp" ? "12ab" : timestamp.ToString(CultureInfo.InvariantCulture))}"]);
        args.AddRange(["-H", $"webhook-signature: {(kind == "no-v1-signature" ? "v1a,AAAA" : signature)}"]);

        var run = await tool.RunAsync(args, stdin: body);

        Assert.True(run.ExitCode == exitCode, run.ToString());
        foreach (var text in expected)
        {
            Assert.Contains(text, run.All, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(secretText["whsec_".Length..], run.All, StringComparison.Ordinal);
    }

    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
