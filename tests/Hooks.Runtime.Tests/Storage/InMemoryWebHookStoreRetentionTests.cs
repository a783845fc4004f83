using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Storage;

// The store contract's tests (every store runs them) are in tests/Hooks.Storage.Tests/Producer/WebHookStoreConformance.cs;
// these pin what only the in-memory store does.
public sealed class InMemoryWebHookStoreRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Forgets_the_oldest_finished_messages_beyond_the_limit_but_keeps_pending_ones()
    {
        var store = new InMemoryWebHookStore(maxMessages: 2);
        await store.CreateSubscriptionAsync(new WebHookSubscription
        {
            Id = "sub_a",
            Url = new Uri("https://example.com/a"),
            Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
            Status = WebHookSubscriptionStatus.Enabled,
        });
        async Task<string> Append(string key) => (await store.AppendMessageAsync(new WebHookMessageDraft
        {
            Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
            IdempotencyKey = key,
        })).MessageId;

        var first = await Append("k1");
        var second = await Append("k2");
        var third = await Append("k3");
        Assert.NotNull(await store.GetMessageAsync(first)); // pending: kept although over the limit

        foreach (var lease in await store.LeaseDueAsync(T0, 10, int.MaxValue, TimeSpan.FromMinutes(1)))
        {
            await store.RecordAttemptsAsync([LeaseResults.Of(lease, WebHookDeliveryStatus.Succeeded, T0, outcome: WebHookAttemptOutcome.Succeeded)]);
        }
        var fourth = await Append("k4");

        Assert.Null(await store.GetMessageAsync(first));
        Assert.Null(await store.GetMessageAsync(second));
        Assert.NotNull(await store.GetMessageAsync(third));
        Assert.NotNull(await store.GetMessageAsync(fourth));
        Assert.Equal(2, (await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a" })).Count);
        var feed = await store.ReadFeedAsync("sub_a", 0, 10);
        Assert.Equal([third, fourth], feed.Entries.Select(e => e.Message.Id));
        Assert.True(feed.CursorExpired); // what was forgotten cannot be read: a feed from the start has a gap
        Assert.False((await store.AppendMessageAsync(new WebHookMessageDraft
        {
            Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
            IdempotencyKey = "k1",
        })).Duplicate); // the forgotten message's key is forgotten too
    }
}
