using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Hooks.Security;

/// <summary>
/// The bytes Standard Webhooks signs, <c>{id}.{timestamp}.{body}</c>, laid out contiguously so one one-shot HMAC
/// covers them. Small messages live on the stack; larger ones in a rented array that is cleared on return.
/// </summary>
internal ref struct SignedContent
{
    /// <summary>Below this many bytes the content is built on the stack.</summary>
    public const int StackLimit = 2048;

    /// <summary>The longest message id accepted, in chars.</summary>
    public const int MaxIdLength = 256;

    private byte[]? _rented;

    public ReadOnlySpan<byte> Bytes { get; private set; }

    /// <summary>Bytes needed for the content, so the caller can stackalloc when it fits.</summary>
    public static int MaxLength(ReadOnlySpan<char> id, int bodyLength) =>
        Encoding.UTF8.GetMaxByteCount(id.Length) + 1 + MaxTimestampLength + 1 + bodyLength;

    /// <summary>The most digits a Unix timestamp header may have (<see cref="long.MaxValue"/> has 19).</summary>
    public const int MaxTimestampLength = 19;

    /// <summary>Lays out the content in <paramref name="scratch"/> when it fits, else in a rented array.</summary>
    /// <remarks>The timestamp is the header's text as sent, so a verifier signs exactly what the producer signed.</remarks>
    public static SignedContent Create(ReadOnlySpan<char> id, ReadOnlySpan<char> timestamp, ReadOnlySpan<byte> body, Span<byte> scratch)
    {
        var content = default(SignedContent);
        var max = MaxLength(id, body.Length);
        var buffer = scratch;
        if (max > scratch.Length)
        {
            content._rented = ArrayPool<byte>.Shared.Rent(max);
            buffer = content._rented;
        }

        var written = Encoding.UTF8.GetBytes(id, buffer);
        buffer[written++] = (byte)'.';
        written += Encoding.UTF8.GetBytes(timestamp, buffer[written..]);
        buffer[written++] = (byte)'.';
        body.CopyTo(buffer[written..]);
        written += body.Length;
        content.Bytes = buffer[..written];
        return content;
    }

    /// <summary>HMAC-SHA256 of the content under <paramref name="key"/> into <paramref name="destination"/> (32 bytes).</summary>
    public readonly void Hash(ReadOnlySpan<byte> key, Span<byte> destination) =>
        HMACSHA256.HashData(key, Bytes, destination);

    public void Dispose()
    {
        if (_rented is { } rented)
        {
            // The body may be sensitive; it leaves nothing behind in a shared pool.
            CryptographicOperations.ZeroMemory(rented.AsSpan(0, Bytes.Length));
            ArrayPool<byte>.Shared.Return(rented);
            _rented = null;
        }
        Bytes = default;
    }
}
