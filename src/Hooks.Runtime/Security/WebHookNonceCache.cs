namespace Hooks.Security;

/// <summary>What remembering a nonce found.</summary>
internal enum WebHookNonceResult
{
    /// <summary>New: remembered until its request would fall outside the tolerance.</summary>
    Fresh,

    /// <summary>Seen before within its window: a replay.</summary>
    Replayed,

    /// <summary>The cache is full of nonces still inside their window: refused (never evicted, which would allow a replay).</summary>
    Full,
}

/// <summary>
/// The nonces of signed consumer requests, each kept until the request's timestamp leaves the tolerance window (after
/// that the timestamp check refuses a replay by itself). Bounded: at <see cref="Capacity"/> live entries new requests
/// are refused (<see cref="WebHookNonceResult.Full"/>) rather than an entry evicted early. Only requests whose
/// signature verified are remembered, so filling it takes valid secrets. Expired entries are swept when the cache is
/// full and at least once a minute.
/// </summary>
internal sealed class WebHookNonceCache(int capacity)
{
    private readonly Dictionary<(string Subscription, string Nonce), long> _expires = new();
    private long _nextSweep;

    public int Capacity => capacity;

    /// <summary>Remembers <paramref name="nonce"/> of <paramref name="subscriptionId"/> until <paramref name="expiresAt"/> (Unix seconds).</summary>
    public WebHookNonceResult TryRemember(string subscriptionId, string nonce, long expiresAt, long now)
    {
        lock (_expires)
        {
            if (now >= _nextSweep || _expires.Count >= capacity)
            {
                foreach (var (key, expiry) in _expires)
                {
                    if (expiry < now)
                    {
                        _expires.Remove(key);
                    }
                }
                _nextSweep = now + 60;
            }
            var key2 = (subscriptionId, nonce);
            if (_expires.TryGetValue(key2, out var seenUntil) && seenUntil >= now)
            {
                return WebHookNonceResult.Replayed;
            }
            if (_expires.Count >= capacity)
            {
                return WebHookNonceResult.Full;
            }
            _expires[key2] = expiresAt;
            return WebHookNonceResult.Fresh;
        }
    }
}
