using System.Security.Cryptography;
using System.Text;

namespace Hooks.Security;

/// <summary>
/// Verifies GitHub-style <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256 of the body&gt;</c>, for consumers that
/// also receive from services signing that way. The secret is GitHub's free-form text, used as UTF-8 key bytes.
/// </summary>
public sealed class GitHubSignatureVerifier
{
    private const string Prefix = "sha256=";
    private const int HashBytes = 32;
    private readonly byte[] _key;

    /// <summary>Creates a verifier for the webhook secret configured at the sender.</summary>
    /// <exception cref="ArgumentException">The secret is empty.</exception>
    public GitHubSignatureVerifier(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        _key = Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>Verifies the header against the body; never throws on request input and allocates nothing.</summary>
    /// <param name="header">The <c>X-Hub-Signature-256</c> header value (empty when absent).</param>
    /// <param name="body">The raw body bytes as received.</param>
    public WebHookVerificationStatus Verify(ReadOnlySpan<char> header, ReadOnlySpan<byte> body)
    {
        if (header.IsEmpty) return WebHookVerificationStatus.MissingHeader;
        header = header.Trim(' ');
        if (header.Length != Prefix.Length + 2 * HashBytes || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return WebHookVerificationStatus.MalformedHeader;
        }

        Span<byte> given = stackalloc byte[HashBytes];
        if (Convert.FromHexString(header[Prefix.Length..], given, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != HashBytes)
        {
            return WebHookVerificationStatus.MalformedHeader;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        HMACSHA256.HashData(_key, body, expected);
        var ok = CryptographicOperations.FixedTimeEquals(given, expected);
        CryptographicOperations.ZeroMemory(expected);
        return ok ? WebHookVerificationStatus.Valid : WebHookVerificationStatus.NoMatchingSignature;
    }

    /// <summary>Redacted: the secret never reaches a log.</summary>
    public override string ToString() => nameof(GitHubSignatureVerifier) + "([redacted])";
}
