using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Storage;

public sealed class InMemoryWebHookStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static WebHookSubscription Subscription(string id, WebHookSubscriptionStatus status = WebHookSubscriptionStatus.Enabled, params string[] filters) => new()
    {
        Id = id,
        Url = new Uri("https://example.com/" + id),
        Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
        EventTypes = filters,
        Status = status,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    private static WebHookMessageDraft Draft(string type = "order.created", DateTimeOffset? at = null, string? key = null, string? only = null) => new()
    {
        Message = new WebHookMessage { Id = WebHookIds.NewMessageId(at ?? T0), EventType = type, Timestamp = at ?? T0, Body = "{}"u8.ToArray() },
        IdempotencyKey = key,
        SubscriptionId = only,
    };

    private static WebHookAttemptResult Result(WebHookLease lease, WebHookDeliveryStatus status, DateTimeOffset next = default, WebHookAttemptOutcome outcome = WebHookAttemptOutcome.HttpError) =>
        LeaseResults.Of(lease, status, T0, next, outcome);

    [Fact]
    public async Task Appends_one_delivery_per_enabled_matching_subscription()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", filters: "customer.created"));
        await store.CreateSubscriptionAsync(Subscription("sub_c", WebHookSubscriptionStatus.Pending));
        await store.CreateSubscriptionAsync(Subscription("sub_d", WebHookSubscriptionStatus.Disabled));
        await store.CreateSubscriptionAsync(Subscription("sub_e"));

        var result = await store.AppendMessageAsync(Draft());

        Assert.Equal(2, result.Deliveries);
        var leases = await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1));
        Assert.Equal(["sub_a", "sub_e"], leases.Select(l => l.Subscription.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_leased_delivery_is_not_leased_again_until_the_lease_expires()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());

        var first = Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
        Assert.Empty(await store.LeaseDueAsync(T0.AddSeconds(59), 10, TimeSpan.FromMinutes(1)));
        var second = Assert.Single(await store.LeaseDueAsync(T0.AddSeconds(61), 10, TimeSpan.FromMinutes(1)));
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        // The first lease's result arrives too late: it is ignored.
        await store.RecordAttemptsAsync([Result(first, WebHookDeliveryStatus.Succeeded, outcome: WebHookAttemptOutcome.Succeeded)]);
        var delivery = Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a" }));
        Assert.Equal(WebHookDeliveryStatus.Pending, delivery.Status);
        Assert.Equal(0, delivery.Attempts);
    }

    [Fact]
    public async Task A_recorded_failure_makes_the_delivery_due_at_its_next_time()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var lease = Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));

        await store.RecordAttemptsAsync([Result(lease, WebHookDeliveryStatus.Pending, T0.AddSeconds(5))]);

        Assert.Equal(T0.AddSeconds(5), await store.GetNextDueAsync());
        Assert.Empty(await store.LeaseDueAsync(T0.AddSeconds(4), 10, TimeSpan.FromMinutes(1)));
        var again = Assert.Single(await store.LeaseDueAsync(T0.AddSeconds(5), 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(1, again.Delivery.Attempts);
        Assert.Equal(T0, (await store.GetSubscriptionAsync("sub_a"))!.FailingSince);
        Assert.Single(await store.ListAttemptsAsync("sub_a", again.Delivery.Id));
    }

    [Fact]
    public async Task Released_leases_are_due_again_at_once()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var lease = Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));

        await store.ReleaseLeasesAsync([new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken)]);

        Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Leases_at_most_the_limit_oldest_first()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)))).MessageId);
        }

        var leases = await store.LeaseDueAsync(T0.AddSeconds(1), 3, TimeSpan.FromMinutes(1));

        Assert.Equal(ids.Take(3), leases.Select(l => l.Message.Id));
        Assert.Equal(5, await store.CountDueAsync(T0.AddSeconds(1)));
    }

    [Fact]
    public async Task An_idempotency_key_stores_the_message_once()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));

        var first = await store.AppendMessageAsync(Draft(key: "k"));
        var second = await store.AppendMessageAsync(Draft(key: "k"));

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a" }));
    }

    [Fact]
    public async Task The_feed_returns_a_subscriptions_messages_in_order_after_the_cursor()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", filters: "customer.created"));
        var m1 = await store.AppendMessageAsync(Draft());
        await store.AppendMessageAsync(Draft("customer.created"));
        var m3 = await store.AppendMessageAsync(Draft("order.cancelled"));
        var m4 = await store.AppendMessageAsync(Draft());

        var all = await store.ReadFeedAsync("sub_a", 0, 10);
        Assert.Equal([m1.MessageId, m3.MessageId, m4.MessageId], all.Select(m => m.Id));
        var page = await store.ReadFeedAsync("sub_a", all[0].Sequence, 1);
        Assert.Equal(m3.MessageId, Assert.Single(page).Id);
    }

    [Fact]
    public async Task A_disabled_subscriptions_deliveries_wait_until_it_is_enabled()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var sub = (await store.GetSubscriptionAsync("sub_a"))!;
        await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Disabled });

        Assert.Null(await store.GetNextDueAsync()); // nothing for the dispatcher to wake up for
        Assert.Empty(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
        await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Enabled });
        Assert.Equal(T0, await store.GetNextDueAsync());
        Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task Recover_requeues_failed_deliveries_since_a_time_and_redeliver_one_message()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var old = await store.AppendMessageAsync(Draft(at: T0.AddHours(-2)));
        await store.AppendMessageAsync(Draft(at: T0));
        foreach (var lease in await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)))
        {
            await store.RecordAttemptsAsync([Result(lease, WebHookDeliveryStatus.Failed)]);
        }

        Assert.Equal(1, await store.RecoverAsync("sub_a", T0.AddHours(-1), T0));
        Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
        Assert.True(await store.RedeliverAsync("sub_a", old.MessageId, T0));
        Assert.Equal(old.MessageId, Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1))).Message.Id);
        Assert.False(await store.RedeliverAsync("sub_a", "msg_unknown", T0));
    }

    [Fact]
    public async Task Redeliver_never_makes_a_delivery_the_message_did_not_have()
    {
        var store = new InMemoryWebHookStore();
        var beforeIt = await store.AppendMessageAsync(Draft());
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b"));
        var filteredOut = await store.AppendMessageAsync(Draft("customer.created"));
        var bOnly = await store.AppendMessageAsync(Draft(only: "sub_b"));
        var both = await store.AppendMessageAsync(Draft());
        Assert.Equal(4, (await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1))).Count);

        Assert.False(await store.RedeliverAsync("sub_a", beforeIt.MessageId, T0));
        Assert.False(await store.RedeliverAsync("sub_a", filteredOut.MessageId, T0));
        Assert.False(await store.RedeliverAsync("sub_a", bOnly.MessageId, T0));
        Assert.True(await store.RedeliverAsync("sub_a", both.MessageId, T0));

        Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a" }));
        var delivery = Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a", MessageId = both.MessageId }));
        Assert.Equal(delivery, await store.GetDeliveryAsync("sub_a", delivery.Id));
        Assert.Null(await store.GetDeliveryAsync("sub_b", delivery.Id));
        Assert.Null(await store.GetDeliveryAsync("sub_a", delivery.Id + 100));
    }

    [Fact]
    public async Task Redelivery_during_a_running_attempt_follows_it_once_recorded()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var message = await store.AppendMessageAsync(Draft());
        var running = Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(2)));

        // The owner asks for a redelivery while the first attempt is still out.
        Assert.True(await store.RedeliverAsync("sub_a", message.MessageId, T0));
        Assert.Empty(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(2)));
        await store.RecordAttemptsAsync([Result(running, WebHookDeliveryStatus.Succeeded, outcome: WebHookAttemptOutcome.Succeeded)]);

        // The first attempt counts, and one more is due now rather than at the old lease's expiry.
        var again = Assert.Single(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(2)));
        Assert.Equal(message.MessageId, again.Message.Id);
        Assert.Equal(1, again.Delivery.Attempts);
        await store.RecordAttemptsAsync([Result(again, WebHookDeliveryStatus.Succeeded, outcome: WebHookAttemptOutcome.Succeeded)]);
        Assert.Empty(await store.LeaseDueAsync(T0.AddMinutes(5), 10, TimeSpan.FromMinutes(2)));
        Assert.Equal(2, (await store.ListAttemptsAsync("sub_a", again.Delivery.Id)).Count);
    }

    [Fact]
    public async Task Deleting_a_subscription_drops_its_deliveries()
    {
        var store = new InMemoryWebHookStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());

        Assert.True(await store.DeleteSubscriptionAsync("sub_a"));

        Assert.Empty(await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)));
        Assert.Null(await store.GetSubscriptionAsync("sub_a"));
        Assert.False(await store.DeleteSubscriptionAsync("sub_a"));
    }
}

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

        foreach (var lease in await store.LeaseDueAsync(T0, 10, TimeSpan.FromMinutes(1)))
        {
            await store.RecordAttemptsAsync([LeaseResults.Of(lease, WebHookDeliveryStatus.Succeeded, T0, outcome: WebHookAttemptOutcome.Succeeded)]);
        }
        var fourth = await Append("k4");

        Assert.Null(await store.GetMessageAsync(first));
        Assert.Null(await store.GetMessageAsync(second));
        Assert.NotNull(await store.GetMessageAsync(third));
        Assert.NotNull(await store.GetMessageAsync(fourth));
        Assert.Equal(2, (await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a" })).Count);
        Assert.Equal([third, fourth], (await store.ReadFeedAsync("sub_a", 0, 10)).Select(m => m.Id));
        Assert.False((await store.AppendMessageAsync(new WebHookMessageDraft
        {
            Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
            IdempotencyKey = "k1",
        })).Duplicate); // the forgotten message's key is forgotten too
    }
}
