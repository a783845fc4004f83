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
}
