using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Hooks.Security;

/// <summary>
/// Encrypts subscription secrets for a durable store with ASP.NET Core Data Protection, so a copy of the database alone
/// does not reveal them. Unprotecting needs the app's key ring: instances sharing a store must share a persisted key
/// ring (<c>AddDataProtection().PersistKeysTo…()</c>), or they cannot read each other's secrets.
/// </summary>
public sealed class WebHookSecretProtector
{
    /// <summary>
    /// The Data Protection purpose: versioned, so a future format gets a purpose of its own and payloads of this one
    /// are never misread as the next.
    /// </summary>
    public const string Purpose = "Hooks.SubscriptionSecret.v1";

    private readonly IDataProtector _protector;

    /// <summary>Creates a protector from the app's Data Protection provider.</summary>
    public WebHookSecretProtector(IDataProtectionProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _protector = provider.CreateProtector(Purpose);
    }

    /// <summary>Encrypts and authenticates <paramref name="secret"/>'s key; the result is safe to store.</summary>
    public byte[] Protect(WebHookSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var key = secret.Key.ToArray();
        try
        {
            return _protector.Protect(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Decrypts what <see cref="Protect"/> returned.</summary>
    /// <exception cref="CryptographicException">
    /// The payload was altered, or protected with a key this app's key ring does not have.
    /// </exception>
    public WebHookSecret Unprotect(byte[] protectedSecret)
    {
        ArgumentNullException.ThrowIfNull(protectedSecret);
        byte[] key;
        try
        {
            key = _protector.Unprotect(protectedSecret);
        }
        catch (CryptographicException ex)
        {
            throw new CryptographicException(
                "A stored subscription secret could not be decrypted: it was altered, or protected with a Data Protection key " +
                "this app does not have (instances sharing a store must share a persisted key ring).", ex);
        }
        try
        {
            return WebHookSecret.FromKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
