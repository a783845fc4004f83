namespace Hooks.Security;

/// <summary>
/// Signs webhook messages the Standard Webhooks 1.0 way: <c>v1,&lt;base64 HMAC-SHA256 of id.timestamp.body&gt;</c>,
/// one entry per active secret, space-separated, so receivers holding either side of a rotation accept.
/// </summary>
public static class WebHookSigner
{
    /// <summary>The version prefix of HMAC-SHA256 signatures.</summary>
    public const string Version = "v1";

    /// <summary>Chars one signature entry takes: <c>v1,</c> plus 44 base64 chars.</summary>
    public const int SignatureLength = 3 + 44;

    private const int HashBytes = 32;

    /// <summary>Signs with one secret; allocates only the returned header value.</summary>
    /// <param name="secret">The signing secret.</param>
    /// <param name="id">The message id (<c>webhook-id</c>).</param>
    /// <param name="timestamp">Unix seconds of this attempt (<c>webhook-timestamp</c>).</param>
    /// <param name="body">The exact body bytes sent.</param>
    /// <returns>The <c>webhook-signature</c> header value.</returns>
    public static string Sign(WebHookSecret secret, ReadOnlySpan<char> id, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return Sign([secret], id, timestamp, body);
    }

    /// <summary>Signs with every active secret; allocates only the returned header value.</summary>
    /// <param name="secrets">The active secrets, at least one.</param>
    /// <param name="id">The message id (<c>webhook-id</c>).</param>
    /// <param name="timestamp">Unix seconds of this attempt (<c>webhook-timestamp</c>).</param>
    /// <param name="body">The exact body bytes sent.</param>
    /// <returns>The <c>webhook-signature</c> header value.</returns>
    public static string Sign(ReadOnlySpan<WebHookSecret> secrets, ReadOnlySpan<char> id, long timestamp, ReadOnlySpan<byte> body) =>
        Sign(secrets, id, timestamp, body, hmac: null);

    /// <summary>The chars a header with <paramref name="secretCount"/> signatures takes.</summary>
    public static int HeaderLength(int secretCount) =>
        secretCount <= 0 ? 0 : secretCount * SignatureLength + (secretCount - 1);

    /// <summary>Signs into <paramref name="destination"/> without allocating.</summary>
    /// <returns><c>false</c> when <paramref name="destination"/> is shorter than <see cref="HeaderLength"/>.</returns>
    /// <exception cref="ArgumentException">No secrets, or an id that is empty or longer than 256 chars.</exception>
    public static bool TrySign(ReadOnlySpan<WebHookSecret> secrets, ReadOnlySpan<char> id, long timestamp,
        ReadOnlySpan<byte> body, Span<char> destination, out int charsWritten) =>
        TrySign(secrets, id, timestamp, body, destination, out charsWritten, hmac: null);

    /// <summary>
    /// Signs one-shot, or with keyed contexts kept in <paramref name="hmac"/> (a dispatcher worker's); allocates only
    /// the header.
    /// </summary>
    internal static string Sign(ReadOnlySpan<WebHookSecret> secrets, ReadOnlySpan<char> id, long timestamp, ReadOnlySpan<byte> body,
        WebHookHmacCache? hmac)
    {
        var length = HeaderLength(secrets.Length);
        Span<char> header = length <= 512 ? stackalloc char[length] : new char[length];
        TrySign(secrets, id, timestamp, body, header, out var written, hmac);
        return new string(header[..written]);
    }

    private static bool TrySign(ReadOnlySpan<WebHookSecret> secrets, ReadOnlySpan<char> id, long timestamp,
        ReadOnlySpan<byte> body, Span<char> destination, out int charsWritten, WebHookHmacCache? hmac)
    {
        if (secrets.IsEmpty)
        {
            throw new ArgumentException("At least one secret is needed to sign.", nameof(secrets));
        }
        if (id.IsEmpty || id.Length > SignedContent.MaxIdLength)
        {
            throw new ArgumentException($"The message id must have 1 to {SignedContent.MaxIdLength} chars.", nameof(id));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);

        charsWritten = 0;
        if (destination.Length < HeaderLength(secrets.Length))
        {
            return false;
        }

        Span<char> timestampText = stackalloc char[SignedContent.MaxTimestampLength];
        timestamp.TryFormat(timestampText, out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        var needed = SignedContent.MaxLength(id, body.Length);
        using var content = SignedContent.Create(id, timestampText[..digits], body,
            needed <= SignedContent.StackLimit ? stackalloc byte[SignedContent.StackLimit] : default);
        Span<byte> hash = stackalloc byte[HashBytes];
        var position = 0;
        foreach (var secret in secrets)
        {
            ArgumentNullException.ThrowIfNull(secret, nameof(secrets));
            if (position > 0)
            {
                destination[position++] = ' ';
            }
            destination[position++] = 'v';
            destination[position++] = '1';
            destination[position++] = ',';
            if (hmac is null)
            {
                content.Hash(secret.Key, hash);
            }
            else
            {
                hmac.Hash(secret, content.Bytes, hash);
            }
            Convert.TryToBase64Chars(hash, destination[position..], out var b64);
            position += b64;
        }
        charsWritten = position;
        return true;
    }
}
