using System.Globalization;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Hooks.Security;

namespace Hooks.Benchmarks;

/// <summary>Sign and verify a 1 KB body next to a bare one-shot HMAC over the same bytes.</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private const string Id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long Timestamp = 1614265330;

    private WebHookSecret _secret = null!;
    private WebHookSecret _oldSecret = null!;
    private byte[] _key = null!;
    private byte[] _body = null!;
    private byte[] _signedContent = null!;
    private string _header = null!;
    private string _timestampText = null!;
    private WebHookVerifier _verifier = null!;
    private readonly WebHookHmacCache _hmac = new();

    [Params(330, 1024)]
    public int BodyBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        _oldSecret = WebHookSecret.Generate();
        _key = Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        _body = new byte[BodyBytes];
        new Random(1).NextBytes(_body);
        _timestampText = Timestamp.ToString(CultureInfo.InvariantCulture);
        _signedContent = [.. System.Text.Encoding.UTF8.GetBytes($"{Id}.{_timestampText}."), .. _body];
        _header = WebHookSigner.Sign(_secret, Id, Timestamp, _body);
        _verifier = new WebHookVerifier(_secret, new FixedClock(DateTimeOffset.FromUnixTimeSeconds(Timestamp)));
    }

    /// <summary>The floor: one-shot HMAC-SHA256 over the bytes Standard Webhooks signs.</summary>
    [Benchmark(Baseline = true)]
    public byte[] BareHmacSha256() => HMACSHA256.HashData(_key, _signedContent);

    [Benchmark]
    public string Sign() => WebHookSigner.Sign(_secret, Id, Timestamp, _body);

    /// <summary>What a dispatcher worker does: the same secret again, with its keyed context kept.</summary>
    [Benchmark]
    public string SignWithKeptContext() => WebHookSigner.Sign([_secret], Id, Timestamp, _body, _hmac);

    [Benchmark]
    public string SignTwoSecrets() => WebHookSigner.Sign([_secret, _oldSecret], Id, Timestamp, _body);

    [Benchmark]
    public bool Verify() => _verifier.Verify(Id, _timestampText, _header, _body).IsValid;

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
