using System.Text;
using Hooks.Security;

namespace Hooks.Tests.Security;

public sealed class GitHubSignatureVerifierTests
{
    private static readonly GitHubSignatureVerifier Verifier = new("It's a Secret to Everybody");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");
    private const string Hex = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Theory]
    [InlineData("sha256=" + Hex, WebHookVerificationStatus.Valid)]
    [InlineData("sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", WebHookVerificationStatus.Valid)]
    [InlineData("", WebHookVerificationStatus.MissingHeader)]
    [InlineData("sha1=" + Hex, WebHookVerificationStatus.MalformedHeader)]
    [InlineData(Hex, WebHookVerificationStatus.MalformedHeader)]
    [InlineData("sha256=" + "zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", WebHookVerificationStatus.MalformedHeader)]
    [InlineData("sha256=" + "857107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", WebHookVerificationStatus.NoMatchingSignature)]
    public void Verifies_hub_signature_256(string header, WebHookVerificationStatus expected)
    {
        Assert.Equal(expected, Verifier.Verify(header, Body));
    }

    [Fact]
    public void Tampered_body_fails_and_ToString_redacts()
    {
        Assert.Equal(WebHookVerificationStatus.NoMatchingSignature, Verifier.Verify("sha256=" + Hex, Encoding.UTF8.GetBytes("Hello, World?")));
        Assert.DoesNotContain("Everybody", Verifier.ToString(), StringComparison.Ordinal);
    }
}
