namespace Hooks.Storage.Tests.Producer;

// Many appends at once (a store may store them together): each caller gets the answer its own draft earns.
public abstract partial class WebHookStoreConformance
{
    [SkippableFact]
    public async Task Concurrent_appends_to_one_subscription_are_numbered_gaplessly_and_each_caller_gets_its_own_message()
    {
        const int Appends = 300;
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var drafts = Enumerable.Range(0, Appends).Select(i => Draft(at: T0.AddMilliseconds(i))).ToArray();

        // Started before any is awaited, so they are in flight together.
        var appends = drafts.Select(async d => await store.AppendMessageAsync(d)).ToArray();
        var results = await Task.WhenAll(appends);

        for (var i = 0; i < Appends; i++)
        {
            Assert.Equal(drafts[i].Message.Id, results[i].MessageId);
            Assert.False(results[i].Duplicate);
            Assert.Equal(1, results[i].Deliveries);
        }
        var feed = await store.ReadFeedAsync("sub_a", 0, Appends + 10);
        Assert.Equal(Enumerable.Range(1, Appends).Select(i => (long)i), feed.Entries.Select(e => e.Sequence));
        Assert.Equal(drafts.Select(d => d.Message.Id).Order(StringComparer.Ordinal),
            feed.Entries.Select(e => e.Message.Id).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task Among_concurrent_appends_a_used_id_fails_only_its_caller_and_a_used_key_returns_the_first_message()
    {
        const int Appends = 60;
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var stored = Draft(key: "stored");
        await store.AppendMessageAsync(stored);
        var drafts = Enumerable.Range(0, Appends).Select(i => Draft(at: T0.AddMilliseconds(i + 1))).ToArray();
        drafts[20] = drafts[20] with { Message = drafts[20].Message with { Id = stored.Message.Id } };
        drafts[30] = drafts[30] with { IdempotencyKey = "stored" };
        drafts[40] = drafts[40] with { IdempotencyKey = "new" };
        drafts[41] = drafts[41] with { IdempotencyKey = "new" };

        var appends = drafts.Select(async d => await store.AppendMessageAsync(d)).ToArray();
        await Task.WhenAll(appends).ContinueWith(_ => { }, TaskScheduler.Default);

        await Assert.ThrowsAsync<InvalidOperationException>(() => appends[20]);
        var again = await appends[30];
        Assert.True(again.Duplicate);
        Assert.Equal(stored.Message.Id, again.MessageId);
        var keyed = new[] { await appends[40], await appends[41] };
        Assert.Single(keyed, r => !r.Duplicate);
        Assert.Equal(keyed[0].MessageId, keyed[1].MessageId);
        for (var i = 0; i < Appends; i++)
        {
            if (i is not (20 or 30 or 40 or 41))
            {
                var result = await appends[i];
                Assert.Equal(drafts[i].Message.Id, result.MessageId);
                Assert.False(result.Duplicate);
            }
        }
        // The stored message, and one per draft but the used id, the used key and the second "new".
        var feed = await store.ReadFeedAsync("sub_a", 0, Appends + 10);
        Assert.Equal(Enumerable.Range(1, Appends - 2).Select(i => (long)i), feed.Entries.Select(e => e.Sequence));
    }
}
