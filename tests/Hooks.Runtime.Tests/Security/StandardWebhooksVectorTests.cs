using System.Text;
using Hooks.Security;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Security;

public sealed class StandardWebhooksVectorTests
{
    public static IEnumerable<object[]> SignVectors => Vectors.Named("sign");
    public static IEnumerable<object[]> VerifyVectors => Vectors.Named("verify");
    public static IEnumerable<object[]> BadSecrets =>
        Vectors.Root.GetProperty("bad_secrets").EnumerateArray().Select(e => new object[] { e.GetString()! });

    [Fact]
    public void Vector_file_has_every_section()
    {
        Assert.True(SignVectors.Count() >= 5);
        Assert.True(VerifyVectors.Count() >= 14);
        Assert.True(BadSecrets.Count() >= 4);
    }

    [Theory]
    [MemberData(nameof(SignVectors))]
    public void Sign_vector_reproduces_exactly(string name)
    {
        var v = Vectors.Get("sign", name);
        var secret = WebHookSecret.Parse(v.GetProperty("secret").GetString());

        var header = WebHookSigner.Sign(secret, v.GetProperty("id").GetString(), v.GetProperty("timestamp").GetInt64(), Vectors.Body(v));

        Assert.Equal(v.GetProperty("signature").GetString(), header);
    }

    [Theory]
    [MemberData(nameof(SignVectors))]
    public void Sign_vector_verifies_at_its_own_timestamp(string name)
    {
        var v = Vectors.Get("sign", name);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(v.GetProperty("timestamp").GetInt64()));
        var verifier = new WebHookVerifier(WebHookSecret.Parse(v.GetProperty("secret").GetString()), clock);

        var result = verifier.Verify(v.GetProperty("id").GetString(), Vectors.TimestampText(v), v.GetProperty("signature").GetString(), Vectors.Body(v));

        Assert.Equal(WebHookVerificationStatus.Valid, result.Status);
    }

    [Theory]
    [MemberData(nameof(VerifyVectors))]
    public void Verify_vector_gives_expected_outcome(string name)
    {
        var v = Vectors.Get("verify", name);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(v.GetProperty("now").GetInt64()));
        var verifier = new WebHookVerifier(WebHookSecret.Parse(v.GetProperty("secret").GetString()), clock);

        var result = verifier.Verify(v.GetProperty("id").GetString(), Vectors.TimestampText(v), v.GetProperty("header").GetString(), Vectors.Body(v));

        Assert.Equal(v.GetProperty("ok").GetBoolean(), result.IsValid);
    }

    [Theory]
    [InlineData("too-old", WebHookVerificationStatus.TimestampTooOld)]
    [InlineData("too-new", WebHookVerificationStatus.TimestampTooNew)]
    [InlineData("non-numeric-timestamp", WebHookVerificationStatus.MalformedHeader)]
    [InlineData("only-unknown-version-matches", WebHookVerificationStatus.NoMatchingSignature)]
    [InlineData("garbage-signature", WebHookVerificationStatus.NoMatchingSignature)]
    [InlineData("empty-signature", WebHookVerificationStatus.NoMatchingSignature)]
    [InlineData("tampered-body", WebHookVerificationStatus.NoMatchingSignature)]
    [InlineData("valid-at-edge-of-tolerance-past", WebHookVerificationStatus.Valid)]
    public void Verify_vector_fails_for_the_stated_reason(string name, WebHookVerificationStatus expected)
    {
        var v = Vectors.Get("verify", name);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(v.GetProperty("now").GetInt64()));
        var verifier = new WebHookVerifier(WebHookSecret.Parse(v.GetProperty("secret").GetString()), clock);

        var result = verifier.Verify(v.GetProperty("id").GetString(), Vectors.TimestampText(v), v.GetProperty("header").GetString(), Vectors.Body(v));

        Assert.Equal(expected, result.Status);
    }

    [Theory]
    [MemberData(nameof(BadSecrets))]
    public void Bad_secret_is_rejected_without_echoing_it(string value)
    {
        Assert.False(WebHookSecret.TryParse(value, out _));
        var ex = Assert.Throws<FormatException>(() => WebHookSecret.Parse(value));
        var payload = value.StartsWith("whsec_", StringComparison.Ordinal) ? value["whsec_".Length..] : value;
        if (payload.Length > 0)
        {
            Assert.DoesNotContain(payload, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GitHub_vector_verifies()
    {
        var v = Vectors.Root.GetProperty("github_sha256");
        var verifier = new GitHubSignatureVerifier(v.GetProperty("secret").GetString()!);

        var status = verifier.Verify(v.GetProperty("header").GetString(), Encoding.UTF8.GetBytes(v.GetProperty("body").GetString()!));

        Assert.Equal(WebHookVerificationStatus.Valid, status);
    }
}
