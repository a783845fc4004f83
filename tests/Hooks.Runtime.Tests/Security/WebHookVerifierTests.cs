using System.Text;
using Hooks.Security;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Security;

public sealed class WebHookVerifierTests
{
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static readonly WebHookSecret Other = WebHookSecret.Parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Ts = 1614265330;
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"test\": 2432232314}");
    private const string Sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static WebHookVerifier At(long now, params WebHookSecret[] secrets) =>
        new(secrets.Length == 0 ? [Secret] : secrets, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(now)));

    [Theory]
    [InlineData("", "1614265330", Sig, WebHookVerificationHeader.Id)]
    [InlineData(Id, "", Sig, WebHookVerificationHeader.Timestamp)]
    [InlineData(Id, "1614265330", "", WebHookVerificationHeader.Signature)]
    public void Missing_header_is_named(string id, string ts, string sig, WebHookVerificationHeader header)
    {
        var result = At(Ts).Verify(id, ts, sig, Body);

        Assert.Equal(WebHookVerificationStatus.MissingHeader, result.Status);
        Assert.Equal(header, result.Header);
    }

    [Theory]
    [InlineData("-1614265330")]
    [InlineData("+1614265330")]
    [InlineData(" 1614265330")]
    [InlineData("1614265330 ")]
    [InlineData("1614265330.5")]
    [InlineData("1e9")]
    [InlineData("99999999999999999999")]
    [InlineData("9223372036854775808")]
    [InlineData("١٦١٤٢٦٥٣٣٠")]
    public void Non_numeric_or_overflowing_timestamp_is_malformed(string ts)
    {
        var result = At(Ts).Verify(Id, ts, Sig, Body);

        Assert.Equal(WebHookVerificationStatus.MalformedHeader, result.Status);
        Assert.Equal(WebHookVerificationHeader.Timestamp, result.Header);
    }

    [Fact]
    public void Max_long_timestamp_parses_and_is_too_new()
    {
        Assert.Equal(WebHookVerificationStatus.TimestampTooNew, At(Ts).Verify(Id, "9223372036854775807", Sig, Body).Status);
    }

    [Theory]
    [InlineData("msg 1")]
    [InlineData("msg\u00e91")]
    [InlineData("msg\n1")]
    public void Id_with_spaces_or_non_ascii_is_malformed(string id)
    {
        var result = At(Ts).Verify(id, "1614265330", Sig, Body);

        Assert.Equal(WebHookVerificationStatus.MalformedHeader, result.Status);
        Assert.Equal(WebHookVerificationHeader.Id, result.Header);
    }

    [Fact]
    public void Overlong_id_is_malformed()
    {
        Assert.Equal(WebHookVerificationStatus.MalformedHeader, At(Ts).Verify(new string('a', 257), "1614265330", Sig, Body).Status);
    }

    [Theory]
    [InlineData("  " + Sig + "  ")]
    [InlineData("v1a,abc " + Sig)]
    [InlineData("v2,xyz  v1,bogus= " + Sig)]
    [InlineData("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + Sig)]
    [InlineData(Sig + " v1a,abc")]
    public void Extra_spaces_and_unknown_versions_are_ignored(string header)
    {
        Assert.True(At(Ts).Verify(Id, "1614265330", header, Body).IsValid);
    }

    [Theory]
    [InlineData("V1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v1 g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE")]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE==")]
    [InlineData("v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void Near_misses_do_not_match(string header)
    {
        Assert.Equal(WebHookVerificationStatus.NoMatchingSignature, At(Ts).Verify(Id, "1614265330", header, Body).Status);
    }

    [Fact]
    public void Oversized_signature_header_is_malformed_before_any_hashing()
    {
        var header = string.Join(' ', Enumerable.Repeat(Sig, 200));

        var result = At(Ts).Verify(Id, "1614265330", header, Body);

        Assert.Equal(WebHookVerificationStatus.MalformedHeader, result.Status);
        Assert.Equal(WebHookVerificationHeader.Signature, result.Header);
    }

    [Fact]
    public void Any_configured_secret_may_match()
    {
        Assert.True(At(Ts, Other, Secret).Verify(Id, "1614265330", Sig, Body).IsValid);
        Assert.False(At(Ts, Other).Verify(Id, "1614265330", Sig, Body).IsValid);
    }

    [Fact]
    public void Rotation_header_is_accepted_by_a_receiver_with_either_secret()
    {
        var header = WebHookSigner.Sign([Secret, Other], Id, Ts, Body);

        Assert.Equal(2, header.Split(' ').Length);
        Assert.StartsWith(Sig + " v1,", header, StringComparison.Ordinal);
        Assert.True(At(Ts, Secret).Verify(Id, "1614265330", header, Body).IsValid);
        Assert.True(At(Ts, Other).Verify(Id, "1614265330", header, Body).IsValid);
        Assert.False(At(Ts, WebHookSecret.Generate()).Verify(Id, "1614265330", header, Body).IsValid);
    }

    [Fact]
    public void Tolerance_is_configurable_and_applies_both_ways()
    {
        // The clock only moves forward: walk from too new, through the window, to too old.
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(Ts - 31));
        var strict = new WebHookVerifier(Secret, clock, TimeSpan.FromSeconds(30));

        Assert.Equal(WebHookVerificationStatus.TimestampTooNew, strict.Verify(Id, "1614265330", Sig, Body).Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(strict.Verify(Id, "1614265330", Sig, Body).IsValid);
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.True(strict.Verify(Id, "1614265330", Sig, Body).IsValid);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(WebHookVerificationStatus.TimestampTooOld, strict.Verify(Id, "1614265330", Sig, Body).Status);
    }

    [Fact]
    public void Describe_never_contains_header_values()
    {
        foreach (var ts in new[] { "1614265330", "xx", "" })
        {
            var result = At(Ts + 10_000).Verify(Id, ts, Sig, Body);
            Assert.False(result.IsValid);
            var text = result.Describe();
            Assert.DoesNotContain("g0hM9", text, StringComparison.Ordinal);
            Assert.DoesNotContain(Id, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Constructor_refuses_bad_configuration()
    {
        Assert.Throws<ArgumentException>(() => new WebHookVerifier(Array.Empty<WebHookSecret>()));
        Assert.Throws<ArgumentException>(() => new WebHookVerifier(Enumerable.Repeat(Secret, 17)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WebHookVerifier(Secret, tolerance: TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Verify_allocates_nothing()
    {
        var verifier = At(Ts, Other, Secret);
        verifier.Verify(Id, "1614265330", Sig, Body);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(verifier.Verify(Id, "1614265330", Sig, Body).IsValid);
            Assert.False(verifier.Verify(Id, "1614265330", "v1,AAAA v2,zzz", Body).IsValid);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Verify_of_a_large_body_only_rents_its_buffer()
    {
        var verifier = At(Ts, Other, Secret);
        var large = new byte[64 * 1024];
        var largeSig = WebHookSigner.Sign(Secret, Id, Ts, large);
        verifier.Verify(Id, "1614265330", largeSig, large);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(verifier.Verify(Id, "1614265330", largeSig, large).IsValid);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The pooled buffer is reused; a gen-2 GC from a parallel test may trim the pool once, forcing one new rent.
        Assert.True(allocated < 2 * (large.Length + 1024), $"100 verifications allocated {allocated} bytes.");
    }

    [Fact]
    public void Sign_allocates_only_the_header()
    {
        WebHookSigner.Sign(Secret, Id, Ts, Body);
        var expected = WebHookSigner.Sign(Secret, Id, Ts, Body);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var header = WebHookSigner.Sign(Secret, Id, Ts, Body);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(expected, header);
        // A 47-char string: 20 bytes of object header and length, 2 bytes per char, rounded to 8.
        Assert.True(allocated <= 128, $"Sign allocated {allocated} bytes.");
        Span<char> destination = stackalloc char[WebHookSigner.HeaderLength(1)];
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(WebHookSigner.TrySign([Secret], Id, Ts, Body, destination, out var written));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(expected, destination[..written].ToString());
    }

    [Fact]
    public void Sign_refuses_bad_arguments()
    {
        Assert.Throws<ArgumentException>(() => WebHookSigner.Sign(ReadOnlySpan<WebHookSecret>.Empty, Id, Ts, Body));
        Assert.Throws<ArgumentException>(() => WebHookSigner.Sign(Secret, "", Ts, Body));
        Assert.Throws<ArgumentOutOfRangeException>(() => WebHookSigner.Sign(Secret, Id, -1, Body));
        Assert.False(WebHookSigner.TrySign([Secret], Id, Ts, Body, new char[10], out _));
    }
}
