using System.Security.Cryptography;
using Hooks.Security;
using Microsoft.AspNetCore.DataProtection;

namespace Hooks.Tests.Security;

public sealed class SecretProtectorTests : IDisposable
{
    private readonly DirectoryInfo _keys = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hooks-keys-" + Guid.NewGuid().ToString("N")));

    public void Dispose() => _keys.Delete(recursive: true);

    private IDataProtectionProvider Provider() => DataProtectionProvider.Create(_keys, b => b.SetApplicationName("hooks-tests"));

    [Fact]
    public void A_protected_secret_unprotects_to_the_same_key()
    {
        var protector = new WebHookSecretProtector(Provider());
        var secret = WebHookSecret.Generate();

        var stored = protector.Protect(secret);

        Assert.True(protector.Unprotect(stored).KeyEquals(secret));
    }

    [Fact]
    public void The_stored_form_contains_neither_the_key_nor_its_wire_form()
    {
        var protector = new WebHookSecretProtector(Provider());
        var secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        var key = Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

        var stored = protector.Protect(secret);

        Assert.Equal(-1, stored.AsSpan().IndexOf(key));
        Assert.DoesNotContain("MfKQ9r8G", System.Text.Encoding.Latin1.GetString(stored), StringComparison.Ordinal);
        Assert.DoesNotContain("MfKQ9r8G", Convert.ToBase64String(stored), StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_process_with_the_same_key_ring_reads_what_an_earlier_one_stored()
    {
        var secret = WebHookSecret.Generate();
        var stored = new WebHookSecretProtector(Provider()).Protect(secret);

        var restarted = new WebHookSecretProtector(Provider());

        Assert.True(restarted.Unprotect(stored).KeyEquals(secret));
    }

    [Fact]
    public void An_altered_payload_is_refused_without_revealing_anything()
    {
        var protector = new WebHookSecretProtector(Provider());
        var stored = protector.Protect(WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        stored[^1] ^= 1;

        var error = Assert.Throws<CryptographicException>(() => protector.Unprotect(stored));
        Assert.DoesNotContain("MfKQ9r8G", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Another_key_ring_cannot_read_it()
    {
        var stored = new WebHookSecretProtector(Provider()).Protect(WebHookSecret.Generate());
        var elsewhere = new WebHookSecretProtector(new EphemeralDataProtectionProvider());

        Assert.Throws<CryptographicException>(() => elsewhere.Unprotect(stored));
    }

    [Fact]
    public void Data_protected_for_another_purpose_is_refused()
    {
        var provider = Provider();
        var other = provider.CreateProtector("Some.Other.Purpose").Protect(RandomNumberGenerator.GetBytes(32));

        Assert.Throws<CryptographicException>(() => new WebHookSecretProtector(provider).Unprotect(other));
    }
}
