using Hooks.Security;

namespace Hooks.Tests.Security;

public sealed class WebHookSecretTests
{
    private const string Valid = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Theory]
    [InlineData(null, WebHookSecretError.Empty)]
    [InlineData("", WebHookSecretError.Empty)]
    [InlineData("whsec_", WebHookSecretError.Empty)]
    [InlineData("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WebHookSecretError.MissingPrefix)]
    [InlineData("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", WebHookSecretError.MissingPrefix)]
    [InlineData("whsec_!!!!", WebHookSecretError.InvalidBase64)]
    [InlineData("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", WebHookSecretError.InvalidBase64)]
    [InlineData("whsec_c2hvcnQ=", WebHookSecretError.TooShort)]
    public void Parse_refuses_with_the_reason(string? value, WebHookSecretError expected)
    {
        Assert.False(WebHookSecret.TryParse(value, out var secret, out var error));
        Assert.Null(secret);
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(23, false)]
    [InlineData(24, true)]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(200, false)]
    public void Parse_accepts_24_to_64_key_bytes(int bytes, bool ok)
    {
        var text = "whsec_" + Convert.ToBase64String(Enumerable.Range(0, bytes).Select(i => (byte)i).ToArray());

        Assert.Equal(ok, WebHookSecret.TryParse(text, out _, out var error));
        if (!ok)
        {
            Assert.Equal(bytes < 24 ? WebHookSecretError.TooShort : WebHookSecretError.TooLong, error);
        }
    }

    [Fact]
    public void Error_message_never_contains_the_secret()
    {
        var tooLong = "whsec_" + Convert.ToBase64String(new byte[80]);
        foreach (var bad in new[] { tooLong, "whsec_" + new string('Q', 20) + "!", "sk_live_" + new string('x', 40) })
        {
            var ex = Assert.Throws<FormatException>(() => WebHookSecret.Parse(bad));
            Assert.DoesNotContain(bad, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(bad[6..], ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ToString_redacts_and_Reveal_round_trips()
    {
        var secret = WebHookSecret.Parse(Valid);

        Assert.Equal("whsec_[redacted]", secret.ToString());
        Assert.DoesNotContain("MfKQ", $"{secret}", StringComparison.Ordinal);
        Assert.Equal(Valid, secret.Reveal());
    }

    [Fact]
    public void Generate_makes_32_random_bytes_that_parse_back()
    {
        var a = WebHookSecret.Generate();
        var b = WebHookSecret.Generate();

        Assert.Equal(32, a.Key.Length);
        Assert.False(a.KeyEquals(b));
        Assert.True(WebHookSecret.Parse(a.Reveal()).KeyEquals(a));
    }

    [Fact]
    public void FromKey_enforces_length()
    {
        Assert.Throws<ArgumentException>(() => WebHookSecret.FromKey(new byte[23]));
        Assert.Throws<ArgumentException>(() => WebHookSecret.FromKey(new byte[65]));
        Assert.Equal(40, WebHookSecret.FromKey(new byte[40]).Key.Length);
    }
}
