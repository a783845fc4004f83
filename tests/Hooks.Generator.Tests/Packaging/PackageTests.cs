using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hooks.Security;
using Xunit.Abstractions;

namespace Hooks.Generator.Tests.Packaging;

/// <summary>
/// The package as users get it: a fresh web app outside the solution references only the packed Hooks.Runtime, builds
/// with zero warnings, and answers a signed POST over real HTTP; the same app publishes with Native AOT with no
/// trimming or AOT warnings and answers too.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class PackageTests(PackagedApp app, ITestOutputHelper output) : IClassFixture<PackagedApp>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Fresh_app_referencing_the_package_builds_without_warnings_and_handles_a_signed_post()
    {
        var build = await DotNet.RunAsync(app.AppDirectory, TimeSpan.FromMinutes(10), "build", "-c", "Release", "-o", "out-jit",
            "-nodeReuse:false", "--disable-build-servers");
        Assert.Matches(@"\b0 Warning\(s\)", build);
        Assert.True(File.Exists(Path.Combine(app.AppDirectory, "out-jit", "PackagedConsumer.dll")));

        await AssertAnswersSignedPost(DotNet.StartInfo("dotnet", app.AppDirectory, Path.Combine("out-jit", "PackagedConsumer.dll")));
    }

    [Fact]
    public async Task Contracts_library_referencing_only_Hooks_Abstractions_gets_event_code_and_an_app_handles_its_events()
    {
        var build = await DotNet.RunAsync(app.ContractsConsumerDirectory, TimeSpan.FromMinutes(10), "build", "-c", "Release", "-o", "out",
            "-nodeReuse:false", "--disable-build-servers");
        Assert.Matches(@"\b0 Warning\(s\)", build);

        await AssertAnswersSignedPost(DotNet.StartInfo("dotnet", app.ContractsConsumerDirectory, Path.Combine("out", "ContractsConsumer.dll")),
            """{"type":"shipment.dispatched","timestamp":"2026-01-02T03:04:05Z","data":{"shipmentId":"s-7","parcels":2}}""",
            "HANDLED shipment.dispatched s-7 2",
            "CONTRACT shipment.dispatched A shipment left the warehouse.");
    }

    [Fact]
    public void Generator_ships_once_in_Hooks_Abstractions_and_flows_through_Hooks_Runtime()
    {
        using var abstractions = System.IO.Compression.ZipFile.OpenRead(Path.Combine(app.FeedDirectory, $"Hooks.Abstractions.{app.Version}.nupkg"));
        using var runtime = System.IO.Compression.ZipFile.OpenRead(Path.Combine(app.FeedDirectory, $"Hooks.Runtime.{app.Version}.nupkg"));

        Assert.Contains(abstractions.Entries, e => e.FullName == "analyzers/dotnet/cs/Hooks.Generator.dll");
        // A second copy would run the generator twice in apps referencing both packages (duplicate files and types).
        Assert.DoesNotContain(runtime.Entries, e => e.FullName.StartsWith("analyzers/", StringComparison.Ordinal));
        using var nuspec = new StreamReader(runtime.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var dependency = Regex.Match(nuspec.ReadToEnd(), "<dependency id=\"Hooks.Abstractions\"[^>]*>").Value;
        Assert.NotEmpty(dependency);
        Assert.DoesNotContain("Analyzers", dependency, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task App_using_generated_code_publishes_with_native_aot_without_warnings_and_handles_a_signed_post()
    {
        var publish = await DotNet.RunAsync(app.AppDirectory, TimeSpan.FromMinutes(20), "publish", "-c", "Release", "-r", "linux-x64",
            "-p:PublishAot=true", "-o", "out-aot", "-nodeReuse:false", "--disable-build-servers");
        var warnings = AotWarning().Matches(publish).Select(m => m.Value).Distinct().ToList();
        output.WriteLine($"Native AOT publish: {warnings.Count} IL2xxx/IL3xxx warnings.");
        Assert.Empty(warnings);
        Assert.DoesNotContain(publish.Split('\n'), l => l.Contains(": warning ", StringComparison.Ordinal));

        await AssertAnswersSignedPost(DotNet.StartInfo(Path.Combine(app.AppDirectory, "out-aot", "PackagedConsumer"), app.AppDirectory));
    }

    private Task AssertAnswersSignedPost(ProcessStartInfo start) =>
        AssertAnswersSignedPost(start,
            """{"type":"order.created","timestamp":"2026-01-02T03:04:05Z","data":{"orderId":"o-42","total":12.5}}""",
            "HANDLED order.created o-42 12.5", servesOpenApi: true);

    private async Task AssertAnswersSignedPost(ProcessStartInfo start, string json, string handled, string? firstLine = null, bool servesOpenApi = false)
    {
        var secret = WebHookSecret.Generate();
        start.Environment["HOOKS_SECRET"] = secret.Reveal();
        await using var process = AppProcess.Start(start, output, Timeout);
        if (firstLine is not null)
        {
            Assert.Equal(firstLine, await process.WaitForLineAsync(l => l.StartsWith(firstLine.Split(' ')[0] + " ", StringComparison.Ordinal)));
        }
        var listening = await process.WaitForLineAsync(l => l.StartsWith("LISTENING ", StringComparison.Ordinal));
        var address = new Uri(listening["LISTENING ".Length..].Trim());

        var body = Encoding.UTF8.GetBytes(json);
        using var request = SignedPost(new Uri(address, "/webhooks"), secret, body);
        using var client = new HttpClient { Timeout = Timeout };
        using var response = await client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");

        Assert.Equal(handled, await process.WaitForLineAsync(l => l.StartsWith("HANDLED ", StringComparison.Ordinal)));

        // An unsigned copy is refused: the endpoint the generated MapWebHooks maps verifies.
        using var unsigned = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/webhooks")) { Content = new ByteArrayContent(body) };
        unsigned.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var refused = await client.SendAsync(unsigned);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        if (servesOpenApi)
        {
            // AddOpenApi() picks up the event catalog: its webhooks section carries the event's schema (also under AOT).
            var document = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync(new Uri(address, "/openapi/v1.json")))!;
            var envelope = document["webhooks"]!["order.created"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
            Assert.NotNull(envelope["properties"]!["data"]!["properties"]!["orderId"]);
            Assert.NotNull(document["paths"]!["/api/webhooks/subscriptions"]!["post"]);

            // The management API answers and refuses with its own metadata (no reflection under AOT either).
            var types = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync(new Uri(address, "/api/webhooks/event-types")))!;
            Assert.Equal("order.created", (string?)types["data"]![0]!["type"]);
            using var invalid = await client.PostAsync(new Uri(address, "/api/webhooks/subscriptions"),
                new StringContent("""{"url":"ftp://example.com/x"}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(System.Text.Json.Nodes.JsonNode.Parse(await invalid.Content.ReadAsStringAsync())!["errors"]!["url"]);
        }
    }

    /// <summary>A POST signed as Standard Webhooks senders sign it, with a fresh id and the current time.</summary>
    private static HttpRequestMessage SignedPost(Uri url, WebHookSecret secret, byte[] body)
    {
        var id = "msg_" + Guid.NewGuid().ToString("N");
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebHookHeaders.Id, id);
        request.Headers.Add(WebHookHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebHookHeaders.Signature, WebHookSigner.Sign(secret, id, timestamp, body));
        return request;
    }

    [GeneratedRegex(@"warning IL[23]\d{3}")]
    private static partial Regex AotWarning();
}
