using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hooks.Samples.Tests.Infrastructure;
using Hooks.Security;
using Xunit.Abstractions;

namespace Hooks.Samples.Tests;

/// <summary>
/// The quick start proposed in docs/README-draft.md, pasted as it stands into the Program.cs of an app shaped like
/// <c>dotnet new web</c> (warnings as errors) referencing Hooks.Runtime: each block builds and does what the text says.
/// </summary>
public sealed partial class ReadmeDraftTests(ITestOutputHelper output) : IDisposable
{
    private readonly SourceCopy _sources = new();

    [Fact]
    public async Task Draft_quick_start_builds_as_pasted_the_consumer_handles_a_signed_order_and_the_producer_guards_its_api()
    {
        var consumer = await BuildSnippetAsync("consumer");
        var producer = await BuildSnippetAsync("producer");
        using var client = new HttpClient { Timeout = SampleProcess.Timeout };

        var secret = WebHookSecret.Generate();
        await using (var app = SampleProcess.Start(SampleProcess.StartInfo("dotnet", consumer, ["out/ReadmeApp.dll", "--urls", "http://127.0.0.1:0"],
            new Dictionary<string, string> { ["Hooks__Secret"] = secret.Reveal() }), output))
        {
            var address = await ListeningAddress(app);
            var body = Encoding.UTF8.GetBytes("""{"type":"order.created","timestamp":"2026-11-30T08:00:00Z","data":{"orderId":"ord_7","total":12.5}}""");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/webhooks")) { Content = new ByteArrayContent(body) };
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("webhook-id", "msg_readme1");
            request.Headers.Add("webhook-timestamp", now.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebHookSigner.Sign(secret, "msg_readme1", now, body));
            using var answer = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
            await app.WaitForLineAsync(l => l.Contains("Order ord_7 placed, total 12.5", StringComparison.Ordinal));
        }

        await using (var app = SampleProcess.Start(SampleProcess.StartInfo("dotnet", producer, ["out/ReadmeApp.dll", "--urls", "http://127.0.0.1:0"]), output))
        {
            var address = await ListeningAddress(app);
            using var anonymous = await client.GetAsync(new Uri(address, "/api/webhooks/subscriptions"));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var published = await client.PostAsync(new Uri(address, "/orders"), null);
            Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
            Assert.StartsWith("\"msg_", await published.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    /// <summary>Writes the draft's snippet into a fresh web app beside the source copy and builds it; returns its folder.</summary>
    private async Task<string> BuildSnippetAsync(string name)
    {
        var draft = File.ReadAllText(Path.Combine(SampleProcess.RepositoryRoot, "docs", "README-draft.md"));
        var snippet = Regex.Match(draft, $"<!-- snippet: {name} -->\\n```csharp\\n(.*?)```\\n<!-- /snippet -->", RegexOptions.Singleline);
        Assert.True(snippet.Success, $"docs/README-draft.md has no '{name}' snippet.");

        var directory = Path.Combine(_sources.Root, "readme-" + name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");   // nothing of the repository's settings
        // What `dotnet new web` writes; the project references stand in for `dotnet add package Hooks.Runtime`.
        File.WriteAllText(Path.Combine(directory, "ReadmeApp.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="../src/Hooks.Runtime/Hooks.Runtime.csproj" />
                <ProjectReference Include="../src/Hooks.Generator/Hooks.Generator.csproj" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), snippet.Groups[1].Value);
        await using var build = SampleProcess.Start(SampleProcess.StartInfo("dotnet", directory,
            ["build", "-o", "out", "-nodeReuse:false", "--disable-build-servers"]), output);
        Assert.Equal(0, await build.WaitForExitAsync(TimeSpan.FromMinutes(10)));
        Assert.DoesNotContain(build.Output.Split('\n'), l => l.Contains(": warning ", StringComparison.Ordinal));
        return directory;
    }

    private static async Task<Uri> ListeningAddress(SampleProcess process)
    {
        var line = await process.WaitForLineAsync(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
        return new Uri(line[(line.IndexOf("Now listening on: ", StringComparison.Ordinal) + "Now listening on: ".Length)..].Trim());
    }

    public void Dispose() => _sources.Dispose();
}
