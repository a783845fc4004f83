using System.Security.Cryptography;

namespace Hooks.Publishing;

/// <summary>
/// Time-sortable unique ids: a 48-bit millisecond Unix timestamp followed by 80 random bits, as 26 Crockford base32
/// chars, so ordinal order of ids is creation order to the millisecond.
/// </summary>
public static class WebHookMessageId
{
    /// <summary>The prefix of message ids.</summary>
    public const string MessagePrefix = "msg_";

    /// <summary>The prefix of subscription ids.</summary>
    public const string SubscriptionPrefix = "sub_";

    private const int RandomBlock = 640;

    // Random bytes from the CSPRNG in blocks: one system call per 64 ids instead of one per id.
    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomOffset;

    private static void NextRandom(Span<byte> destination)
    {
        var block = t_random;
        if (block is null || t_randomOffset + destination.Length > block.Length)
        {
            block = t_random ??= new byte[RandomBlock];
            RandomNumberGenerator.Fill(block);
            t_randomOffset = 0;
        }
        block.AsSpan(t_randomOffset, destination.Length).CopyTo(destination);
        // Never hand out the same bytes twice.
        block.AsSpan(t_randomOffset, destination.Length).Clear();
        t_randomOffset += destination.Length;
    }

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>A new message id, <c>msg_</c> plus 26 chars.</summary>
    public static string NewMessageId(DateTimeOffset now) => Create(MessagePrefix, now);

    /// <summary>A new subscription id, <c>sub_</c> plus 26 chars.</summary>
    public static string NewSubscriptionId(DateTimeOffset now) => Create(SubscriptionPrefix, now);

    /// <summary>A new id with the given prefix.</summary>
    public static string Create(string prefix, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var ms = (ulong)Math.Max(0, now.ToUnixTimeMilliseconds()) & 0xFFFF_FFFF_FFFFUL;
        Span<byte> random = stackalloc byte[10];
        NextRandom(random);
        UInt128 value = ms;
        foreach (var b in random)
        {
            value = (value << 8) | b;
        }
        return string.Create(prefix.Length + 26, (prefix, value), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            var chars = span[state.prefix.Length..];
            var v = state.value;
            for (var i = 25; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(v & 31)];
                v >>= 5;
            }
        });
    }
}
