using System.Security.Cryptography;

namespace Hooks.Security;

/// <summary>
/// Keyed HMAC-SHA256 contexts for one secret, shared by concurrent users (a verifier answering many requests at
/// once): a context is taken from the pool, used and put back, so the key's pads are derived once per context
/// rather than once per message. Lock-free; at most twice the core count (4 to 64) idle contexts are kept, the rest
/// disposed on return.
/// </summary>
internal sealed class WebHookHmacPool(WebHookSecret secret)
{
    private readonly IncrementalHash?[] _idle = new IncrementalHash?[Math.Clamp(Environment.ProcessorCount * 2, 4, 64)];

    /// <summary>HMAC-SHA256 of <paramref name="content"/> under the pool's secret into <paramref name="destination"/>.</summary>
    public void Hash(ReadOnlySpan<byte> content, Span<byte> destination)
    {
        var context = Rent();
        try
        {
            context.AppendData(content);
            context.GetHashAndReset(destination);
        }
        catch
        {
            context.Dispose(); // its state is unknown: never reused
            throw;
        }
        Return(context);
    }

    private IncrementalHash Rent()
    {
        // Each thread starts at a slot of its own, so concurrent users mostly touch different slots.
        var start = Environment.CurrentManagedThreadId;
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.Exchange(ref _idle[(start + i) % _idle.Length], null) is { } idle)
            {
                return idle;
            }
        }
        return IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret.Key);
    }

    private void Return(IncrementalHash context)
    {
        var start = Environment.CurrentManagedThreadId;
        for (var i = 0; i < _idle.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _idle[(start + i) % _idle.Length], context, null) is null)
            {
                return;
            }
        }
        context.Dispose();
    }
}
