using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Hooks.Security;

/// <summary>
/// A Standard Webhooks signing secret, <c>whsec_&lt;base64&gt;</c> of 24 to 64 key bytes. The key never leaves this
/// object except through <see cref="Reveal"/>; <see cref="ToString"/> and every error message redact it.
/// </summary>
public sealed class WebHookSecret
{
    /// <summary>The prefix every secret carries: <c>whsec_</c>.</summary>
    public const string Prefix = "whsec_";

    /// <summary>The fewest key bytes accepted.</summary>
    public const int MinKeyBytes = 24;

    /// <summary>The most key bytes accepted.</summary>
    public const int MaxKeyBytes = 64;

    /// <summary>The number of random key bytes in a generated secret.</summary>
    public const int GeneratedKeyBytes = 32;

    private readonly byte[] _key;

    private WebHookSecret(byte[] key) => _key = key;

    /// <summary>The key bytes, for HMAC. Internal so that no public surface hands the key out by accident.</summary>
    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>Creates a new secret of <see cref="GeneratedKeyBytes"/> cryptographically random bytes.</summary>
    public static WebHookSecret Generate() => new(RandomNumberGenerator.GetBytes(GeneratedKeyBytes));

    /// <summary>Creates a secret from raw key bytes (24 to 64 of them).</summary>
    /// <exception cref="ArgumentException">The key is shorter than 24 or longer than 64 bytes.</exception>
    public static WebHookSecret FromKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinKeyBytes || key.Length > MaxKeyBytes)
        {
            throw new ArgumentException(Describe(key.Length < MinKeyBytes ? WebHookSecretError.TooShort : WebHookSecretError.TooLong), nameof(key));
        }
        return new WebHookSecret(key.ToArray());
    }

    /// <summary>Parses <c>whsec_&lt;base64&gt;</c>.</summary>
    /// <exception cref="FormatException">The value is not a valid secret; the message says why and never contains it.</exception>
    public static WebHookSecret Parse(string? value)
    {
        if (TryParse(value, out var secret, out var error))
        {
            return secret;
        }
        throw new FormatException(Describe(error));
    }

    /// <summary>Parses <c>whsec_&lt;base64&gt;</c> without throwing.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out WebHookSecret? secret) =>
        TryParse(value, out secret, out _);

    /// <summary>Parses <c>whsec_&lt;base64&gt;</c> without throwing, and says why a value is refused.</summary>
    /// <param name="value">The text to parse.</param>
    /// <param name="secret">The secret, when valid.</param>
    /// <param name="error">Why the value was refused, or <see cref="WebHookSecretError.None"/>.</param>
    public static bool TryParse(string? value, [NotNullWhen(true)] out WebHookSecret? secret, out WebHookSecretError error)
    {
        secret = null;
        if (string.IsNullOrEmpty(value))
        {
            error = WebHookSecretError.Empty;
            return false;
        }
        if (!value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            error = WebHookSecretError.MissingPrefix;
            return false;
        }

        var encoded = value.AsSpan(Prefix.Length);
        if (encoded.IsEmpty)
        {
            error = WebHookSecretError.Empty;
            return false;
        }
        // Base64 of more than 64 bytes is at most 88 chars; anything longer is too long before decoding.
        if (encoded.Length > 4 * ((MaxKeyBytes + 2) / 3) + 4)
        {
            error = WebHookSecretError.TooLong;
            return false;
        }

        Span<byte> buffer = stackalloc byte[MaxKeyBytes + 4];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written))
        {
            // Either not base64 at all, or more bytes than the buffer holds.
            error = IsBase64(encoded) ? WebHookSecretError.TooLong : WebHookSecretError.InvalidBase64;
            CryptographicOperations.ZeroMemory(buffer);
            return false;
        }
        var key = buffer[..written];
        if (written < MinKeyBytes || written > MaxKeyBytes)
        {
            error = written < MinKeyBytes ? WebHookSecretError.TooShort : WebHookSecretError.TooLong;
            CryptographicOperations.ZeroMemory(buffer);
            return false;
        }

        secret = new WebHookSecret(key.ToArray());
        CryptographicOperations.ZeroMemory(buffer);
        error = WebHookSecretError.None;
        return true;
    }

    /// <summary>
    /// The secret in its wire form, <c>whsec_&lt;base64&gt;</c>: show it once to the subscription's owner, store it
    /// encrypted, never log it.
    /// </summary>
    public string Reveal() => Prefix + Convert.ToBase64String(_key);

    /// <summary>Always <c>whsec_[redacted]</c>: a secret never reaches a log through string formatting.</summary>
    public override string ToString() => Prefix + "[redacted]";

    /// <summary>Compares two secrets' keys in constant time.</summary>
    public bool KeyEquals(WebHookSecret other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _key.Length == other._key.Length && CryptographicOperations.FixedTimeEquals(_key, other._key);
    }

    /// <summary>The message for a parse error; it names the problem and never the value.</summary>
    public static string Describe(WebHookSecretError error) => error switch
    {
        WebHookSecretError.None => "The secret is valid.",
        WebHookSecretError.Empty => "The webhook secret is empty.",
        WebHookSecretError.MissingPrefix => $"The webhook secret does not start with '{Prefix}'.",
        WebHookSecretError.InvalidBase64 => $"The webhook secret after '{Prefix}' is not valid base64.",
        WebHookSecretError.TooShort => $"The webhook secret's key is shorter than {MinKeyBytes} bytes.",
        WebHookSecretError.TooLong => $"The webhook secret's key is longer than {MaxKeyBytes} bytes.",
        _ => "The webhook secret is invalid.",
    };

    private static bool IsBase64(ReadOnlySpan<char> chars) => System.Buffers.Text.Base64.IsValid(chars);
}

/// <summary>Why a secret was refused.</summary>
public enum WebHookSecretError
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>Nothing was given, or nothing after the prefix.</summary>
    Empty,

    /// <summary>The value does not start with <c>whsec_</c>.</summary>
    MissingPrefix,

    /// <summary>The part after the prefix is not base64.</summary>
    InvalidBase64,

    /// <summary>Fewer than 24 key bytes.</summary>
    TooShort,

    /// <summary>More than 64 key bytes.</summary>
    TooLong,
}
