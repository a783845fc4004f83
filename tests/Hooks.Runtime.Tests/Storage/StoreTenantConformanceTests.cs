using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Xunit.Abstractions;

namespace Hooks.Tests.Storage;

/// <summary>
/// The store contract's tenant part, for every <see cref="IWebHookStore"/>: fan-out, lookups, lists, counts, updates and
/// idempotency keys stay inside a tenant. A store's tests derive from it and say how to make an empty store.
/// </summary>
public abstract class StoreTenantConformanceTests
{
    /// <summary>A new, empty store.</summary>
    protected abstract IWebHookStore CreateStore();

    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    protected static WebHookSubscription Subscription(string id, string tenant, WebHookSubscriptionStatus status = WebHookSubscriptionStatus.Enabled) => new()
    {
        Id = id,
        Tenant = tenant,
        Url = new Uri("https://example.com/" + id),
        Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
        Status = status,
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    protected static WebHookMessageDraft Draft(string? tenant, string? key = null) => new()
    {
        Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), Tenant = tenant, EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
        IdempotencyKey = key,
    };

    private async Task<IWebHookStore> TwoTenantsAsync()
    {
        var store = CreateStore();
        await store.CreateSubscriptionAsync(Subscription("sub_a1", "a"));
        await store.CreateSubscriptionAsync(Subscription("sub_a2", "a", WebHookSubscriptionStatus.Disabled));
        await store.CreateSubscriptionAsync(Subscription("sub_b1", "b"));
        return store;
    }

    [Fact]
    public async Task Fan_out_selects_the_enabled_subscriptions_of_the_message_tenant()
    {
        var store = await TwoTenantsAsync();

        var toA = await store.AppendMessageAsync(Draft("a"));
        var toNobody = await store.AppendMessageAsync(Draft("c"));
        var toAll = await store.AppendMessageAsync(Draft(null));
        await store.UpdateSubscriptionAsync((await store.GetSubscriptionAsync("sub_a2"))! with { Status = WebHookSubscriptionStatus.Enabled });
        var toAAgain = await store.AppendMessageAsync(Draft("a"));

        Assert.Equal(1, toA.Deliveries);
        Assert.Equal(0, toNobody.Deliveries);
        Assert.Equal(2, toAll.Deliveries);
        Assert.Equal(2, toAAgain.Deliveries);
        var leased = await store.LeaseDueAsync(T0, 100, TimeSpan.FromMinutes(1));
        Assert.All(leased, l => Assert.Equal(l.Subscription.Tenant, l.Delivery.Tenant));
        Assert.Equal(["sub_a1", "sub_a1", "sub_a1", "sub_a2", "sub_b1"], leased.Select(l => l.Subscription.Id).Order(StringComparer.Ordinal));
        Assert.Equal("c", (await store.GetMessageAsync(toNobody.MessageId))!.Tenant);
    }

    [Fact]
    public async Task Lookups_lists_and_counts_answer_within_the_tenant()
    {
        var store = await TwoTenantsAsync();

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

    [Fact]
    public async Task An_update_never_moves_a_subscription_to_another_tenant()
    {
        var store = await TwoTenantsAsync();
        var a1 = (await store.GetSubscriptionAsync("sub_a1"))!;

        Assert.False(await store.UpdateSubscriptionAsync(a1 with { Tenant = "b", Description = "moved" }));

        Assert.Equal(a1, await store.GetSubscriptionAsync("sub_a1"));
        Assert.Equal(1, (await store.AppendMessageAsync(Draft("a"))).Deliveries);
        Assert.Equal(1, (await store.AppendMessageAsync(Draft("b"))).Deliveries);
    }

    [Fact]
    public async Task A_subscription_with_an_invalid_tenant_is_refused()
    {
        var store = CreateStore();
        await Assert.ThrowsAsync<ArgumentException>(async () => await store.CreateSubscriptionAsync(Subscription("sub_x", "bad tenant")));
        Assert.Empty(await store.ListSubscriptionsAsync(null, null, 10));
    }

    [Fact]
    public async Task Idempotency_keys_are_per_tenant_in_the_store()
    {
        var store = await TwoTenantsAsync();
        var a = await store.AppendMessageAsync(Draft("a", "k"));
        var b = await store.AppendMessageAsync(Draft("b", "k"));
        var all = await store.AppendMessageAsync(Draft(null, "k"));

        Assert.False(b.Duplicate);
        Assert.False(all.Duplicate);
        Assert.Equal(a.MessageId, (await store.AppendMessageAsync(Draft("a", "k"))).MessageId);
        Assert.Equal(all.MessageId, (await store.AppendMessageAsync(Draft(null, "k"))).MessageId);
    }

}

/// <summary>The in-memory store against the tenant contract, and its fan-out's allocations.</summary>
public sealed class InMemoryStoreTenantTests(ITestOutputHelper output) : StoreTenantConformanceTests
{
    protected override IWebHookStore CreateStore() => new InMemoryWebHookStore();

    /// <summary>
    /// Publish is a hot path: fanning out within one tenant of many allocates what a single-tenant store does for the
    /// same deliveries (the per-tenant index is a lookup, not a filter over every subscription).
    /// </summary>
    [Fact]
    public async Task Fan_out_within_a_tenant_of_many_allocates_no_more_than_a_single_tenant_store()
    {
        const int Messages = 2000;
        var single = new InMemoryWebHookStore();
        await single.CreateSubscriptionAsync(Subscription("sub_1", WebHookTenant.DefaultId));
        await single.CreateSubscriptionAsync(Subscription("sub_2", WebHookTenant.DefaultId));
        var many = new InMemoryWebHookStore();
        for (var t = 0; t < 100; t++)
        {
            await many.CreateSubscriptionAsync(Subscription($"sub_{t}_1", $"t{t}"));
            await many.CreateSubscriptionAsync(Subscription($"sub_{t}_2", $"t{t}"));
        }

        var singleBytes = await AllocatedAsync(single, WebHookTenant.DefaultId);
        var manyBytes = await AllocatedAsync(many, "t7");
        output.WriteLine($"{Messages} appends of 2 deliveries: single tenant {singleBytes} B, one of 100 tenants {manyBytes} B");
        Assert.True(manyBytes <= singleBytes + 4096, $"{manyBytes} B with tenants, {singleBytes} B without");

        async Task<long> AllocatedAsync(InMemoryWebHookStore store, string tenant)
        {
            var drafts = Enumerable.Range(0, 2 * Messages).Select(_ => Draft(tenant)).ToArray();
            for (var i = 0; i < Messages; i++)
            {
                Assert.Equal(2, (await store.AppendMessageAsync(drafts[i])).Deliveries); // warm: indexes built, tables grown
            }
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = Messages; i < 2 * Messages; i++)
            {
                await store.AppendMessageAsync(drafts[i]);
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }
}
