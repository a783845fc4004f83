using System.Text.Json;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Publishing;

/// <summary>A publish for a tenant reaches that tenant's subscriptions only; platform-wide events take an explicit call.</summary>
public sealed class TenantPublishingTests
{
    private static async Task<WebHookSubscription> SubscribeAsync(TestProducer producer, string tenant, Uri url, WebHookSecret secret,
        params string[] eventTypes)
    {
        var now = producer.Time.GetUtcNow();
        var subscription = new WebHookSubscription
        {
            Id = WebHookIds.NewSubscriptionId(now),
            Tenant = tenant,
            Url = url,
            Secrets = [new WebHookSubscriptionSecret(secret, now, null)],
            EventTypes = eventTypes,
            Status = WebHookSubscriptionStatus.Enabled,
            CreatedAt = now,
            UpdatedAt = now,
        };
        Assert.True(await producer.Store.CreateSubscriptionAsync(subscription));
        return subscription;
    }

    /// <summary>Reads <paramref name="count"/> requests, checks each one's signature and returns the message ids.</summary>
    private static async Task<HashSet<string>> ReceiveAsync(Receiver receiver, WebHookSecret secret, TimeProvider time, int count, string orderPrefix)
    {
        var verifier = new WebHookVerifier(secret, time);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var request = await receiver.NextAsync();
            Assert.True(verifier.Verify(request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body).IsValid);
            var orderId = JsonDocument.Parse(request.Body).RootElement.GetProperty("data").GetProperty("orderId").GetString();
            Assert.StartsWith(orderPrefix, orderId, StringComparison.Ordinal);
            Assert.True(ids.Add(request.Header("webhook-id")), "a message came twice");
        }
        return ids;
    }

    [Fact]
    public async Task A_thousand_events_for_each_of_two_tenants_reach_only_that_tenants_receivers()
    {
        const int Events = 1000;
        await using var producer = await TestProducer.StartAsync();
        await using var receiverA = await Receiver.StartAsync();
        await using var receiverB = await Receiver.StartAsync();
        await using var bystander = await Receiver.StartAsync();
        var secretA = WebHookSecret.Generate();
        var secretB = WebHookSecret.Generate();
        var a = await SubscribeAsync(producer, "tenant-a", receiverA.Url, secretA, "order.created");
        var b = await SubscribeAsync(producer, "tenant-b", receiverB.Url, secretB, "order.created");
        // The default tenant subscribes to the same type: a tenant's publish must not reach it either.
        var other = await SubscribeAsync(producer, WebHookTenant.DefaultId, bystander.Url, WebHookSecret.Generate(), "order.created");

        var sentA = new HashSet<string>(StringComparer.Ordinal);
        var sentB = new HashSet<string>(StringComparer.Ordinal);
        var tenantA = new WebHookTenant("tenant-a");
        var tenantB = new WebHookTenant("tenant-b");
        for (var i = 0; i < Events; i++)
        {
            var toA = await producer.Publisher.PublishAsync(new OrderCreated($"a-{i}", i), tenantA);
            var toB = await producer.Publisher.PublishAsync(new OrderCreated($"b-{i}", i), tenantB);
            Assert.Equal(1, toA.Deliveries);
            Assert.Equal(1, toB.Deliveries);
            sentA.Add(toA.MessageId);
            sentB.Add(toB.MessageId);
        }

        var gotA = await ReceiveAsync(receiverA, secretA, producer.Time, Events, "a-");
        var gotB = await ReceiveAsync(receiverB, secretB, producer.Time, Events, "b-");
        Assert.True(sentA.SetEquals(gotA));
        Assert.True(sentB.SetEquals(gotB));
        // Nothing else was made for anyone: each subscription has exactly its tenant's deliveries, the bystander none.
        async Task<HashSet<string>> DeliveredAsync(string subscriptionId) =>
            (await producer.Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = subscriptionId, Limit = 10 * Events }))
                .Select(d => d.MessageId).ToHashSet(StringComparer.Ordinal);
        Assert.True(sentA.SetEquals(await DeliveredAsync(a.Id)));
        Assert.True(sentB.SetEquals(await DeliveredAsync(b.Id)));
        Assert.Empty(await DeliveredAsync(other.Id));
        Assert.All(await producer.Store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = a.Id, Limit = 5 }), d => Assert.Equal("tenant-a", d.Tenant));
        Assert.Equal("tenant-b", (await producer.Store.GetMessageAsync(gotB.First()))!.Tenant);
    }

    [Fact]
    public async Task A_platform_wide_event_reaches_every_tenant_only_through_its_explicit_call()
    {
        await using var producer = await TestProducer.StartAsync();
        await using var receiverA = await Receiver.StartAsync();
        await using var receiverB = await Receiver.StartAsync();
        await SubscribeAsync(producer, "tenant-a", receiverA.Url, WebHookSecret.Generate(), "customer.created");
        await SubscribeAsync(producer, "tenant-b", receiverB.Url, WebHookSecret.Generate());
        await SubscribeAsync(producer, "tenant-c", receiverB.Url, WebHookSecret.Generate(), "order.created"); // filter refuses it

        Assert.Equal(0, (await producer.Publisher.PublishAsync(new CustomerCreated("c-0"))).Deliveries); // the default tenant has none
        var everyone = await producer.Publisher.PublishToAllTenantsAsync(new CustomerCreated("c-1"));

        Assert.Equal(2, everyone.Deliveries);
        Assert.Equal(everyone.MessageId, (await receiverA.NextAsync()).Header("webhook-id"));
        Assert.Equal(everyone.MessageId, (await receiverB.NextAsync()).Header("webhook-id"));
        Assert.Null((await producer.Store.GetMessageAsync(everyone.MessageId))!.Tenant);
    }

    [Fact]
    public async Task Idempotency_keys_are_scoped_per_tenant()
    {
        await using var producer = await TestProducer.StartAsync();
        var tenantA = new WebHookTenant("tenant-a");
        var tenantB = new WebHookTenant("tenant-b");

        var first = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1), tenantA, "key-1");
        var otherTenant = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1), tenantB, "key-1");
        var defaultTenant = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1), "key-1");
        var everyone = await producer.Publisher.PublishToAllTenantsAsync(new OrderCreated("o-1", 1), "key-1");
        var repeated = await producer.Publisher.PublishAsync(new OrderCreated("o-1", 1), tenantA, "key-1");

        Assert.False(otherTenant.Duplicate);
        Assert.False(defaultTenant.Duplicate);
        Assert.False(everyone.Duplicate);
        Assert.Equal(4, new[] { first.MessageId, otherTenant.MessageId, defaultTenant.MessageId, everyone.MessageId }.Distinct().Count());
        Assert.True(repeated.Duplicate);
        Assert.Equal(first.MessageId, repeated.MessageId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/y")]
    [InlineData("ünïcode")]
    public void A_tenant_id_outside_the_charset_is_refused(string id)
    {
        Assert.False(WebHookTenant.IsValid(id));
        Assert.Throws<ArgumentException>(() => new WebHookTenant(id));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    [InlineData("ann@example.com")]
    [InlineData("auth0|abc_123.x:y")]
    public void Ids_apps_use_for_users_are_valid_tenant_ids(string id)
    {
        Assert.Equal(id, new WebHookTenant(id).Id);
        Assert.Equal(WebHookTenant.DefaultId, default(WebHookTenant).Id);
    }
}
