using System.Globalization;
using System.Text.Json;
using Hooks.Cli.Tests.Infrastructure;
using Hooks.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Hooks.Cli.Tests;

/// <summary>The command tree run in-process: help, usage errors, and the outputs scripts rely on.</summary>
public sealed class CommandTests
{
    [Fact]
    public async Task Help_names_every_command_the_variables_and_the_exit_codes()
    {
        var run = await InProcessCli.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "send <url>", "sign", "verify", "secret", "subscriptions", "deliveries <subscription>",
                     "attempts <subscription> <delivery>", "redeliver <subscription> <message>", "recover <subscription>", "events", "listen <producer>" })
        {
            Assert.Contains("  " + command + " ", run.Out, StringComparison.Ordinal);
        }
        Assert.Contains("HOOKS_SECRET", run.Out, StringComparison.Ordinal);
        Assert.Contains("HOOKS_API_TOKEN", run.Out, StringComparison.Ordinal);
        Assert.Contains("Exit codes: 0 ok", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bare_hooks_shows_the_help()
    {
        var run = await InProcessCli.RunAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Usage:", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_help_lists_its_subcommands()
    {
        var run = await InProcessCli.RunAsync("subscriptions", "--help");

        foreach (var command in new[] { "list", "create", "get", "update", "enable", "disable", "rotate", "test", "delete" })
        {
            Assert.Contains("  " + command + " ", run.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("send", "http://127.0.0.1:1/webhooks")]                       // --type is required
    [InlineData("subscriptions")]                                           // which subcommand?
    [InlineData("deliveries", "sub_1", "--status", "lost")]                 // not a state
    [InlineData("attempts", "sub_1", "not-a-number")]
    [InlineData("listen", "http://127.0.0.1:1", "--subscription", "sub_1")]                                // --forward is required
    [InlineData("listen", "http://127.0.0.1:1", "--subscription", "sub_1", "--forward", "http://127.0.0.1:2/", "--connections", "0")]
    public async Task Usage_errors_exit_2_and_point_to_help(params string[] args)
    {
        var run = await InProcessCli.RunAsync(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://producer.example/", "http://127.0.0.1:2/webhooks", "<producer> must be an absolute http:// or https:// URL.")]
    [InlineData("http://127.0.0.1:1/", "/webhooks", "--forward must be an absolute http:// or https:// URL.")]
    public async Task Listen_refuses_urls_it_cannot_use_before_dialling(string producer, string forward, string message)
    {
        var secret = WebHookSecret.Generate().Reveal();

        var run = await InProcessCli.RunAsync(["listen", producer, "--subscription", "sub_1", "--secret", secret, "--forward", forward]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Equal("error: " + message, run.Error.Trim());
    }

    [Fact]
    public async Task Listen_reads_the_secret_from_HOOKS_SECRET_and_never_prints_a_malformed_one()
    {
        var missing = await InProcessCli.RunAsync(["listen", "http://127.0.0.1:1", "--subscription", "sub_1", "--forward", "http://127.0.0.1:2/"]);
        var malformed = await InProcessCli.RunAsync(["listen", "http://127.0.0.1:1", "--subscription", "sub_1", "--forward", "http://127.0.0.1:2/"],
            new Dictionary<string, string> { ["HOOKS_SECRET"] = "whsec_not-base64!" });

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("pass --secret whsec_… or set HOOKS_SECRET", missing.Error, StringComparison.Ordinal);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains("The secret in HOOKS_SECRET is not usable", malformed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not-base64", malformed.All, StringComparison.Ordinal);
    }

    [Fact]
    public void A_producer_url_with_no_path_gets_the_default_upgrade_path()
    {
        Assert.Equal("https://producer.example/webhooks/ptth", Listen.ListenCommand.ProducerUrl("https://producer.example").ToString());
        Assert.Equal("https://producer.example/custom/ptth", Listen.ListenCommand.ProducerUrl("https://producer.example/custom/ptth").ToString());
    }

    [Fact]
    public async Task Secret_new_prints_a_secret_the_runtime_parses_and_a_new_one_each_time()
    {
        var first = await InProcessCli.RunAsync("secret", "new");
        var second = await InProcessCli.RunAsync("secret", "new", "--json");

        Assert.Equal(0, first.ExitCode);
        var one = WebHookSecret.Parse(first.Out.Trim());
        using var json = JsonDocument.Parse(second.Out);
        var two = WebHookSecret.Parse(json.RootElement.GetProperty("secret").GetString());
        Assert.False(one.KeyEquals(two));
    }

    [Fact]
    public async Task Sign_with_a_fixed_id_and_timestamp_prints_the_runtimes_signature_as_json()
    {
        var secret = WebHookSecret.Generate();
        var run = await InProcessCli.RunAsync(["sign", "--id", "msg_fixed", "--timestamp", "1796000000", "--body", """{"a":1}""", "--json"],
            new Dictionary<string, string> { ["HOOKS_SECRET"] = secret.Reveal() });

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal("msg_fixed", json.RootElement.GetProperty("webhook-id").GetString());
        Assert.Equal("1796000000", json.RootElement.GetProperty("webhook-timestamp").GetString());
        Assert.Equal(WebHookSigner.Sign(secret, "msg_fixed", 1796000000, """{"a":1}"""u8), json.RootElement.GetProperty("webhook-signature").GetString());
    }

    [Fact]
    public async Task Sign_with_no_body_piped_in_says_how_to_give_one_instead_of_waiting()
    {
        var run = await InProcessCli.RunAsync(["sign", "--secret", WebHookSecret.Generate().Reveal()]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("No body: pipe one in", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("msg 1")]
    [InlineData("msg_é")]
    [InlineData("")]
    public async Task An_id_a_receiver_would_refuse_is_a_usage_error(string id)
    {
        var run = await InProcessCli.RunAsync(["sign", "--secret", WebHookSecret.Generate().Reveal(), "--body", "{}", "--id", id]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--id must be 1 to 256 printable ASCII characters", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_needing_a_secret_without_one_says_how_to_give_it()
    {
        var run = await InProcessCli.RunAsync("sign", "--body", "x");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--secret whsec_… or set HOOKS_SECRET", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_secret_in_the_variable_is_named_as_such_and_not_echoed()
    {
        var run = await InProcessCli.RunAsync(["sign", "--body", "x"], new Dictionary<string, string> { ["HOOKS_SECRET"] = "sk_live_abcdef" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("The secret in HOOKS_SECRET is not usable: The webhook secret does not start with 'whsec_'.", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_live_abcdef", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_accepts_svix_header_names_and_reports_json()
    {
        var secret = WebHookSecret.Generate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = """{"type":"x","data":{}}"""u8.ToArray();
        var run = await InProcessCli.RunAsync(["verify", "--secret", secret.Reveal(), "--json",
            "-H", "svix-id: msg_1", "-H", $"svix-timestamp: {now.ToString(CultureInfo.InvariantCulture)}", "-H", $"svix-signature: {WebHookSigner.Sign(secret, "msg_1", now, body)}"],
            stdin: body);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Out);
        Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("valid", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Verify_json_names_the_failing_header_and_status()
    {
        var run = await InProcessCli.RunAsync(["verify", "--secret", WebHookSecret.Generate().Reveal(), "--timestamp", "1", "--signature", "v1,x", "--json"],
            stdin: "{}"u8.ToArray());

        Assert.Equal(1, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("missingHeader", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("webhook-id", json.RootElement.GetProperty("header").GetString());
    }

    [Fact]
    public async Task Send_with_data_that_is_not_json_is_a_usage_error_and_sends_nothing()
    {
        // Nothing listens on the port: had the tool tried to send, it would exit 4.
        var run = await InProcessCli.RunAsync(["send", $"http://127.0.0.1:{ToolSigningTests.ClosedPort()}/webhooks", "--type", "order.created", "--data", "{orderId:1}"],
            new Dictionary<string, string> { ["HOOKS_SECRET"] = WebHookSecret.Generate().Reveal() });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--data is not valid JSON.", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_reads_data_from_a_file_and_json_output_carries_the_receivers_answer()
    {
        var secret = WebHookSecret.Generate();
        await using var receiver = await ReceiverApp.StartAsync(secret);
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """{"orderId":"o-file","total":2}""");
        try
        {
            var run = await InProcessCli.RunAsync(["send", receiver.Url.ToString(), "--secret", secret.Reveal(), "-t", "order.created", "-d", "@" + file,
                "--id", "msg_from_file", "--json"]);

            Assert.True(run.ExitCode == 0, run.ToString());
            using var json = JsonDocument.Parse(run.Out);
            Assert.Equal(204, json.RootElement.GetProperty("status").GetInt32());
            Assert.True(json.RootElement.GetProperty("accepted").GetBoolean());
            Assert.Equal("msg_from_file", json.RootElement.GetProperty("id").GetString());
            var (order, context) = Assert.Single(receiver.Log.Calls);
            Assert.Equal("o-file", ((Hooks.Tests.Infrastructure.OrderCreated)order).OrderId);
            Assert.Equal("msg_from_file", context.MessageId);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_management_command_without_an_api_says_where_to_give_it()
    {
        var run = await InProcessCli.RunAsync("subscriptions", "list");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--api <url> or set HOOKS_API_URL", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Update_with_nothing_to_change_is_a_usage_error()
    {
        var run = await InProcessCli.RunAsync(["subscriptions", "update", "sub_1"], new Dictionary<string, string> { ["HOOKS_API_URL"] = "http://127.0.0.1:1/api" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Nothing to change", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Management_commands_send_the_token_from_the_variable_and_print_tables()
    {
        await using var producer = await ProducerWithApi.StartAsync();

        var created = await InProcessCli.RunAsync(["subscriptions", "create", "--url", producer.Receiver.Url.ToString(), "-e", "order.*"], producer.Environment);

        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Matches(@"Created sub_\S+\.", created.Out);
        Assert.Matches(@"event types\s+order\.\*", created.Out);
        Assert.Matches(@"secret\s+whsec_", created.Out);
        var list = await InProcessCli.RunAsync(["subscriptions", "list", "--limit", "1"], producer.Environment);
        Assert.Matches(@"ID\s+STATUS\s+URL\s+EVENT TYPES\s+DESCRIPTION", list.Out);
        Assert.DoesNotContain(ProducerWithApi.Token, created.All + list.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirecting_api_is_not_followed_and_the_error_names_where_it_points()
    {
        await using var app = await Hooks.Tests.Infrastructure.LoopbackApp.StartAsync(_ => { }, a => a.Run(context =>
        {
            context.Response.StatusCode = 301;
            context.Response.Headers.Location = "https://elsewhere.example/api/webhooks/event-types";
            return Task.CompletedTask;
        }));

        var run = await InProcessCli.RunAsync("events", "--api", new Uri(app.Address, "/api/webhooks").ToString());

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("301 Moved Permanently to GET /api/webhooks/event-types", run.Error, StringComparison.Ordinal);
        Assert.Contains("Location: https://elsewhere.example/api/webhooks/event-types (redirects are not followed", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 30 * 60)]
    [InlineData("2h", 2 * 3600)]
    [InlineData("7d", 7 * 86400)]
    public void Since_takes_a_duration_back_from_now(string text, int seconds)
    {
        var now = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(now.AddSeconds(-seconds), Inputs.Time(text, "--since", new FixedTime(now)));
    }

    [Fact]
    public void Since_takes_an_iso_time_and_refuses_anything_else()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero), Inputs.Time("2026-11-01T10:00:00Z", "--since", TimeProvider.System));
        var failure = Assert.Throws<CliFailure>(() => Inputs.Time("yesterday", "--since", TimeProvider.System));
        Assert.Equal(ExitCodes.Usage, failure.ExitCode);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
