using System.Text;
using Hooks.Security;

namespace Hooks.Tests.Security;

/// <summary>A dispatcher worker signs with kept keyed contexts: the headers must be exactly the one-shot ones.</summary>
public sealed class HmacCacheTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"type\":\"order.created\",\"data\":{\"id\":42}}");

    [Fact]
    public void Signs_exactly_as_the_one_shot_signer_on_every_sighting_and_after_replacement()
    {
        using var cache = new WebHookHmacCache();
        // More secrets than the cache keeps, each used several times, interleaved, so every path runs: first
        // sighting (one-shot), second (context made), later (context reused), and replacement of old entries.
        var secrets = Enumerable.Range(0, WebHookHmacCache.Capacity + 3).Select(_ => WebHookSecret.Generate()).ToArray();
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < secrets.Length; i++)
            {
                var id = $"msg_{round}_{i}";
                var body = Body.Concat(new byte[round * 700 + i]).ToArray(); // sizes from tiny to past the stack limit
                Assert.Equal(WebHookSigner.Sign(secrets[i], id, 1_700_000_000 + i, body),
                    WebHookSigner.Sign([secrets[i]], id, 1_700_000_000 + i, body, cache));
            }
        }
    }

    [Fact]
    public void Signs_with_every_secret_of_a_rotation()
    {
        using var cache = new WebHookHmacCache();
        WebHookSecret[] secrets = [WebHookSecret.Generate(), WebHookSecret.Generate()];
        for (var i = 0; i < 3; i++)
        {
            var expected = WebHookSigner.Sign(secrets, "msg_1", 1_700_000_000, Body);
            Assert.Equal(expected, WebHookSigner.Sign(secrets, "msg_1", 1_700_000_000, Body, cache));
            Assert.Equal(2, expected.Split(' ').Length);
        }
    }

    [Fact]
    public void A_disposed_cache_refuses_to_sign()
    {
        var cache = new WebHookHmacCache();
        var secret = WebHookSecret.Generate();
        WebHookSigner.Sign([secret], "msg_1", 1, Body, cache);
        WebHookSigner.Sign([secret], "msg_1", 1, Body, cache);
        cache.Dispose();
        Assert.Throws<ObjectDisposedException>(() => WebHookSigner.Sign([secret], "msg_1", 1, Body, cache));
    }

    [Fact]
    public async Task A_verifier_shared_by_many_threads_accepts_every_good_signature_and_refuses_every_bad_one()
    {
        WebHookSecret[] secrets = [WebHookSecret.Generate(), WebHookSecret.Generate()];
        var now = DateTimeOffset.UtcNow;
        var verifier = new WebHookVerifier(secrets, new FixedClock(now));
        var timestamp = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var start = new Barrier(8);
        var failures = await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            var wrong = 0;
            for (var i = 0; i < 500; i++)
            {
                var id = $"msg_{worker}_{i}";
                var body = Body.Concat(new byte[i % 97]).ToArray();
                var signature = WebHookSigner.Sign(secrets[i % 2], id, now.ToUnixTimeSeconds(), body);
                if (!verifier.Verify(id, timestamp, signature, body).IsValid)
                {
                    wrong++;
                }
                body[^1] ^= 1;
                if (verifier.Verify(id, timestamp, signature, body).IsValid)
                {
                    wrong++;
                }
            }
            return wrong;
        })));
        Assert.All(failures, f => Assert.Equal(0, f));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
