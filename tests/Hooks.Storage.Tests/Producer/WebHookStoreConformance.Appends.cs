using Hooks.Publishing;
using Hooks.Security;

namespace Hooks.Storage.Tests.Producer;

// Appends under concurrency (a store may write concurrent appends together), and subscriptions read back as written.
public abstract partial class WebHookStoreConformance
{
    [SkippableFact]
    public async Task Concurrent_appends_with_one_idempotency_key_store_one_message()
    {
        var store = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            (i % 2 == 0 ? store : second).AppendMessageAsync(Draft(key: "order-1")).AsTask()));

        Assert.Single(results, r => !r.Duplicate);
        Assert.Single(results.Select(r => r.MessageId).Distinct());
        Assert.Single(await DeliveriesAsync(store, "sub_a"));
    }

    [SkippableFact]
    public async Task An_append_of_a_stored_message_id_is_refused_and_appends_beside_it_are_stored()
    {
        var store = await CreateStoreAsync();
        await store.CreateSubscriptionAsync(Subscription("sub_a"));
        var original = Draft();
        await store.AppendMessageAsync(original);

        // Started together (a store may commit them in one transaction); a store may also refuse before its task starts.
        var appends = Enumerable.Range(0, 10).Select(i => AppendAsync(store, i == 5 ? original : Draft())).ToList();
        await Assert.ThrowsAsync<InvalidOperationException>(() => appends[5]);

        foreach (var append in appends.Where((_, i) => i != 5))
        {
            Assert.NotNull(await store.GetMessageAsync((await append).MessageId));
        }
        Assert.Equal(10, (await DeliveriesAsync(store, "sub_a")).Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), (await store.ReadFeedAsync("sub_a", 0, 20)).Entries.Select(e => e.Sequence));
    }

    [SkippableFact]
    public async Task A_subscription_reads_back_as_it_was_written()
    {
        var store = await CreateStoreAsync();
        var second = await OpenSecondStoreAsync();
        var written = Subscription("sub_a", WebHookSubscriptionStatus.Disabled, "tenant-1", "order.*", "customer.created") with
        {
            Url = new Uri("https://example.com/hooks?token=a%20b"),
            Secrets =
            [
                new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0.AddDays(1), null),
                new WebHookSubscriptionSecret(WebHookSecret.Generate(), T0, T0.AddDays(2)),
            ],
            Description = "Orders \"and\" customers",
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["team"] = "billing", ["ünïcode"] = "✓" },
            Verification = WebHookIntentVerificationMode.Ping,
            VerifiedUrl = new Uri("https://example.com/old"),
            PendingUrl = new Uri("https://example.com/new"),
            StatusReason = "410 Gone",
            FailingSince = T0.AddHours(-3),
            UpdatedAt = T0.AddMinutes(5),
        };
        await store.CreateSubscriptionAsync(written);

        // Read through another instance, as another process would.
        var read = (await second.GetSubscriptionAsync("tenant-1", "sub_a"))!;

        Assert.Equal(written.Url, read.Url);
        Assert.Equal(written.Tenant, read.Tenant);
        Assert.Equal(written.EventTypes, read.EventTypes);
        Assert.Equal(written.Description, read.Description);
        Assert.Equal(written.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal), read.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(written.Status, read.Status);
        Assert.Equal(written.Verification, read.Verification);
        Assert.Equal(written.VerifiedUrl, read.VerifiedUrl);
        Assert.Equal(written.PendingUrl, read.PendingUrl);
        Assert.Equal(written.StatusReason, read.StatusReason);
        Assert.Equal(written.CreatedAt, read.CreatedAt);
        Assert.Equal(written.UpdatedAt, read.UpdatedAt);
        Assert.Equal(written.FailingSince, read.FailingSince);
        Assert.Equal(1, read.Version);
        Assert.Equal(written.Secrets.Count, read.Secrets.Count);
        for (var i = 0; i < written.Secrets.Count; i++)
        {
            Assert.True(written.Secrets[i].Secret.KeyEquals(read.Secrets[i].Secret));
            Assert.Equal(written.Secrets[i].CreatedAt, read.Secrets[i].CreatedAt);
            Assert.Equal(written.Secrets[i].ExpiresAt, read.Secrets[i].ExpiresAt);
        }
    }

    private static async Task<WebHookPublishResult> AppendAsync(IWebHookStore store, WebHookMessageDraft draft) =>
        await store.AppendMessageAsync(draft);
}
