using System.Collections.Concurrent;
using Hooks.Security;
using Hooks.Storage;

namespace Hooks.Delivery;

/// <summary>
/// The active secrets of each subscription, by subscription id and <see cref="WebHookSubscription.Version"/>: a store
/// that makes new records (and new secret objects) on every lease still hands the signer the same secret objects, so
/// the workers' <see cref="WebHookHmacCache"/> (which matches secrets by reference) keeps its keyed HMAC contexts.
/// </summary>
internal sealed class WebHookSecretCache
{
    // Bounded: subscriptions come and go; a full cache starts again rather than growing.
    internal const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(long Version, WebHookSecret[] Secrets, DateTimeOffset ValidUntil);

    /// <summary>The subscription's secrets valid at <paramref name="now"/>, newest first.</summary>
    public WebHookSecret[] ActiveSecrets(WebHookSubscription subscription, DateTimeOffset now)
    {
        if (_entries.TryGetValue(subscription.Id, out var entry) && entry.Version == subscription.Version && now < entry.ValidUntil)
        {
            return entry.Secrets;
        }
        var secrets = subscription.ActiveSecrets(now).ToArray();
        var validUntil = DateTimeOffset.MaxValue;
        foreach (var s in subscription.Secrets)
        {
            if (s.ExpiresAt is { } e && e > now && e < validUntil)
            {
                validUntil = e;
            }
        }
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }
        _entries[subscription.Id] = new Entry(subscription.Version, secrets, validUntil);
        return secrets;
    }
}
