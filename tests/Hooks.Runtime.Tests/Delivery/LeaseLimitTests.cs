using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Delivery;

/// <summary>
/// The dispatcher leases only what it can send: a subscription holds at most its concurrency limit in leases, whatever
/// its backlog, and nothing leased waits idle behind it.
/// </summary>
public sealed class LeaseLimitTests
{
    [Fact]
    public async Task A_dead_subscription_with_a_big_backlog_never_holds_more_leases_than_its_limit()
    {
        const int Backlog = 150;
        await using var producer = await TestProducer.StartAsync(o => { o.MaxConcurrency = 16; o.MaxConcurrencyPerSubscription = 2; });
        await using var dead = await Receiver.StartAsync();
        await using var live = await Receiver.StartAsync();
        var release = new TaskCompletionSource();
        dead.Respond = async (ctx, _) =>
        {
            await release.Task.WaitAsync(ctx.RequestAborted);
            ctx.Response.StatusCode = 200;
        };
        var stuck = await producer.SubscribeAsync(dead.Url, null, "order.created");
        var other = await producer.SubscribeAsync(live.Url, null, "customer.created");

        for (var i = 0; i < Backlog; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", 1));
        }
        await dead.NextAsync();
        await dead.NextAsync();
        // Another subscription's event, published behind the backlog, is sent while the dead one holds its two.
        await producer.Publisher.PublishAsync(new CustomerCreated("c-1"));
        await live.NextAsync();
        Assert.Equal(2, producer.Store.MostLeasesHeld(stuck.Id));

        release.SetResult();
        for (var i = 2; i < Backlog; i++)
        {
            await dead.NextAsync();
        }
        Assert.Equal(2, producer.Store.MostLeasesHeld(stuck.Id));
        Assert.Equal(1, producer.Store.MostLeasesHeld(other.Id));
    }

    [Fact]
    public async Task Each_push_carries_its_subscriptions_sequence_number()
    {
        await using var producer = await TestProducer.StartAsync(o => o.MaxConcurrency = 1);
        await using var a = await Receiver.StartAsync();
        await using var b = await Receiver.StartAsync();
        await producer.SubscribeAsync(a.Url, null, "order.*");
        await producer.SubscribeAsync(b.Url, null, "order.created");

        await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await producer.Publisher.PublishAsync(new OrderCancelled("o-1"));
        await producer.Publisher.PublishAsync(new OrderCreated("o-2", 1));

        var toA = new[] { await a.NextAsync(), await a.NextAsync(), await a.NextAsync() };
        var toB = new[] { await b.NextAsync(), await b.NextAsync() };
        Assert.Equal(["1", "2", "3"], toA.Select(r => r.Header(WebHookHeaders.Sequence)));
        Assert.Equal(["1", "2"], toB.Select(r => r.Header(WebHookHeaders.Sequence)));
    }
}

/// <summary>Retention: finished history older than the window is purged in the background.</summary>
public sealed class RetentionTests
{
    [Fact]
    public async Task Finished_messages_older_than_the_retention_window_are_purged_in_the_background()
    {
        await using var producer = await TestProducer.StartAsync(o => { o.Retention = TimeSpan.FromDays(30); o.PurgeInterval = TimeSpan.FromHours(1); });
        await using var receiver = await Receiver.StartAsync();
        var subscription = await producer.SubscribeAsync(receiver.Url);
        var old = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1));
        await receiver.NextAsync();
        Assert.Equal(WebHookAttemptOutcome.Succeeded, (await producer.Store.NextAttemptAsync()).Attempt.Outcome);

        producer.Time.Advance(TimeSpan.FromDays(31));
        var purge = await producer.Store.NextPurgeAsync();

        Assert.Equal(producer.Time.GetUtcNow() - TimeSpan.FromDays(30), purge.Before);
        Assert.Equal(1, purge.Purged);
        Assert.Null(await producer.Store.GetMessageAsync(old.MessageId));
        Assert.True((await producer.Store.ReadFeedAsync(subscription.Id, 0, 10)).CursorExpired);
    }
}
