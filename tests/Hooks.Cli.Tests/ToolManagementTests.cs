using System.Text.Json;
using System.Text.RegularExpressions;
using Hooks.Cli.Tests.Infrastructure;
using Hooks.Security;
using Hooks.Tests.Infrastructure;

namespace Hooks.Cli.Tests;

/// <summary>The management commands through the packed, installed tool against a real producer app on loopback.</summary>
[Collection(PackedToolCollection.Name)]
[Trait("Category", "Slow")]
public sealed partial class ToolManagementTests(PackedTool tool) : IAsyncLifetime
{
    private ProducerWithApi _producer = null!;

    public async Task InitializeAsync() => _producer = await ProducerWithApi.StartAsync();

    public async Task DisposeAsync() => await _producer.DisposeAsync();

    private Task<CliRun> Hooks(params string[] args) => tool.RunAsync(args, _producer.Environment);

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    [Fact]
    public async Task Create_list_publish_deliveries_attempts_redeliver_and_rotate_against_a_real_producer()
    {
        var events = Ok(await Hooks("events"));
        Assert.Matches(@"order\.created\s+An order was placed\.", events.Out);

        var created = Ok(await Hooks("subscriptions", "create", "--url", _producer.Receiver.Url.ToString(), "-e", "order.created",
            "--description", "cli test", "--metadata", "team=payments", "--json"));
        using var createdJson = JsonDocument.Parse(created.Out);
        var id = createdJson.RootElement.GetProperty("id").GetString()!;
        var secret = WebHookSecret.Parse(createdJson.RootElement.GetProperty("secret").GetString());
        Assert.Equal("enabled", createdJson.RootElement.GetProperty("status").GetString());

        var list = Ok(await Hooks("subscriptions", "list"));
        Assert.Matches($@"{id}\s+enabled\s+{Regex.Escape(_producer.Receiver.Url.ToString())}\s+order\.created\s+cli test", list.Out);
        var get = Ok(await Hooks("subscriptions", "get", id));
        Assert.Contains("team=payments", get.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(secret.Reveal(), list.Out + get.Out, StringComparison.Ordinal);

        // A delivery signed with the secret create printed.
        var published = await _producer.Publisher.PublishAsync(new OrderCreated("o-1", 5m));
        var first = await _producer.Receiver.NextAsync();
        Assert.True(new WebHookVerifier(secret).Verify(first.Header("webhook-id"), first.Header("webhook-timestamp"), first.Header("webhook-signature"), first.Body).IsValid);
        await _producer.Store.NextAttemptAsync();

        var deliveries = Ok(await Hooks("deliveries", id, "--json"));
        using var deliveriesJson = JsonDocument.Parse(deliveries.Out);
        var delivery = Assert.Single(deliveriesJson.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(published.MessageId, delivery.GetProperty("messageId").GetString());
        Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
        var deliveryId = delivery.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Matches($@"{deliveryId}\s+{published.MessageId}\s+order\.created\s+succeeded\s+1", Ok(await Hooks("deliveries", id)).Out);

        var attempts = Ok(await Hooks("attempts", id, deliveryId));
        Assert.Matches(@"1\s+\S+ \S+\s+\d+ ms\s+succeeded\s+200", attempts.Out);

        var redeliver = Ok(await Hooks("redeliver", id, published.MessageId));
        Assert.Contains($"Queued {published.MessageId} for {id} again.", redeliver.Out, StringComparison.Ordinal);
        var again = await _producer.Receiver.NextAsync();
        Assert.Equal(published.MessageId, again.Header("webhook-id"));

        var rotate = Ok(await Hooks("subscriptions", "rotate", id));
        var rotated = WebHookSecret.Parse(RevealedSecret().Match(rotate.Out).Groups[1].Value);
        Assert.False(rotated.KeyEquals(secret));
        Assert.Contains("only time the secret is shown", rotate.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(rotated.Reveal(), Ok(await Hooks("subscriptions", "get", id)).Out + Ok(await Hooks("subscriptions", "list", "--json")).Out,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disable_enable_recover_update_and_delete_change_the_subscription()
    {
        var created = Ok(await Hooks("subscriptions", "create", "--url", _producer.Receiver.Url.ToString(), "--json"));
        using var json = JsonDocument.Parse(created.Out);
        var id = json.RootElement.GetProperty("id").GetString()!;

        Assert.Contains("disabled (maintenance)", Ok(await Hooks("subscriptions", "disable", id, "--reason", "maintenance")).Out, StringComparison.Ordinal);
        var recover = Ok(await Hooks("recover", id, "--since", "2h"));
        Assert.Contains($"0 failed deliveries of {id}", recover.Out, StringComparison.Ordinal);
        Assert.Contains("disabled: nothing is sent until it is enabled", recover.Out, StringComparison.Ordinal);
        Assert.Matches(@"status\s+enabled", Ok(await Hooks("subscriptions", "enable", id)).Out);

        var updated = Ok(await Hooks("subscriptions", "update", id, "-e", "order.cancelled", "--description", "renamed"));
        Assert.Matches(@"event types\s+order\.cancelled", updated.Out);
        Assert.Matches(@"description\s+renamed", updated.Out);

        Assert.Contains($"Deleted {id}.", Ok(await Hooks("subscriptions", "delete", id)).Out, StringComparison.Ordinal);
        var gone = await Hooks("subscriptions", "get", id);
        Assert.True(gone.ExitCode == 3, gone.ToString());
        Assert.Contains("404 Not Found", gone.Error, StringComparison.Ordinal);
        Assert.Contains("No such subscription.", gone.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_errors_show_their_problem_details_and_exit_3()
    {
        var invalid = await Hooks("subscriptions", "create", "--url", "ftp://example.com/hook");
        Assert.True(invalid.ExitCode == 3, invalid.ToString());
        Assert.Contains("400 Bad Request", invalid.Error, StringComparison.Ordinal);
        Assert.Contains("The request is invalid.", invalid.Error, StringComparison.Ordinal);
        Assert.Matches(@"\n\s+url: \S", invalid.Error);

        var noToken = await tool.RunAsync(["subscriptions", "list", "--api", _producer.Api.ToString()]);
        Assert.True(noToken.ExitCode == 3, noToken.ToString());
        Assert.Contains("401 Unauthorized", noToken.Error, StringComparison.Ordinal);
        Assert.Contains("HOOKS_API_TOKEN", noToken.Error, StringComparison.Ordinal);

        var wrongToken = await tool.RunAsync(["subscriptions", "list", "--api", _producer.Api.ToString(), "--token", "not-it"]);
        Assert.True(wrongToken.ExitCode == 3, wrongToken.ToString());
        Assert.DoesNotContain("not-it", wrongToken.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_nothing_listens_on_exits_4()
    {
        var run = await tool.RunAsync("events", "--api", $"http://127.0.0.1:{ToolSigningTests.ClosedPort()}/api/webhooks");

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("could not reach", run.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"secret\s+(whsec_\S+)")]
    private static partial Regex RevealedSecret();
}
