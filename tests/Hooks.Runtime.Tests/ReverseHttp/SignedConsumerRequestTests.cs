using Hooks.Security;
using Hooks.Storage;

namespace Hooks.Tests.ReverseHttp;

/// <summary>The signed-request scheme consumers use towards producers: rotation, and the bounded nonce memory.</summary>
public sealed class SignedConsumerRequestTests
{
    [Fact]
    public async Task During_a_rotation_overlap_the_previous_secret_still_opens_a_connection_and_an_expired_one_does_not()
    {
        var current = WebHookSecret.Generate();
        var previous = WebHookSecret.Generate();
        var expired = WebHookSecret.Generate();
        await using var producer = await PtthProducer.StartAsync();
        var subscription = await producer.SubscribeAsync(current);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(WebHookSubscriptionUpdateResult.Updated, await producer.Store.UpdateSubscriptionAsync(subscription with
        {
            Secrets =
            [
                new WebHookSubscriptionSecret(current, now, null),
                new WebHookSubscriptionSecret(previous, now.AddDays(-1), now.AddHours(1)),
                new WebHookSubscriptionSecret(expired, now.AddDays(-2), now.AddMinutes(-1)),
            ],
        }));

        await using (var raw = await RawHttpConnection.ConnectAsync(producer.Address))
        {
            await raw.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, previous));
            Assert.Equal(101, (await raw.ReadMessageAsync()).Status);
        }
        await using (var raw = await RawHttpConnection.ConnectAsync(producer.Address))
        {
            await raw.WriteAsync(RawHttpConnection.UpgradeHead(subscription.Id, expired));
            Assert.Equal(401, (await raw.ReadMessageAsync()).Status);
        }
    }

    [Fact]
    public void Nonces_are_kept_for_their_window_and_a_full_cache_refuses_instead_of_forgetting()
    {
        var cache = new WebHookNonceCache(capacity: 2);
        Assert.Equal(WebHookNonceResult.Fresh, cache.TryRemember("sub_a", "req_1", expiresAt: 100, now: 0));
        Assert.Equal(WebHookNonceResult.Replayed, cache.TryRemember("sub_a", "req_1", expiresAt: 100, now: 50));
        // The same nonce under another subscription is another request.
        Assert.Equal(WebHookNonceResult.Fresh, cache.TryRemember("sub_b", "req_1", expiresAt: 200, now: 50));
        Assert.Equal(WebHookNonceResult.Full, cache.TryRemember("sub_a", "req_2", expiresAt: 200, now: 60));

        // Past its window the first entry is swept, making room; the second is still remembered.
        Assert.Equal(WebHookNonceResult.Fresh, cache.TryRemember("sub_a", "req_2", expiresAt: 300, now: 101));
        Assert.Equal(WebHookNonceResult.Replayed, cache.TryRemember("sub_b", "req_1", expiresAt: 200, now: 150));
    }

    [Fact]
    public void The_signature_covers_method_target_and_body_as_docs_reverse_http_md_lays_them_out()
    {
        var secret = WebHookSecret.Generate();
        var signature = WebHookRequestSigner.Sign(secret, "req_abc", 1764480000, "GET", "/webhooks/events?after=41", "x"u8);
        // The documented layout is the Standard Webhooks content with "{METHOD} {target}\n{body}" as the body.
        var verified = new WebHookVerifier(secret, new FixedClock(DateTimeOffset.FromUnixTimeSeconds(1764480000)))
            .Verify("req_abc", "1764480000", signature, "GET /webhooks/events?after=41\nx"u8);
        Assert.True(verified.IsValid);
        Assert.NotEqual(signature, WebHookRequestSigner.Sign(secret, "req_abc", 1764480000, "GET", "/webhooks/events?after=42", "x"u8));
        Assert.NotEqual(signature, WebHookRequestSigner.Sign(secret, "req_abc", 1764480000, "POST", "/webhooks/events?after=41", "x"u8));
        Assert.NotEqual(signature, WebHookRequestSigner.Sign(secret, "req_abc", 1764480000, "GET", "/webhooks/events?after=41", "y"u8));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
