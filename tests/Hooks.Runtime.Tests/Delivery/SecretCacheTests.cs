using Hooks.Delivery;
using Hooks.Security;
using Hooks.Storage;

namespace Hooks.Tests.Delivery;

/// <summary>
/// The dispatcher's secret cache is keyed by subscription id and version, not by record: a store that makes new
/// records (and new secret objects) on every lease still hands the signer the same secrets, so the workers' keyed
/// HMAC contexts, matched by reference, are reused.
/// </summary>
public sealed class SecretCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    // What a SQL store does per lease: a new record with new secret objects of the same key.
    private static WebHookSubscription Materialize(WebHookSecret secret, long version, DateTimeOffset? retiring = null)
    {
        var secrets = new List<WebHookSubscriptionSecret> { new(WebHookSecret.Parse(secret.Reveal()), T0, null) };
        if (retiring is { } at)
        {
            secrets.Add(new(WebHookSecret.Generate(), T0.AddDays(-1), at));
        }
        return new WebHookSubscription { Id = "sub_a", Url = new Uri("https://example.com/a"), Secrets = secrets, Version = version };
    }

    [Fact]
    public void Records_of_the_same_subscription_version_get_the_same_secret_objects()
    {
        var cache = new WebHookSecretCache();
        var secret = WebHookSecret.Generate();

        var first = cache.ActiveSecrets(Materialize(secret, 3), T0);
        var second = cache.ActiveSecrets(Materialize(secret, 3), T0.AddMinutes(1));

        Assert.Same(first, second);
        Assert.Same(first[0], second[0]);
    }

    [Fact]
    public void A_new_version_or_a_retired_secret_is_read_again()
    {
        var cache = new WebHookSecretCache();
        var secret = WebHookSecret.Generate();

        var rotating = cache.ActiveSecrets(Materialize(secret, 3, retiring: T0.AddHours(1)), T0);
        var afterRetirement = cache.ActiveSecrets(Materialize(secret, 3, retiring: T0.AddHours(1)), T0.AddHours(2));
        var nextVersion = cache.ActiveSecrets(Materialize(secret, 4), T0.AddHours(2));

        Assert.Equal(2, rotating.Length);
        Assert.Single(afterRetirement);
        Assert.NotSame(afterRetirement, nextVersion);
    }
}
