using System.Net;
using System.Text.Json;
using Hooks.Cli.Tests.Infrastructure;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Cli.Tests;

/// <summary><c>hooks feed</c> in process against a real producer app on loopback with its feed mapped.</summary>
public sealed class FeedCommandTests : IAsyncLifetime
{
    private const string SubscriptionId = "sub_cli_feed";
    private FeedProducerApp _producer = null!;
    private readonly List<string> _ids = [];

    private WebHookSecret Secret => _producer.Secret;

    private string Feed => _producer.Feed;

    public async Task InitializeAsync()
    {
        _producer = await FeedProducerApp.StartAsync(SubscriptionId);
        for (var i = 1; i <= 3; i++)
        {
            _ids.Add((await _producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", i))).MessageId);
        }
    }

    public async Task DisposeAsync() => await _producer.DisposeAsync();

    [Fact]
    public async Task Feed_lists_the_subscriptions_events_and_the_cursor_to_resume_from()
    {
        var run = await InProcessCli.RunAsync(["feed", "--url", Feed, "--subscription", SubscriptionId, "--limit", "2"],
            new Dictionary<string, string> { ["HOOKS_SECRET"] = Secret.Reveal() });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches($@"1\s+{_ids[0]}\s+order\.created\s+\S+\s+\S+", run.Out);
        Assert.Matches($@"2\s+{_ids[1]}\s+order\.created", run.Out);
        Assert.DoesNotContain(_ids[2], run.Out, StringComparison.Ordinal);
        Assert.Contains("next: 2 (more: run again with --after 2)", run.Out, StringComparison.Ordinal);

        var rest = await InProcessCli.RunAsync("feed", "--url", Feed, "--subscription", SubscriptionId, "--secret", Secret.Reveal(), "--after", "2");
        Assert.True(rest.ExitCode == 0, rest.ToString());
        Assert.Matches($@"3\s+{_ids[2]}\s+order\.created", rest.Out);
        Assert.Contains("next: 3 (at the head", rest.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feed_json_prints_the_page_as_the_producer_sent_it_with_each_body_as_delivered()
    {
        var run = await InProcessCli.RunAsync("feed", "--url", _producer.Address.ToString(), "--subscription", SubscriptionId, "--secret", Secret.Reveal(),
            "--since", "1h", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var page = JsonDocument.Parse(run.Out);
        var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(_ids, events.Select(e => e.GetProperty("id").GetString()));
        var store = _producer.Store;
        foreach (var e in events)
        {
            var message = await store.GetMessageAsync(e.GetProperty("id").GetString()!);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(message!.Body.Span), e.GetProperty("body").GetRawText());
        }
        Assert.Equal(3, page.RootElement.GetProperty("next").GetInt64());
        Assert.True(page.RootElement.GetProperty("atHead").GetBoolean());
    }

    [Fact]
    public async Task A_wrong_secret_exits_3_with_the_producers_problem_and_never_prints_the_secret()
    {
        var wrong = WebHookSecret.Generate();

        var run = await InProcessCli.RunAsync("feed", "--url", Feed, "--subscription", SubscriptionId, "--secret", wrong.Reveal());

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("401", run.Error, StringComparison.Ordinal);
        Assert.Contains("does not prove possession", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong.Reveal(), run.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--limit", "0")]
    [InlineData("--limit", "1001")]
    [InlineData("--after", "-1")]
    public async Task Out_of_range_options_are_usage_errors(string option, string value)
    {
        var run = await InProcessCli.RunAsync("feed", "--url", Feed, "--subscription", SubscriptionId, "--secret", Secret.Reveal(), option, value);

        Assert.True(run.ExitCode == 2, run.ToString());
    }

    [Fact]
    public async Task After_and_since_together_are_a_usage_error_and_no_secret_is_one_too()
    {
        var both = await InProcessCli.RunAsync("feed", "--url", Feed, "--subscription", SubscriptionId, "--secret", Secret.Reveal(), "--after", "1", "--since", "1h");
        var none = await InProcessCli.RunAsync("feed", "--url", Feed, "--subscription", SubscriptionId);

        Assert.True(both.ExitCode == 2, both.ToString());
        Assert.True(none.ExitCode == 2, none.ToString());
        Assert.Contains("HOOKS_SECRET", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_producer_that_is_not_there_exits_4()
    {
        var run = await InProcessCli.RunAsync("feed", "--url", "http://127.0.0.1:1/webhooks/feed", "--subscription", SubscriptionId, "--secret", Secret.Reveal());

        Assert.True(run.ExitCode == 4, run.ToString());
    }
}
