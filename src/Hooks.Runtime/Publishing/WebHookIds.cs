namespace Hooks.Publishing;

/// <summary>
/// Time-sortable unique ids: a 48-bit millisecond Unix timestamp followed by 80 random bits, as 26 Crockford base32
/// chars, so ordinal order of ids is creation order to the millisecond.
/// </summary>
internal static class WebHookIds
{
    /// <summary>The prefix of message ids.</summary>
    public const string MessagePrefix = "msg_";

    /// <summary>The prefix of subscription ids.</summary>
    public const string SubscriptionPrefix = "sub_";

    // Ids must be unique, not secret (a receiver trusts a message for its signature, never for its id): 80 bits from
    // the runtime's fast PRNG, itself seeded from the OS, instead of a CSPRNG call per id, which profiling showed
    // dominating the in-memory store's publish path.
    private static void NextRandom(Span<byte> destination) => Random.Shared.NextBytes(destination);

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
        // 48 bits of milliseconds, then 80 random bits: the high half holds the time and 16 random bits.
        var high = (ms << 16) | System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(random[8..]);
        var low = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(random);
        return Format(prefix, high, low);
    }

    /// <summary>The id with <paramref name="prefix"/> whose 128 bits are <paramref name="value"/>.</summary>
    internal static string Format(string prefix, UInt128 value) => Format(prefix, (ulong)(value >> 64), (ulong)value);

    // 26 chars of 5 bits, most significant first; the first holds the top 3 bits. Two 64-bit halves rather than one
    // UInt128: an id is made, read and remade on every delivery of the in-memory store.
    private static string Format(string prefix, ulong high, ulong low) =>
        string.Create(prefix.Length + 26, (prefix, high, low), static (span, state) =>
        {
            state.prefix.AsSpan().CopyTo(span);
            var chars = span[state.prefix.Length..];
            for (var i = 25; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(Bits(state.high, state.low, (25 - i) * 5) & 31)];
            }
        });

    // The 64 bits of high:low from bit offset (below 128) on.
    private static ulong Bits(ulong high, ulong low, int offset) => offset switch
    {
        >= 64 => high >> (offset - 64),
        0 => low,
        _ => (low >> offset) | (high << (64 - offset)),
    };

    /// <summary>
    /// The 128 bits of an id made by <see cref="Create"/> with <paramref name="prefix"/>: <c>true</c> only when
    /// <see cref="Format(string, UInt128)"/> gives back exactly <paramref name="id"/>, so a store may keep the bits
    /// instead of the string.
    /// </summary>
    internal static bool TryParse(string id, string prefix, out UInt128 value)
    {
        value = 0;
        if (id.Length != prefix.Length + 26 || !id.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var chars = id.AsSpan(prefix.Length);
        ulong high = 0, low = 0;
        for (var i = 0; i < chars.Length; i++)
        {
            var digit = Digit(chars[i]);
            // 26 chars hold 130 bits: the first may only use the low 3 (128 in all).
            if (digit < 0 || (i == 0 && digit > 7))
            {
                return false;
            }
            var offset = (25 - i) * 5;
            if (offset >= 64)
            {
                high |= (ulong)digit << (offset - 64);
            }
            else
            {
                low |= (ulong)digit << offset;
                if (offset > 59)
                {
                    high |= (ulong)digit >> (64 - offset); // a digit astride the halves
                }
            }
        }
        value = new UInt128(high, low);
        return true;
    }

    private static int Digit(char c) => c is >= '0' and <= 'Z' ? Digits[c - '0'] : -1;

    // Indexed by char - '0' up to 'Z': the value of each alphabet char, -1 for the rest (lower case, I, L, O, U and
    // punctuation are not produced by Format, so they never round-trip).
    private static readonly sbyte[] Digits = BuildDigits();

    private static sbyte[] BuildDigits()
    {
        var digits = new sbyte['Z' - '0' + 1];
        digits.AsSpan().Fill(-1);
        for (var i = 0; i < Alphabet.Length; i++)
        {
            digits[Alphabet[i] - '0'] = (sbyte)i;
        }
        return digits;
    }
}
