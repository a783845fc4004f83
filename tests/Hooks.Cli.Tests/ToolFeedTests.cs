using Hooks.Cli.Tests.Infrastructure;
using Hooks.Tests.Infrastructure;

namespace Hooks.Cli.Tests;

/// <summary><c>hooks feed --follow</c> as users run it: the packed tool as a process, against a real producer's feed.</summary>
[Collection(PackedToolCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ToolFeedTests(PackedTool tool)
{
    [Fact]
    public async Task Follow_prints_events_published_after_it_started_and_stops_on_ctrl_c()
    {
        await using var producer = await FeedProducerApp.StartAsync("sub_follow");
        var before = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await using var feed = tool.Start(["feed", "--url", producer.Address.ToString(), "--subscription", producer.SubscriptionId, "--follow",
            "--interval", "1", "--json"], new Dictionary<string, string> { ["HOOKS_SECRET"] = producer.Secret.Reveal() });

        await feed.NextLineAsync(l => l.Contains(before.MessageId, StringComparison.Ordinal), "the event published before");
        var after = await producer.Publisher.PublishAsync(new OrderCreated("o-2", 2));
        var line = await feed.NextLineAsync(l => l.Contains(after.MessageId, StringComparison.Ordinal), "the event published after");
        feed.Interrupt();

        Assert.DoesNotContain(before.MessageId, line, StringComparison.Ordinal); // read on from the cursor, not from the start
        Assert.Equal(130, await feed.ExitCodeAsync());
        Assert.DoesNotContain(producer.Secret.Reveal(), feed.Transcript, StringComparison.Ordinal);
    }
}
