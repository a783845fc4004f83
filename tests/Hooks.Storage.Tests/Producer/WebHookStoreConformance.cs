using Hooks.Publishing;
using Hooks.Security;

namespace Hooks.Storage.Tests.Producer;

/// <summary>
/// What every producer <see cref="IWebHookStore"/> does, run against each implementation: subscriptions and their
/// versions, fan-out and tenants, leasing (limits, expiry, stale tokens, concurrency), attempts, redelivery, the feed's
/// gapless per-subscription sequence, and retention. A store's tests derive from it and say how to open a store.
/// </summary>
public abstract partial class WebHookStoreConformance : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    // Most tests do not exercise the per-subscription limit: one high enough not to bind.
    private const int NoLimit = 1000;

    /// <summary>A store on a fresh, empty database.</summary>
    protected abstract Task<IWebHookStore> CreateStoreAsync();

    /// <summary>Another store instance on the database of the last <see cref="CreateStoreAsync"/> (as a second dispatcher would open it).</summary>
    protected abstract Task<IWebHookStore> OpenSecondStoreAsync();

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected static WebHookSubscription Subscription(string id, WebHookSubscriptionStatus status = WebHookSubscriptionStatus.Enabled,
        string tenant = WebHookTenant.DefaultId, params string[] filters) => new()
    {
        Id = id,
        Tenant = tenant,
        Url = new Uri("https://example.com/" + id),
        Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
        EventTypes = filters,
        Status = status,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    protected static WebHookMessageDraft Draft(string type = "order.created", DateTimeOffset? at = null, string? key = null, string? only = null,
        string? tenant = WebHookTenant.DefaultId) => new()
    {
        Message = new WebHookMessage
        {
            Id = "msg_" + Guid.CreateVersion7(at ?? T0).ToString("N"), Tenant = tenant, EventType = type, Timestamp = at ?? T0, Body = "{}"u8.ToArray(),
        },
        IdempotencyKey = key,
        SubscriptionId = only,
    };

    private static WebHookAttemptResult Result(WebHookLease lease, WebHookDeliveryStatus status, DateTimeOffset next = default,
        WebHookAttemptOutcome outcome = WebHookAttemptOutcome.HttpError, string? disable = null, DateTimeOffset? at = null) => new()
    {
        Lease = new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken),
        Attempt = new WebHookAttempt
        {
            DeliveryId = lease.Delivery.Id,
            MessageId = lease.Message.Id,
            SubscriptionId = lease.Subscription.Id,
            Number = lease.Delivery.Attempts + 1,
            StartedAt = at ?? T0,
            Outcome = outcome,
        },
        NewStatus = status,
        NextAttemptAt = next,
        DisableSubscriptionReason = disable,
    };

    private static WebHookAttemptResult Succeeded(WebHookLease lease) =>
        Result(lease, WebHookDeliveryStatus.Succeeded, outcome: WebHookAttemptOutcome.Succeeded);

    private static ValueTask<IReadOnlyList<WebHookLease>> LeaseAsync(IWebHookStore store, DateTimeOffset now, int limit = 10,
        int perSubscription = NoLimit, TimeSpan? duration = null) =>
        store.LeaseDueAsync(now, limit, perSubscription, duration ?? Lease);

    private static async Task<IReadOnlyList<WebHookDelivery>> DeliveriesAsync(IWebHookStore store, string subscriptionId) =>
        await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = subscriptionId, Limit = 1000 });

    // Subscriptions and versions

    [SkippableFact]
    public async Task A_new_subscription_has_version_1_and_every_write_adds_one()
    {
        var store = await CreateStoreAsync();
        Assert.True(await store.CreateSubscriptionAsync(Subscription("sub_a") with { Version = 42 }));
        Assert.False(await store.CreateSubscriptionAsync(Subscription("sub_a")));

        var read = (await store.GetSubscriptionAsync("sub_a"))!;
        Assert.Equal(1, read.Version);
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await store.UpdateSubscriptionAsync(read with { Description = "one" }));
        var again = (await store.GetSubscriptionAsync("sub_a"))!;
        Assert.Equal(2, again.Version);
        Assert.Equal("one", again.Description);
    }

    [SkippableFact]
    public async Task An_update_from_a_stale_read_conflicts_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var first = (await store.GetSubscriptionAsync("sub_a"))!;
        var second = (await store.GetSubscriptionAsync("sub_a"))!;

        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await store.UpdateSubscriptionAsync(first with { Description = "first" }));
        Assert.Equal(WebHookSubscriptionUpdateResult.VersionConflict, await store.UpdateSubscriptionAsync(second with { Description = "second" }));

        Assert.Equal("first", (await store.GetSubscriptionAsync("sub_a"))!.Description);
        Assert.Equal(WebHookSubscriptionUpdateResult.NotFound, await store.UpdateSubscriptionAsync(Subscription("sub_missing") with { Version = 1 }));
    }

    [SkippableFact]
    public async Task The_dispatchers_disable_is_a_write_an_owners_stale_update_cannot_undo()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var ownerRead = (await store.GetSubscriptionAsync("sub_a"))!;
        var lease = Assert.Single(await LeaseAsync(store, T0));

        var changes = await store.RecordAttemptsAsync([Result(lease, WebHookDeliveryStatus.Failed, outcome: WebHookAttemptOutcome.Gone, disable: "410 Gone")]);

        Assert.Contains(changes, c => c.Kind == WebHookSubscriptionChangeKind.Disabled);
        var disabled = (await store.GetSubscriptionAsync("sub_a"))!;
        Assert.Equal(WebHookSubscriptionStatus.Disabled, disabled.Status);
        Assert.True(disabled.Version > ownerRead.Version);
        Assert.Equal(WebHookSubscriptionUpdateResult.VersionConflict,
            await store.UpdateSubscriptionAsync(ownerRead with { Description = "renamed" }));
        Assert.Equal(WebHookSubscriptionStatus.Disabled, (await store.GetSubscriptionAsync("sub_a"))!.Status);
    }

    // Fan-out and tenants

    [SkippableFact]
    public async Task Appends_one_pending_delivery_per_enabled_matching_subscription_and_a_skipped_one_for_the_others()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", filters: "customer.created"));
        await store.CreateSubscriptionAsync(Subscription("sub_c", WebHookSubscriptionStatus.Pending));
        await store.CreateSubscriptionAsync(Subscription("sub_d", WebHookSubscriptionStatus.Disabled));
        await store.CreateSubscriptionAsync(Subscription("sub_e"));

        var result = await store.AppendMessageAsync(Draft());

        Assert.Equal(2, result.Deliveries);
        var leases = await LeaseAsync(store, T0);
        Assert.Equal(["sub_a", "sub_e"], leases.Select(l => l.Subscription.Id).Order(StringComparer.Ordinal));
        Assert.Empty(await DeliveriesAsync(store, "sub_b"));
        Assert.Equal(WebHookDeliveryStatus.Skipped, Assert.Single(await DeliveriesAsync(store, "sub_c")).Status);
        Assert.Equal(WebHookDeliveryStatus.Skipped, Assert.Single(await DeliveriesAsync(store, "sub_d")).Status);
    }

    [SkippableFact]
    public async Task Fan_out_selects_the_subscriptions_of_the_message_tenant()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a1", tenant: "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_a2", WebHookSubscriptionStatus.Disabled, "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b1", tenant: "b"));

        var toA = await store.AppendMessageAsync(Draft(tenant: "a"));
        var toNobody = await store.AppendMessageAsync(Draft(tenant: "c"));
        var toAll = await store.AppendMessageAsync(Draft(tenant: null));
        await store.UpdateSubscriptionAsync((await store.GetSubscriptionAsync("sub_a2"))! with { Status = WebHookSubscriptionStatus.Enabled });
        var toAAgain = await store.AppendMessageAsync(Draft(tenant: "a"));

        Assert.Equal(1, toA.Deliveries);
        Assert.Equal(0, toNobody.Deliveries);
        Assert.Equal(2, toAll.Deliveries);
        Assert.Equal(2, toAAgain.Deliveries);
        var leased = await LeaseAsync(store, T0, 100);
        Assert.All(leased, l => Assert.Equal(l.Subscription.Tenant, l.Delivery.Tenant));
        Assert.Equal(["sub_a1", "sub_a1", "sub_a1", "sub_a2", "sub_b1"], leased.Select(l => l.Subscription.Id).Order(StringComparer.Ordinal));
        Assert.Equal("c", (await store.GetMessageAsync(toNobody.MessageId))!.Tenant);
        // What sub_a2 missed while disabled is in its feed, skipped.
        Assert.Equal([WebHookDeliveryStatus.Skipped, WebHookDeliveryStatus.Skipped, WebHookDeliveryStatus.Pending],
            (await store.ReadFeedAsync("sub_a2", 0, 10)).Entries.Select(e => e.Status));
    }

    [SkippableFact]
    public async Task Lookups_lists_and_counts_answer_within_the_tenant()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a1", tenant: "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_a2", WebHookSubscriptionStatus.Disabled, "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b1", tenant: "b"));

        Assert.NotNull(await store.GetSubscriptionAsync("a", "sub_a1"));
        Assert.Null(await store.GetSubscriptionAsync("b", "sub_a1"));
        Assert.NotNull(await store.GetSubscriptionAsync("sub_a1")); // the unscoped lookup, for subscription-authenticated callers
        Assert.Equal(["sub_a1", "sub_a2"], (await store.ListSubscriptionsAsync("a", null, 10)).Select(s => s.Id));
        Assert.Equal(["sub_a2"], (await store.ListSubscriptionsAsync("a", "sub_a1", 10)).Select(s => s.Id));
        Assert.Equal(["sub_b1"], (await store.ListSubscriptionsAsync("b", null, 10)).Select(s => s.Id));
        Assert.Equal(3, (await store.ListSubscriptionsAsync(null, null, 10)).Count);
        Assert.Equal(2, await store.CountSubscriptionsAsync("a"));
        Assert.Equal(0, await store.CountSubscriptionsAsync("c"));

        Assert.True(await store.DeleteSubscriptionAsync("sub_a2"));
        Assert.Equal(1, await store.CountSubscriptionsAsync("a"));
    }

    [SkippableFact]
    public async Task An_update_never_moves_a_subscription_to_another_tenant()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a1", tenant: "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b1", tenant: "b"));
        var a1 = (await store.GetSubscriptionAsync("sub_a1"))!;

        Assert.Equal(WebHookSubscriptionUpdateResult.NotFound, await store.UpdateSubscriptionAsync(a1 with { Tenant = "b", Description = "moved" }));

        Assert.Equal(a1, await store.GetSubscriptionAsync("sub_a1"));
        Assert.Equal(1, (await store.AppendMessageAsync(Draft(tenant: "a"))).Deliveries);
        Assert.Equal(1, (await store.AppendMessageAsync(Draft(tenant: "b"))).Deliveries);
    }

    [SkippableFact]
    public async Task A_subscription_with_an_invalid_tenant_is_refused()
    {
        var store = await CreateStoreAsync();
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.CreateSubscriptionAsync(Subscription("sub_x", tenant: "bad tenant")));
        Assert.Empty(await store.ListSubscriptionsAsync(null, null, 10));
    }

    [SkippableFact]
    public async Task Idempotency_keys_are_per_tenant()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a", tenant: "a"));
        var a = await store.AppendMessageAsync(Draft(key: "k", tenant: "a"));
        var b = await store.AppendMessageAsync(Draft(key: "k", tenant: "b"));
        var all = await store.AppendMessageAsync(Draft(key: "k", tenant: null));
        var again = await store.AppendMessageAsync(Draft(key: "k", tenant: "a"));

        Assert.False(a.Duplicate);
        Assert.False(b.Duplicate);
        Assert.False(all.Duplicate);
        Assert.True(again.Duplicate);
        Assert.Equal(a.MessageId, again.MessageId);
        Assert.Equal(all.MessageId, (await store.AppendMessageAsync(Draft(key: "k", tenant: null))).MessageId);
        Assert.Equal(2, (await DeliveriesAsync(store, "sub_a")).Count); // a's first publish and the one to every tenant
    }

    // Leasing

    [SkippableFact]
    public async Task A_leased_delivery_is_not_leased_again_until_the_lease_expires_and_a_stale_token_is_ignored()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());

        var first = Assert.Single(await LeaseAsync(store, T0));
        Assert.Empty(await LeaseAsync(store, T0.AddSeconds(59)));
        var second = Assert.Single(await LeaseAsync(store, T0.AddSeconds(61)));
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        // The first lease's result arrives too late: it is ignored, as is its release.
        await store.RecordAttemptsAsync([Succeeded(first)]);
        await store.ReleaseLeasesAsync([new WebHookLeaseRef(first.Delivery.Id, first.LeaseToken)]);
        var delivery = Assert.Single(await DeliveriesAsync(store, "sub_a"));
        Assert.Equal(WebHookDeliveryStatus.Pending, delivery.Status);
        Assert.Equal(0, delivery.Attempts);
        Assert.Empty(await LeaseAsync(store, T0.AddSeconds(62)));
    }

    [SkippableFact]
    public async Task An_expired_lease_is_leased_again_in_due_order_among_unleased_deliveries_and_within_the_limit()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)))).MessageId);
        }
        var first = await LeaseAsync(store, T0.AddSeconds(1), 2); // the two oldest, leased for a minute
        Assert.Equal(ids.Take(2), first.Select(l => l.Message.Id));
        await store.RecordAttemptsAsync([Succeeded(first[1])]);

        // While the first lease runs, only the unleased ones are due; the limit of 3 counts it.
        var later = await LeaseAsync(store, T0.AddSeconds(30), 10, perSubscription: 3);
        Assert.Equal(ids.Skip(2), later.Select(l => l.Message.Id));
        Assert.Empty(await LeaseAsync(store, T0.AddSeconds(31), 10, perSubscription: 10));
        // Nothing unleased: the next due time is the first lease's expiry (as the host's clock will read it).
        var next = await store.GetNextDueAsync();
        Assert.InRange(next!.Value, T0.AddSeconds(60.5), T0.AddSeconds(61.5));

        // Expired, it is due again, the oldest; the limit of 3 counts the two leases taken at 30 s and not the expired one.
        var again = await LeaseAsync(store, T0.AddSeconds(62), 10, perSubscription: 3);
        Assert.Equal([ids[0]], again.Select(l => l.Message.Id));
        Assert.NotEqual(first[0].LeaseToken, again[0].LeaseToken);
        Assert.Equal(3, await store.CountDueAsync(T0.AddSeconds(62))); // pending and due, leased or not; the succeeded one is not
    }

    [SkippableFact]
    public async Task A_recorded_failure_makes_the_delivery_due_at_its_next_time()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var lease = Assert.Single(await LeaseAsync(store, T0));

        await store.RecordAttemptsAsync([Result(lease, WebHookDeliveryStatus.Pending, T0.AddSeconds(5))]);

        Assert.Equal(T0.AddSeconds(5), await store.GetNextDueAsync());
        Assert.Empty(await LeaseAsync(store, T0.AddSeconds(4)));
        var again = Assert.Single(await LeaseAsync(store, T0.AddSeconds(5)));
        Assert.Equal(1, again.Delivery.Attempts);
        Assert.Equal(T0, (await store.GetSubscriptionAsync("sub_a"))!.FailingSince);
        Assert.Single(await store.ListAttemptsAsync("sub_a", again.Delivery.Id));
    }

    [SkippableFact]
    public async Task Released_leases_are_due_again_at_once()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var lease = Assert.Single(await LeaseAsync(store, T0));

        await store.ReleaseLeasesAsync([new WebHookLeaseRef(lease.Delivery.Id, lease.LeaseToken)]);

        Assert.Single(await LeaseAsync(store, T0));
    }

    [SkippableFact]
    public async Task Leases_at_most_the_limit_oldest_first()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)))).MessageId);
        }

        var leases = await LeaseAsync(store, T0.AddSeconds(1), 3);

        Assert.Equal(ids.Take(3), leases.Select(l => l.Message.Id));
        Assert.Equal(5, await store.CountDueAsync(T0.AddSeconds(1)));
    }

    [SkippableFact]
    public async Task A_subscription_never_holds_more_leases_than_its_limit_and_others_are_not_held_back()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_dead"));
        await store.CreateSubscriptionAsync(Subscription("sub_live", filters: "customer.*"));
        for (var i = 0; i < 200; i++)
        {
            await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)));
        }
        await store.AppendMessageAsync(Draft("customer.created", at: T0.AddSeconds(1)));

        var first = await LeaseAsync(store, T0.AddSeconds(2), 100, perSubscription: 4);
        Assert.Equal(4, first.Count(l => l.Subscription.Id == "sub_dead"));
        Assert.Single(first, l => l.Subscription.Id == "sub_live"); // behind the dead one's backlog, yet not held back
        Assert.Empty(await LeaseAsync(store, T0.AddSeconds(3), 100, perSubscription: 4));

        // One lease ends: exactly one more of that subscription, the next oldest.
        var dead = first.Where(l => l.Subscription.Id == "sub_dead").ToList();
        await store.RecordAttemptsAsync([Result(dead[0], WebHookDeliveryStatus.Pending, T0.AddHours(1))]);
        var next = Assert.Single(await LeaseAsync(store, T0.AddSeconds(4), 100, perSubscription: 4));
        Assert.Equal(dead.Max(l => l.Delivery.Id), next.Delivery.Id - 1);

        // Expired leases free their places too.
        var afterExpiry = await LeaseAsync(store, T0.AddSeconds(4) + Lease + Lease, 100, perSubscription: 4);
        Assert.Equal(4, afterExpiry.Count(l => l.Subscription.Id == "sub_dead"));
    }

    [SkippableFact]
    public async Task Two_leasers_sharing_a_store_never_get_one_delivery()
    {
        var store = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b"));
        for (var i = 0; i < 300; i++)
        {
            await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)));
        }

        var leasers = Enumerable.Range(0, 6).Select(n => Task.Run(async () =>
        {
            var mine = new List<long>();
            var from = n % 2 == 0 ? store : second;
            while (true)
            {
                var leases = await LeaseAsync(from, T0.AddSeconds(1), 7, perSubscription: 1000);
                if (leases.Count == 0)
                {
                    return mine;
                }
                mine.AddRange(leases.Select(l => l.Delivery.Id));
            }
        })).ToArray();
        var all = (await Task.WhenAll(leasers)).SelectMany(ids => ids).ToList();

        Assert.Equal(600, all.Count);
        Assert.Equal(600, all.Distinct().Count());
    }

    [SkippableFact]
    public async Task The_per_subscription_limit_holds_across_leasers_sharing_a_store()
    {
        var store = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        for (var i = 0; i < 50; i++)
        {
            await store.AppendMessageAsync(Draft(at: T0.AddMilliseconds(i)));
        }

        var a = await LeaseAsync(store, T0.AddSeconds(1), 100, perSubscription: 3);
        var b = await LeaseAsync(second, T0.AddSeconds(1), 100, perSubscription: 3);

        Assert.Equal(3, a.Count + b.Count);
    }

    [SkippableFact]
    public async Task A_disabled_subscriptions_deliveries_wait_until_it_is_enabled()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());
        var sub = (await store.GetSubscriptionAsync("sub_a"))!;
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Disabled }));

        Assert.Null(await store.GetNextDueAsync()); // nothing for the dispatcher to wake up for
        Assert.Empty(await LeaseAsync(store, T0));
        sub = (await store.GetSubscriptionAsync("sub_a"))!;
        await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Enabled });
        Assert.Equal(T0, await store.GetNextDueAsync());
        Assert.Single(await LeaseAsync(store, T0));
    }

    // Redelivery and recovery

    [SkippableFact]
    public async Task Recover_requeues_failed_and_skipped_deliveries_since_a_time_and_redeliver_one_message()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var old = await store.AppendMessageAsync(Draft(at: T0.AddHours(-2)));
        await store.AppendMessageAsync(Draft(at: T0));
        foreach (var lease in await LeaseAsync(store, T0))
        {
            await store.RecordAttemptsAsync([Result(lease, WebHookDeliveryStatus.Failed)]);
        }
        var sub = (await store.GetSubscriptionAsync("sub_a"))!;
        await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Disabled });
        await store.AppendMessageAsync(Draft(at: T0.AddMinutes(1))); // skipped
        sub = (await store.GetSubscriptionAsync("sub_a"))!;
        await store.UpdateSubscriptionAsync(sub with { Status = WebHookSubscriptionStatus.Enabled });
        Assert.Empty(await LeaseAsync(store, T0.AddMinutes(2))); // a skipped delivery is not pushed by itself

        Assert.Equal(2, await store.RecoverAsync("sub_a", T0.AddHours(-1), T0.AddMinutes(2)));
        Assert.Equal(2, (await LeaseAsync(store, T0.AddMinutes(2))).Count);
        Assert.True(await store.RedeliverAsync("sub_a", old.MessageId, T0.AddMinutes(2)));
        Assert.Equal(old.MessageId, Assert.Single(await LeaseAsync(store, T0.AddMinutes(2))).Message.Id);
        Assert.False(await store.RedeliverAsync("sub_a", "msg_unknown", T0));
    }

    [SkippableFact]
    public async Task Redeliver_never_makes_a_delivery_the_message_did_not_have()
    {
        var store = await CreateStoreAsync();
        var beforeIt = await store.AppendMessageAsync(Draft());
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b"));
        var filteredOut = await store.AppendMessageAsync(Draft("customer.created"));
        var bOnly = await store.AppendMessageAsync(Draft(only: "sub_b"));
        var both = await store.AppendMessageAsync(Draft());
        Assert.Equal(4, (await LeaseAsync(store, T0)).Count);

        Assert.False(await store.RedeliverAsync("sub_a", beforeIt.MessageId, T0));
        Assert.False(await store.RedeliverAsync("sub_a", filteredOut.MessageId, T0));
        Assert.False(await store.RedeliverAsync("sub_a", bOnly.MessageId, T0));
        Assert.True(await store.RedeliverAsync("sub_a", both.MessageId, T0));

        Assert.Single(await DeliveriesAsync(store, "sub_a"));
        var delivery = Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a", MessageId = both.MessageId }));
        Assert.Equal(delivery, await store.GetDeliveryAsync("sub_a", delivery.Id));
        Assert.Null(await store.GetDeliveryAsync("sub_b", delivery.Id));
        Assert.Null(await store.GetDeliveryAsync("sub_a", delivery.Id + 100));
    }

    [SkippableFact]
    public async Task Redelivery_during_a_running_attempt_follows_it_once_recorded()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var message = await store.AppendMessageAsync(Draft());
        var running = Assert.Single(await LeaseAsync(store, T0, duration: TimeSpan.FromMinutes(2)));

        // The owner asks for a redelivery while the first attempt is still out.
        Assert.True(await store.RedeliverAsync("sub_a", message.MessageId, T0));
        Assert.Empty(await LeaseAsync(store, T0, duration: TimeSpan.FromMinutes(2)));
        await store.RecordAttemptsAsync([Succeeded(running)]);

        // The first attempt counts, and one more is due now rather than at the old lease's expiry.
        var again = Assert.Single(await LeaseAsync(store, T0, duration: TimeSpan.FromMinutes(2)));
        Assert.Equal(message.MessageId, again.Message.Id);
        Assert.Equal(1, again.Delivery.Attempts);
        await store.RecordAttemptsAsync([Succeeded(again)]);
        Assert.Empty(await LeaseAsync(store, T0.AddMinutes(5), duration: TimeSpan.FromMinutes(2)));
        Assert.Equal(2, (await store.ListAttemptsAsync("sub_a", again.Delivery.Id)).Count);
    }

    [SkippableFact]
    public async Task An_idempotency_key_stores_the_message_once()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));

        var first = await store.AppendMessageAsync(Draft(key: "k"));
        var second = await store.AppendMessageAsync(Draft(key: "k"));

        Assert.False(first.Duplicate);
        Assert.True(second.Duplicate);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Single(await DeliveriesAsync(store, "sub_a"));
    }

    [SkippableFact]
    public async Task Deleting_a_subscription_drops_its_deliveries()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.AppendMessageAsync(Draft());

        Assert.True(await store.DeleteSubscriptionAsync("sub_a"));

        Assert.Empty(await LeaseAsync(store, T0));
        Assert.Null(await store.GetSubscriptionAsync("sub_a"));
        Assert.False(await store.DeleteSubscriptionAsync("sub_a"));
    }

    // The feed and its sequence

    [SkippableFact]
    public async Task The_feed_returns_a_subscriptions_messages_by_sequence_after_the_cursor()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a", filters: "order.*"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", filters: "customer.created"));
        var m1 = await store.AppendMessageAsync(Draft());
        await store.AppendMessageAsync(Draft("customer.created"));
        var m3 = await store.AppendMessageAsync(Draft("order.cancelled"));
        var m4 = await store.AppendMessageAsync(Draft());

        var all = await store.ReadFeedAsync("sub_a", 0, 10);
        Assert.Equal([m1.MessageId, m3.MessageId, m4.MessageId], all.Entries.Select(e => e.Message.Id));
        Assert.Equal([1L, 2L, 3L], all.Entries.Select(e => e.Sequence));
        Assert.False(all.CursorExpired);
        var page = await store.ReadFeedAsync("sub_a", all.Entries[0].Sequence, 1);
        Assert.Equal(m3.MessageId, Assert.Single(page.Entries).Message.Id);
        Assert.Equal(1L, Assert.Single((await store.ReadFeedAsync("sub_b", 0, 10)).Entries).Sequence);
        Assert.Empty((await store.ReadFeedAsync("sub_missing", 0, 10)).Entries);
        var lease = (await LeaseAsync(store, T0)).First(l => l.Subscription.Id == "sub_a" && l.Message.Id == m3.MessageId);
        Assert.Equal(2, lease.Delivery.Sequence);
    }

    [SkippableFact]
    public async Task Sequences_are_gapless_and_in_order_under_concurrent_publishers()
    {
        const int Publishers = 8, Each = 60;
        var store = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        await store.CreateSubscriptionAsync(Subscription("sub_b", filters: "order.*"));

        var published = await Task.WhenAll(Enumerable.Range(0, Publishers).Select(p => Task.Run(async () =>
        {
            var ids = new List<string>();
            for (var i = 0; i < Each; i++)
            {
                ids.Add((await (p % 2 == 0 ? store : second).AppendMessageAsync(Draft(p % 3 == 0 ? "customer.created" : "order.created"))).MessageId);
            }
            return ids;
        })));

        var feed = await store.ReadFeedAsync("sub_a", 0, Publishers * Each + 10);
        Assert.Equal(Enumerable.Range(1, Publishers * Each).Select(i => (long)i), feed.Entries.Select(e => e.Sequence));
        var position = feed.Entries.Select((e, i) => (e.Message.Id, i)).ToDictionary(x => x.Id, x => x.i);
        foreach (var ids in published)
        {
            // Each publisher's messages come in the order it published them.
            Assert.Equal(ids, ids.OrderBy(id => position[id]));
        }
        var other = await store.ReadFeedAsync("sub_b", 0, Publishers * Each + 10);
        Assert.Equal(Enumerable.Range(1, other.Entries.Count).Select(i => (long)i), other.Entries.Select(e => e.Sequence));
        var listed = await DeliveriesAsync(store, "sub_a");
        Assert.Equal(feed.Entries.Select(e => e.Sequence).Order(), listed.Select(d => d.Sequence).Order());
    }

    // Retention

    [SkippableFact]
    public async Task Purge_deletes_finished_messages_before_the_window_and_keeps_pending_and_newer_ones()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var done = await store.AppendMessageAsync(Draft(at: T0));
        var failed = await store.AppendMessageAsync(Draft(at: T0.AddMinutes(1), key: "k"));
        var pending = await store.AppendMessageAsync(Draft(at: T0.AddMinutes(2)));
        var leases = await LeaseAsync(store, T0.AddMinutes(2));
        await store.RecordAttemptsAsync([Succeeded(leases[0]), Result(leases[1], WebHookDeliveryStatus.Failed)]);
        await store.RecordAttemptsAsync([Result(leases[2], WebHookDeliveryStatus.Pending, T0.AddDays(100))]);
        var recent = await store.AppendMessageAsync(Draft(at: T0.AddDays(10)));
        var recentLease = Assert.Single(await LeaseAsync(store, T0.AddDays(10)));
        await store.RecordAttemptsAsync([Succeeded(recentLease)]);

        Assert.Equal(2, await store.PurgeAsync(T0.AddDays(1), 100));

        Assert.Null(await store.GetMessageAsync(done.MessageId));
        Assert.Null(await store.GetMessageAsync(failed.MessageId));
        Assert.NotNull(await store.GetMessageAsync(pending.MessageId));
        Assert.NotNull(await store.GetMessageAsync(recent.MessageId));
        Assert.Equal(2, (await DeliveriesAsync(store, "sub_a")).Count);
        Assert.Empty(await store.ListAttemptsAsync("sub_a", leases[0].Delivery.Id));
        Assert.False((await store.AppendMessageAsync(Draft(key: "k"))).Duplicate); // its idempotency key went with it
        Assert.Equal(0, await store.PurgeAsync(T0.AddDays(1), 100));
    }

    [SkippableFact]
    public async Task A_feed_cursor_before_purged_deliveries_has_expired()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        for (var i = 0; i < 3; i++)
        {
            await store.AppendMessageAsync(Draft(at: T0.AddMinutes(i)));
        }
        foreach (var lease in await LeaseAsync(store, T0.AddMinutes(3)))
        {
            await store.RecordAttemptsAsync([Succeeded(lease)]);
        }
        await store.AppendMessageAsync(Draft(at: T0.AddDays(5)));

        Assert.Equal(2, await store.PurgeAsync(T0.AddMinutes(1).AddSeconds(30), 100));

        var fromStart = await store.ReadFeedAsync("sub_a", 0, 10);
        Assert.True(fromStart.CursorExpired);
        Assert.Equal([3L, 4L], fromStart.Entries.Select(e => e.Sequence));
        Assert.True((await store.ReadFeedAsync("sub_a", 1, 10)).CursorExpired);
        var current = await store.ReadFeedAsync("sub_a", 2, 10);
        Assert.False(current.CursorExpired);
        Assert.Equal([3L, 4L], current.Entries.Select(e => e.Sequence));
    }
}
