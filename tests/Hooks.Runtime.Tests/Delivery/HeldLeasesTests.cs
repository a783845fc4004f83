using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Delivery;

/// <summary>
/// A dispatcher holds only the leases its workers can send, and twice as many queued for them: in a store shared by several
/// dispatchers a lease waiting in one dispatcher's queue counts against its subscription's limit and keeps the others
/// from sending it.
/// </summary>
public sealed class HeldLeasesTests
{
    [Fact]
    public async Task A_dispatcher_leases_no_more_than_three_times_its_workers_whatever_the_batch_size()
    {
        const int Workers = 4, Backlog = 60;
        await using var producer = await TestProducer.StartAsync(o =>
        {
            o.MaxConcurrency = Workers;
            o.MaxConcurrencyPerSubscription = 1000;
            o.LeaseBatchSize = 100;
        });
        await using var receiver = await Receiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = async (ctx, _) =>
        {
            await release.Task.WaitAsync(ctx.RequestAborted);
            ctx.Response.StatusCode = 200;
        };
        await producer.SubscribeAsync(receiver.Url);
        for (var i = 0; i < Backlog; i++)
        {
            await producer.Publisher.PublishAsync(new OrderCreated($"o-{i}", 1));
        }

        // Every worker waits on the endpoint for a while, then all of the backlog goes through.
        for (var i = 0; i < Workers; i++)
        {
            await receiver.NextAsync();
        }
        release.SetResult();
        for (var i = Workers; i < Backlog; i++)
        {
            await receiver.NextAsync();
        }

        // A lease ends when its result is recorded: never more held than the workers and twice as many queued for them.
        Assert.InRange(producer.Store.MostLeasesHeldInAll, Workers, 3 * Workers);
    }
}
