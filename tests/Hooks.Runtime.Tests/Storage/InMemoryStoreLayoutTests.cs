using System.Text;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Tests.Infrastructure;

namespace Hooks.Tests.Storage;

/// <summary>
/// The in-memory store keeps messages as records, bodies in shared slabs and ids as bits: what goes in must come out
/// unchanged whatever the id, the body's size, or what the caller does with its buffer afterwards.
/// </summary>
public sealed class InMemoryStoreLayoutTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    private static async Task<InMemoryWebHookStore> StoreWith(int maxMessages = InMemoryWebHookStore.DefaultMaxMessages, params string[] subscriptions)
    {
        var store = new InMemoryWebHookStore(maxMessages);
        foreach (var id in subscriptions.Length == 0 ? ["sub_a"] : subscriptions)
        {
            await store.CreateSubscriptionAsync(new WebHookSubscription
            {
                Id = id,
                Url = new Uri("https://example.com/" + id),
                Secrets = [new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, null)],
                Status = WebHookSubscriptionStatus.Enabled,
                CreatedAt = T0,
                UpdatedAt = T0,
            });
        }
        return store;
    }

    private static ValueTask<WebHookPublishResult> Append(InMemoryWebHookStore store, string id, ReadOnlyMemory<byte> body, DateTimeOffset? at = null) =>
        store.AppendMessageAsync(new WebHookMessageDraft
        {
            Message = new WebHookMessage { Id = id, EventType = "order.created", Timestamp = at ?? T0, Body = body },
        });

    private static async Task Succeed(InMemoryWebHookStore store, IEnumerable<WebHookLease> leases, string? responseBody = null)
    {
        await store.RecordAttemptsAsync([.. leases.Select(lease => LeaseResults.Of(lease, WebHookDeliveryStatus.Succeeded, T0,
            outcome: WebHookAttemptOutcome.Succeeded, statusCode: 200, responseBody: responseBody, duration: TimeSpan.FromMilliseconds(12)))]);
    }

    private static byte[] Body(int length, int seed)
    {
        var body = new byte[length];
        new Random(seed).NextBytes(body);
        return body;
    }

    [Theory]
    [InlineData("msg_01JD8Q3ZKXW4N7R2YV6T9MBC5E")]       // a generated id (kept as bits)
    [InlineData("order-42")]                          // any other id (kept as text)
    [InlineData("msg_01jd8q3zkxw4n7r2yv6t9mbc5e")]       // lower case: not what Format writes, so kept as text
    [InlineData("msg_81JD8Q3ZKXW4N7R2YV6T9MBC5E")]       // over 128 bits
    public async Task Any_message_id_comes_back_exactly(string id)
    {
        var store = await StoreWith();
        await Append(store, id, "{}"u8.ToArray());

        var lease = Assert.Single(await store.LeaseDueAsync(T0, 10, int.MaxValue, Lease));
        Assert.Equal(id, lease.Message.Id);
        Assert.Equal(id, lease.Delivery.MessageId);
        Assert.Equal(id, (await store.GetMessageAsync(id))!.Id);
        Assert.Single(await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a", MessageId = id }));
        Assert.True(await store.RedeliverAsync("sub_a", id, T0));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await Append(store, id, "{}"u8.ToArray()));
    }

    [Fact]
    public async Task A_generated_id_and_its_text_twin_in_other_case_are_different_messages()
    {
        var store = await StoreWith();
        var id = WebHookIds.NewMessageId(T0);
        await Append(store, id, "1"u8.ToArray());
        await Append(store, id.ToLowerInvariant(), "2"u8.ToArray());

        Assert.Equal("1", Encoding.UTF8.GetString((await store.GetMessageAsync(id))!.Body.Span));
        Assert.Equal("2", Encoding.UTF8.GetString((await store.GetMessageAsync(id.ToLowerInvariant()))!.Body.Span));
    }

    [Fact]
    public async Task The_store_keeps_its_own_copy_of_a_body()
    {
        var store = await StoreWith();
        var buffer = "{\"n\":1}"u8.ToArray();
        var id = (await Append(store, WebHookIds.NewMessageId(T0), buffer)).MessageId;
        buffer.AsSpan().Fill((byte)'x'); // the caller reuses its buffer once the append completed

        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString((await store.GetMessageAsync(id))!.Body.Span));
    }

    [Fact]
    public async Task Bodies_of_every_size_come_back_unchanged_across_slabs_and_after_forgetting()
    {
        // Sizes around the slab's edges and the own-array threshold, enough to fill several slabs.
        int[] sizes = [0, 1, 100, 1000, 16 * 1024 - 17, 16 * 1024 - 16, 16 * 1024 + 1, 40_000, 65_000, 200_000, 3, 7000];
        var store = await StoreWith(maxMessages: 5);
        var sent = new List<(string Id, byte[] Body)>();
        var handedOut = new List<(WebHookMessage Message, byte[] Expected)>();
        for (var round = 0; round < 6; round++)
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                var body = Body(sizes[i], round * 100 + i);
                var id = (await Append(store, WebHookIds.NewMessageId(T0), body)).MessageId;
                sent.Add((id, body));
            }
            var leases = await store.LeaseDueAsync(T0, 100, int.MaxValue, Lease);
            Assert.Equal(sizes.Length, leases.Count);
            foreach (var lease in leases)
            {
                var expected = sent.Single(s => s.Id == lease.Message.Id).Body;
                Assert.True(expected.AsSpan().SequenceEqual(lease.Message.Body.Span), $"body of {expected.Length} bytes");
                handedOut.Add((lease.Message, expected));
            }
            await Succeed(store, leases);
        }

        // Most messages were forgotten and their slabs dropped; every body handed out earlier is still intact.
        Assert.Null(await store.GetMessageAsync(sent[0].Id));
        Assert.All(handedOut, h => Assert.True(h.Expected.AsSpan().SequenceEqual(h.Message.Body.Span)));
        var kept = await store.ReadFeedAsync("sub_a", 0, 100);
        Assert.InRange(kept.Entries.Count, 5, sizes.Length);
        Assert.All(kept.Entries, e => Assert.True(sent.Single(s => s.Id == e.Message.Id).Body.AsSpan().SequenceEqual(e.Message.Body.Span)));
    }

    [Fact]
    public async Task Finished_messages_behind_a_pending_one_are_still_forgotten()
    {
        var store = await StoreWith(maxMessages: 3, "sub_a", "sub_b");
        // The first message goes to sub_b only, which never answers; the rest go to sub_a and finish.
        var stuck = (await store.AppendMessageAsync(new WebHookMessageDraft
        {
            Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
            SubscriptionId = "sub_b",
        })).MessageId;
        var finished = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            finished.Add((await store.AppendMessageAsync(new WebHookMessageDraft
            {
                Message = new WebHookMessage { Id = WebHookIds.NewMessageId(T0), EventType = "order.created", Timestamp = T0, Body = "{}"u8.ToArray() },
                SubscriptionId = "sub_a",
            })).MessageId);
            await Succeed(store, (await store.LeaseDueAsync(T0, 10, int.MaxValue, Lease)).Where(l => l.Subscription.Id == "sub_a"));
        }

        Assert.NotNull(await store.GetMessageAsync(stuck));
        Assert.Null(await store.GetMessageAsync(finished[0]));
        Assert.InRange((await store.ListDeliveriesAsync(new WebHookDeliveryQuery { SubscriptionId = "sub_a", Limit = 100 })).Count, 1, 3);
    }

    [Fact]
    public async Task An_attempt_is_listed_as_recorded_whether_or_not_it_carried_text()
    {
        var store = await StoreWith();
        await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray());
        await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray());
        var leases = await store.LeaseDueAsync(T0, 10, int.MaxValue, Lease);
        await Succeed(store, [leases[0]]);
        await Succeed(store, [leases[1]], responseBody: "thanks");

        var plain = Assert.Single(await store.ListAttemptsAsync("sub_a", leases[0].Delivery.Id));
        Assert.Equal((leases[0].Delivery.Id, leases[0].Message.Id, "sub_a", 1, T0, TimeSpan.FromMilliseconds(12), WebHookAttemptOutcome.Succeeded, (int?)200, (string?)null),
            (plain.DeliveryId, plain.MessageId, plain.SubscriptionId, plain.Number, plain.StartedAt, plain.Duration, plain.Outcome, plain.StatusCode, plain.ResponseBody));
        Assert.Equal("thanks", Assert.Single(await store.ListAttemptsAsync("sub_a", leases[1].Delivery.Id)).ResponseBody);

        // A second attempt joins the first, which keeps its fields.
        Assert.True(await store.RedeliverAsync("sub_a", leases[0].Message.Id, T0));
        await Succeed(store, await store.LeaseDueAsync(T0, 10, int.MaxValue, Lease), responseBody: "again");
        var both = await store.ListAttemptsAsync("sub_a", leases[0].Delivery.Id);
        Assert.Equal([(1, (string?)null), (2, "again")], both.Select(a => (a.Number, a.ResponseBody)));
        Assert.Equal(200, both[0].StatusCode);
    }

    [Fact]
    public async Task New_deliveries_and_retries_are_leased_in_due_order()
    {
        var store = await StoreWith();
        // A retry due at T0+1s, then publishes at T0+2s and T0+0.5s (out of order), then one at T0+3s.
        await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray(), T0);
        var first = Assert.Single(await store.LeaseDueAsync(T0, 10, int.MaxValue, Lease));
        await store.RecordAttemptsAsync([LeaseResults.Of(first, WebHookDeliveryStatus.Pending, T0, T0.AddSeconds(1))]);
        var at2 = (await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray(), T0.AddSeconds(2))).MessageId;
        var atHalf = (await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray(), T0.AddSeconds(0.5))).MessageId;
        var at3 = (await Append(store, WebHookIds.NewMessageId(T0), "{}"u8.ToArray(), T0.AddSeconds(3))).MessageId;

        Assert.Equal(new DateTimeOffset?(T0.AddSeconds(0.5)), await store.GetNextDueAsync());
        var leased = await store.LeaseDueAsync(T0.AddSeconds(10), 10, int.MaxValue, Lease);
        Assert.Equal([atHalf, first.Message.Id, at2, at3], leased.Select(l => l.Message.Id));
        Assert.Equal(2, (await store.LeaseDueAsync(T0.AddSeconds(10).Add(Lease), 2, int.MaxValue, Lease)).Count); // expired leases come back
    }

    [Fact]
    public async Task A_long_run_stays_within_its_bounds()
    {
        // 40 000 messages through publish, lease and record, as a busy dispatcher would, with retries mixed in:
        // what is kept stays near the limit, and finished leases do not pile up in the expiry queue.
        var store = await StoreWith(maxMessages: 1000);
        var body = Body(300, 1);
        var now = T0;
        for (var batch = 0; batch < 400; batch++)
        {
            for (var i = 0; i < 100; i++)
            {
                await Append(store, WebHookIds.NewMessageId(now), body, now);
            }
            var leases = await store.LeaseDueAsync(now, 200, int.MaxValue, Lease);
            await store.RecordAttemptsAsync([.. leases.Select((lease, i) => i % 10 == 0 && lease.Delivery.Attempts == 0
                ? LeaseResults.Of(lease, WebHookDeliveryStatus.Pending, now, now.AddMilliseconds(1), statusCode: 500, responseBody: "busy")
                : LeaseResults.Of(lease, WebHookDeliveryStatus.Succeeded, now, outcome: WebHookAttemptOutcome.Succeeded, statusCode: 204))]);
            now = now.AddMilliseconds(1);

            var footprint = store.Footprint();
            Assert.InRange(footprint.Messages, 0, 1000 + 200);
            Assert.InRange(footprint.Deliveries, 0, 1000 + 200);
            Assert.InRange(footprint.LeaseEntries, 0, 200);
            Assert.InRange(footprint.DueEntries, 0, 200);
            Assert.InRange(footprint.AttemptLists, 0, 1000 + 200);
            Assert.InRange(footprint.Slabs, 0, 10); // 1 200 bodies of 300 bytes fill about 6 slabs
        }
    }
}
