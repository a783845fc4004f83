using System.Security.Cryptography;

namespace Hooks.Security;

/// <summary>
/// Verifies Standard Webhooks 1.0 signatures: the timestamp within tolerance of <see cref="TimeProvider"/>'s clock
/// (both directions), then any <c>v1</c> entry of the signature header matching any configured secret, compared in
/// constant time. Unknown versions (<c>v2,</c>, <c>v1a,</c>) are ignored. Never throws on request input and
/// allocates nothing once warm: each secret's keyed HMAC contexts are pooled and reused across requests.
/// </summary>
public sealed class WebHookVerifier
{
    /// <summary>The default timestamp tolerance: five minutes each way.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>Signature headers longer than this are refused as malformed before any work is done.</summary>
    public const int MaxSignatureHeaderLength = 8192;

    /// <summary>At most this many secrets are active at once (rotation needs two; a few more are tolerated).</summary>
    public const int MaxSecrets = 16;

    private const int HashBytes = 32;

    private readonly WebHookSecret[] _secrets;
    private readonly WebHookHmacPool[] _hmac; // per secret: keyed contexts reused across requests
    private readonly TimeProvider _time;
    private readonly long _toleranceSeconds;

    /// <summary>Creates a verifier.</summary>
    /// <param name="secrets">The secrets any of which may have signed (rotation); 1 to 16.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <c>null</c>.</param>
    /// <param name="tolerance">How far the timestamp may be from now, each way; five minutes when <c>null</c>.</param>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in their first parameter (one secret or several); the optional ones are the same.")]
    public WebHookVerifier(IEnumerable<WebHookSecret> secrets, TimeProvider? timeProvider = null, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = [.. secrets];
        if (_secrets.Length is 0 or > MaxSecrets)
        {
            throw new ArgumentException($"A verifier needs 1 to {MaxSecrets} secrets.", nameof(secrets));
        }
        foreach (var secret in _secrets)
        {
            ArgumentNullException.ThrowIfNull(secret, nameof(secrets));
        }
        _hmac = [.. _secrets.Select(secret => new WebHookHmacPool(secret))];
        var t = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(t, TimeSpan.Zero, nameof(tolerance));
        _toleranceSeconds = (long)t.TotalSeconds;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Creates a verifier for one secret.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in their first parameter (one secret or several); the optional ones are the same.")]
    public WebHookVerifier(WebHookSecret secret, TimeProvider? timeProvider = null, TimeSpan? tolerance = null)
        : this([secret], timeProvider, tolerance)
    {
    }

    /// <summary>The timestamp tolerance each way.</summary>
    public TimeSpan Tolerance => TimeSpan.FromSeconds(_toleranceSeconds);

    /// <summary>Verifies one message.</summary>
    /// <param name="id">The <c>webhook-id</c> header (empty when absent).</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header (empty when absent).</param>
    /// <param name="signature">The <c>webhook-signature</c> header (empty when absent).</param>
    /// <param name="body">The raw body bytes as received.</param>
    public WebHookVerificationResult Verify(ReadOnlySpan<char> id, ReadOnlySpan<char> timestamp,
        ReadOnlySpan<char> signature, ReadOnlySpan<byte> body)
    {
        if (id.IsEmpty) return WebHookVerificationResult.Fail(WebHookVerificationStatus.MissingHeader, WebHookVerificationHeader.Id);
        if (timestamp.IsEmpty) return WebHookVerificationResult.Fail(WebHookVerificationStatus.MissingHeader, WebHookVerificationHeader.Timestamp);
        if (signature.IsEmpty) return WebHookVerificationResult.Fail(WebHookVerificationStatus.MissingHeader, WebHookVerificationHeader.Signature);
        if (!IsWellFormedId(id)) return WebHookVerificationResult.Fail(WebHookVerificationStatus.MalformedHeader, WebHookVerificationHeader.Id);
        if (!TryParseTimestamp(timestamp, out var seconds))
        {
            return WebHookVerificationResult.Fail(WebHookVerificationStatus.MalformedHeader, WebHookVerificationHeader.Timestamp);
        }
        if (signature.Length > MaxSignatureHeaderLength)
        {
            return WebHookVerificationResult.Fail(WebHookVerificationStatus.MalformedHeader, WebHookVerificationHeader.Signature);
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (now - seconds > _toleranceSeconds) return WebHookVerificationResult.Fail(WebHookVerificationStatus.TimestampTooOld, WebHookVerificationHeader.Timestamp, seconds);
        if (seconds - now > _toleranceSeconds) return WebHookVerificationResult.Fail(WebHookVerificationStatus.TimestampTooNew, WebHookVerificationHeader.Timestamp, seconds);

        // One HMAC per secret, then constant-time comparisons against every v1 entry.
        Span<byte> expected = stackalloc byte[HashBytes * MaxSecrets];
        var needed = SignedContent.MaxLength(id, body.Length);
        using (var content = SignedContent.Create(id, timestamp, body,
            needed <= SignedContent.StackLimit ? stackalloc byte[SignedContent.StackLimit] : default))
        {
            for (var i = 0; i < _secrets.Length; i++)
            {
                _hmac[i].Hash(content.Bytes, expected.Slice(i * HashBytes, HashBytes));
            }
        }

        var matched = MatchesAny(signature, expected[..(_secrets.Length * HashBytes)]);
        CryptographicOperations.ZeroMemory(expected);
        return matched
            ? WebHookVerificationResult.Success(seconds)
            : WebHookVerificationResult.Fail(WebHookVerificationStatus.NoMatchingSignature, WebHookVerificationHeader.Signature, seconds);
    }

    private static bool MatchesAny(ReadOnlySpan<char> header, ReadOnlySpan<byte> expected)
    {
        Span<byte> candidate = stackalloc byte[HashBytes + 3];
        var matched = false;
        foreach (var range in header.Split(' '))
        {
            var entry = header[range];
            // Only v1 is HMAC-SHA256; other versions (v1a = ed25519, v2, …) are skipped, not errors.
            if (entry.Length != WebHookSigner.SignatureLength || !entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }
            if (!Convert.TryFromBase64Chars(entry[3..], candidate, out var written) || written != HashBytes)
            {
                continue;
            }
            for (var offset = 0; offset < expected.Length; offset += HashBytes)
            {
                // No early exit across secrets: timing reveals neither which secret matched nor how much.
                matched |= CryptographicOperations.FixedTimeEquals(candidate[..HashBytes], expected.Slice(offset, HashBytes));
            }
        }
        return matched;
    }

    /// <summary>Ids are 1 to 256 printable ASCII chars without spaces (what every producer sends).</summary>
    internal static bool IsWellFormedId(ReadOnlySpan<char> id)
    {
        if (id.Length > SignedContent.MaxIdLength) return false;
        foreach (var c in id)
        {
            if (c <= ' ' || c > '~') return false;
        }
        return true;
    }

    /// <summary>Unix seconds: 1 to 19 ASCII digits, no sign, no spaces, no overflow.</summary>
    internal static bool TryParseTimestamp(ReadOnlySpan<char> text, out long seconds)
    {
        seconds = 0;
        if (text.IsEmpty || text.Length > SignedContent.MaxTimestampLength) return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            var digit = c - '0';
            if (seconds > (long.MaxValue - digit) / 10) return false;
            seconds = seconds * 10 + digit;
        }
        return true;
    }
}
