using System.Globalization;
using Hooks.Security;
using Microsoft.Extensions.Time.Testing;

namespace Hooks.Tests.Security;

/// <summary>
/// Property tests over seeded random inputs (the seed is in the test name so a failure reproduces): sign-then-verify
/// round-trips, and any single-bit change in body, id or timestamp breaks verification.
/// </summary>
public sealed class SignatureRoundTripPropertyTests
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

    private sealed record Case(WebHookSecret Secret, string Id, long Timestamp, byte[] Body);

    private static Case Generate(Random random, int maxBody)
    {
        var key = new byte[random.Next(WebHookSecret.MinKeyBytes, WebHookSecret.MaxKeyBytes + 1)];
        random.NextBytes(key);
        var id = "msg_" + new string(Enumerable.Range(0, random.Next(1, 60)).Select(_ => IdAlphabet[random.Next(IdAlphabet.Length)]).ToArray());
        var timestamp = random.NextInt64(0, 4_102_444_800); // up to 2100
        // Lengths skew small but reach the 1 MiB limit, and cross the stack/pool boundary.
        var length = random.Next(4) switch
        {
            0 => random.Next(0, 64),
            1 => random.Next(1900, 2200),
            2 => random.Next(0, 64 * 1024),
            _ => random.Next(0, maxBody + 1),
        };
        var body = new byte[length];
        random.NextBytes(body);
        return new Case(WebHookSecret.FromKey(key), id, timestamp, body);
    }

    private static WebHookVerifier VerifierAt(Case c) =>
        new(c.Secret, new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(c.Timestamp)));

    private static string Text(long ts) => ts.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(20261127)]
    [InlineData(42)]
    public void Sign_then_verify_round_trips(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 150; i++)
        {
            var c = Generate(random, 1024 * 1024);
            var header = WebHookSigner.Sign(c.Secret, c.Id, c.Timestamp, c.Body);

            var result = VerifierAt(c).Verify(c.Id, Text(c.Timestamp), header, c.Body);

            Assert.True(result.IsValid, $"seed {seed} case {i}: {result.Status}");
        }
    }

    [Fact]
    public void Empty_and_one_MiB_bodies_round_trip()
    {
        foreach (var size in new[] { 0, 1024 * 1024 })
        {
            var c = new Case(WebHookSecret.Generate(), "msg_edge", 1_700_000_000, new byte[size]);
            var header = WebHookSigner.Sign(c.Secret, c.Id, c.Timestamp, c.Body);
            Assert.True(VerifierAt(c).Verify(c.Id, Text(c.Timestamp), header, c.Body).IsValid);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1_000_003)]
    public void Any_single_bit_flip_in_body_id_or_timestamp_fails(int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < 150; i++)
        {
            var c = Generate(random, 256 * 1024);
            var header = WebHookSigner.Sign(c.Secret, c.Id, c.Timestamp, c.Body);
            var verifier = VerifierAt(c);

            if (c.Body.Length > 0)
            {
                var body = (byte[])c.Body.Clone();
                body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                Assert.False(verifier.Verify(c.Id, Text(c.Timestamp), header, body).IsValid, $"seed {seed} case {i}: body flip verified");
            }

            var id = c.Id.ToCharArray();
            var at = random.Next(id.Length);
            id[at] = (char)(id[at] ^ (1 << random.Next(7)));
            var flippedId = new string(id);
            Assert.False(verifier.Verify(flippedId, Text(c.Timestamp), header, c.Body).IsValid, $"seed {seed} case {i}: id flip verified");

            // A flipped low bit keeps the timestamp inside the tolerance, so only the signature can refuse it.
            var flippedTs = c.Timestamp ^ (1L << random.Next(8));
            var result = verifier.Verify(c.Id, Text(flippedTs), header, c.Body);
            Assert.Equal(WebHookVerificationStatus.NoMatchingSignature, result.Status);
        }
    }

    [Fact]
    public void Signature_under_another_secret_fails()
    {
        var random = new Random(99);
        for (var i = 0; i < 50; i++)
        {
            var c = Generate(random, 4096);
            var header = WebHookSigner.Sign(WebHookSecret.Generate(), c.Id, c.Timestamp, c.Body);
            Assert.Equal(WebHookVerificationStatus.NoMatchingSignature, VerifierAt(c).Verify(c.Id, Text(c.Timestamp), header, c.Body).Status);
        }
    }
}
