using System.Security.Cryptography;

namespace Hooks.Security;

/// <summary>
/// Keyed HMAC-SHA256 contexts for the few secrets one long-lived, single-threaded signer (a dispatcher worker) uses
/// again and again. A one-shot HMAC re-derives the key's inner and outer pads and sets up a new native context on
/// every call, about half the cost of signing a typical webhook; a kept context is reset to its keyed state instead.
/// </summary>
/// <remarks>
/// Secrets are matched by reference (a subscription's record keeps its secret objects). A secret is signed one-shot
/// the first time it is seen and gets a context the second time, so secrets seen once cost nothing extra. At most
/// <see cref="Capacity"/> contexts are kept, replaced round-robin; disposing releases them all.
/// </remarks>
internal sealed class WebHookHmacCache : IDisposable
{
    /// <summary>How many secrets are remembered.</summary>
    public const int Capacity = 8;

    private readonly WebHookSecret?[] _secrets = new WebHookSecret?[Capacity];
    private readonly IncrementalHash?[] _contexts = new IncrementalHash?[Capacity];
    private int _next;

    /// <summary>HMAC-SHA256 of <paramref name="content"/> under <paramref name="secret"/> into <paramref name="destination"/>.</summary>
    public void Hash(WebHookSecret secret, ReadOnlySpan<byte> content, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_next < 0, this);
        for (var i = 0; i < Capacity; i++)
        {
            if (ReferenceEquals(_secrets[i], secret))
            {
                var context = _contexts[i] ??= IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret.Key);
                context.AppendData(content);
                context.GetHashAndReset(destination);
                return;
            }
        }
        var slot = _next;
        _next = (_next + 1) % Capacity;
        _contexts[slot]?.Dispose();
        _contexts[slot] = null;
        _secrets[slot] = secret;
        HMACSHA256.HashData(secret.Key, content, destination);
    }

    public void Dispose()
    {
        for (var i = 0; i < Capacity; i++)
        {
            _contexts[i]?.Dispose();
            _contexts[i] = null;
            _secrets[i] = null;
        }
        _next = -1;
    }
}
