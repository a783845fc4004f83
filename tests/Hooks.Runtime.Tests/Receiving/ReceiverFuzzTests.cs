using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Hooks.Security;
using Hooks.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Hooks.Tests.Receiving;

/// <summary>
/// Sends 10,000 malformed, forged, replayed or oversized requests and asserts the receiver never answers 5xx, never
/// runs a handler for any of them, and still handles a genuine message afterwards.
/// </summary>
public sealed class ReceiverFuzzTests(ITestOutputHelper output)
{
    private static readonly WebHookSecret Secret = WebHookSecret.Parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private const int Requests = 10_000;

    [Fact]
    public async Task Ten_thousand_hostile_requests_cause_no_5xx_and_no_handler_run()
    {
        var log = new HandlerLog();
        await using var app = await ReceiverPipelineTests.StartAsync(log);
        // A message that was handled, so replays of it are part of the mix.
        var genuine = SignedRequests.Order(Secret, id: "msg_replayed");
        var genuineBody = await genuine.Content!.ReadAsByteArrayAsync();
        var genuineTs = genuine.Headers.GetValues("webhook-timestamp").Single();
        var genuineSig = genuine.Headers.GetValues("webhook-signature").Single();
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(genuine)).StatusCode);
        Assert.Equal(1, log.Count);

        var statuses = new int[600];
        var seed = 20261127;
        var next = 0;
        var workers = Enumerable.Range(0, 8).Select(async worker =>
        {
            var random = new Random(seed + worker);
            int i;
            while ((i = Interlocked.Increment(ref next)) <= Requests)
            {
                using var request = Mutate(random, genuineBody, genuineTs, genuineSig);
                using var response = await app.Client.SendAsync(request);
                Interlocked.Increment(ref statuses[(int)response.StatusCode]);
            }
        });
        await Task.WhenAll(workers);

        var summary = string.Join(", ", statuses.Select((n, s) => (n, s)).Where(x => x.n > 0).Select(x => $"{x.s}: {x.n}"));
        output.WriteLine($"{Requests} requests: {summary}");
        Assert.Equal(Requests, statuses.Sum());
        Assert.Equal(0, statuses.Skip(500).Sum());
        Assert.Equal(1, log.Count);

        // Still healthy: a genuine new message is handled.
        Assert.Equal(HttpStatusCode.NoContent, (await app.Client.SendAsync(SignedRequests.Order(Secret, id: "msg_after_fuzz"))).StatusCode);
        Assert.Equal(2, log.Count);
    }

    private static HttpRequestMessage Mutate(Random random, byte[] body, string ts, string sig)
    {
        var id = "msg_replayed";
        var bytes = (byte[])body.Clone();
        var contentType = "application/json";
        var headers = new List<(string, string)>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        switch (random.Next(14))
        {
            case 0: // replay: identical request
                break;
            case 1: // flipped body bit
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                break;
            case 2: // random garbage body, fake signature
                bytes = new byte[random.Next(0, 2048)];
                random.NextBytes(bytes);
                sig = "v1," + Convert.ToBase64String(RandomBytes(random, 32));
                break;
            case 3: // signed with another secret, fresh id
                id = "msg_" + random.Next();
                sig = WebHookSigner.Sign(WebHookSecret.Generate(), id, now, bytes);
                ts = now.ToString(CultureInfo.InvariantCulture);
                break;
            case 4: // mutated timestamp
                ts = random.Next(4) switch
                {
                    0 => (now - 10_000).ToString(CultureInfo.InvariantCulture),
                    1 => (now + 10_000).ToString(CultureInfo.InvariantCulture),
                    2 => "x" + ts,
                    _ => new string('9', random.Next(1, 40)),
                };
                break;
            case 5: // mutated id
                id = random.Next(3) switch { 0 => "", 1 => new string('a', 300), _ => "msg_" + random.Next() };
                break;
            case 6: // signature header garbage
                sig = random.Next(4) switch
                {
                    0 => "",
                    1 => new string('v', 9000),
                    2 => "v1," + new string('=', 44),
                    _ => string.Join(' ', Enumerable.Repeat("v2,abc", random.Next(1, 50))),
                };
                break;
            case 7: // oversized body (over the 64 KiB limit of the test receiver)
                bytes = new byte[64 * 1024 + 1 + random.Next(4096)];
                break;
            case 8: // wrong content type
                contentType = random.Next(2) == 0 ? "text/plain" : "application/xml";
                break;
            case 9: // invalid UTF-8 and odd encodings, validly signed by nobody
                bytes = [0xEF, 0xBB, 0xBF, 0xC3, 0x28, 0xA0, 0xA1, (byte)'{', 0xFF];
                break;
            case 10: // duplicated headers
                headers.Add(("webhook-id", "msg_other"));
                break;
            case 11: // svix aliases with a forged signature
                headers.Add(("svix-id", id));
                headers.Add(("svix-timestamp", ts));
                headers.Add(("svix-signature", "v1," + Convert.ToBase64String(RandomBytes(random, 32))));
                id = ts = sig = "";
                break;
            case 12: // truncated body
                bytes = bytes[..random.Next(bytes.Length)];
                break;
            default: // header with control characters / unicode
                id = "msg_\u00e9\u4e2d";
                break;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (id.Length > 0) request.Headers.TryAddWithoutValidation("webhook-id", id);
        if (ts.Length > 0) request.Headers.TryAddWithoutValidation("webhook-timestamp", ts);
        if (sig.Length > 0) request.Headers.TryAddWithoutValidation("webhook-signature", sig);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
