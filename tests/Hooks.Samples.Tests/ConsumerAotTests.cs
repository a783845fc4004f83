using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hooks.Samples.Tests.Infrastructure;
using Hooks.Security;
using Xunit.Abstractions;

namespace Hooks.Samples.Tests;

/// <summary>
/// The consumer sample publishes with Native AOT without a single trim or AOT warning, and the native program verifies
/// and handles a signed delivery. Slow (a native build): the suite's one AOT publish.
/// </summary>
public sealed partial class ConsumerAotTests(ITestOutputHelper output) : IDisposable
{
    private readonly SourceCopy _sources = new();

    private string Root => _sources.Root;

    [Fact]
    public async Task Consumer_publishes_with_native_aot_without_warnings_and_handles_a_signed_delivery()
    {
        // A copy of the sources: the publish's Release outputs never meet a build running in the repository.
        _sources.Add("samples/Hooks.Samples.Consumer");
        File.Copy(Path.Combine(SampleProcess.RepositoryRoot, "samples", "Directory.Build.props"), Path.Combine(Root, "samples", "Directory.Build.props"));

        var published = Path.Combine(Root, "out");
        await using (var publish = SampleProcess.Start(SampleProcess.StartInfo("dotnet", Root,
            ["publish", "samples/Hooks.Samples.Consumer", "-c", "Release", "-r", "linux-x64", "-o", published, "-nodeReuse:false", "--disable-build-servers"]),
            output))
        {
            Assert.Equal(0, await publish.WaitForExitAsync(TimeSpan.FromMinutes(20)));
            var warnings = AotWarning().Matches(publish.Output).Select(m => m.Value).Distinct().ToList();
            output.WriteLine($"Native AOT publish: {warnings.Count} IL2xxx/IL3xxx warnings.");
            Assert.Empty(warnings);
            Assert.DoesNotContain(publish.Output.Split('\n'), l => l.Contains(": warning ", StringComparison.Ordinal));
        }

        var secret = WebHookSecret.Generate();
        await using var consumer = SampleProcess.Start(SampleProcess.StartInfo(Path.Combine(published, "Hooks.Samples.Consumer"), published,
            ["--urls", "http://127.0.0.1:0"], new Dictionary<string, string>
            {
                ["Hooks__Secret"] = secret.Reveal(),
                ["Hooks__Database"] = $"Data Source={Path.Combine(Root, "consumer.db")}",
            }), output);
        var line = await consumer.WaitForLineAsync(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
        var address = new Uri(line[(line.IndexOf("Now listening on: ", StringComparison.Ordinal) + "Now listening on: ".Length)..].Trim());

        var body = Encoding.UTF8.GetBytes("""{"type":"order.created","timestamp":"2026-11-30T08:00:00Z","data":{"orderId":"ord_7","total":12.5}}""");
        using var client = new HttpClient { Timeout = SampleProcess.Timeout };
        using (var signed = Post(address, body, "msg_aot1", WebHookSigner.Sign(secret, "msg_aot1", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body)))
        using (var answer = await client.SendAsync(signed))
        {
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        }
        Assert.Contains("Order ord_7 placed, total 12.5 (msg_aot1, attempt 1)", await consumer.WaitForLineAsync(l => l.Contains("Order ord_7", StringComparison.Ordinal)),
            StringComparison.Ordinal);

        // Signed with another secret: refused before any handler runs.
        var other = WebHookSecret.Generate();
        using var forged = Post(address, body, "msg_aot2", WebHookSigner.Sign(other, "msg_aot2", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
        using var refused = await client.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static HttpRequestMessage Post(Uri address, byte[] body, string id, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/webhooks")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return request;
    }

    [GeneratedRegex(@"\b(IL[23]\d{3})\b")]
    private static partial Regex AotWarning();

    public void Dispose() => _sources.Dispose();
}
