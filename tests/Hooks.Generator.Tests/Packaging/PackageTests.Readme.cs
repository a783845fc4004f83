using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Hooks.Security;

namespace Hooks.Generator.Tests.Packaging;

/// <summary>
/// The README's quick starts, pasted as they stand into the Program.cs of an app shaped like <c>dotnet new web</c>
/// with only the packed Hooks.Runtime added: each builds with no warnings and does what the README says.
/// </summary>
public sealed partial class PackageTests
{
    [Fact]
    public async Task Readme_consumer_quick_start_builds_as_pasted_and_handles_a_camel_case_signed_post()
    {
        var directory = await BuildReadmeSnippet("consumer");
        var secret = WebHookSecret.Generate();
        var start = DotNet.StartInfo("dotnet", directory, Path.Combine("out", "ReadmeApp.dll"));
        start.Environment["Hooks__Secret"] = secret.Reveal();

        await RunReadmeApp(start, async (address, process) =>
        {
            // camelCase, as a JavaScript sender writes it.
            var body = Encoding.UTF8.GetBytes("""{"type":"order.created","timestamp":"2026-01-02T03:04:05Z","data":{"orderId":"ord_7","total":12.5}}""");
            using var request = SignedPost(new Uri(address, "/webhooks"), secret, body);
            using var client = new HttpClient { Timeout = Timeout };
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            await process.WaitForLineAsync(l => l.Contains("Order ord_7 placed, total 12.5", StringComparison.Ordinal));
        });
    }

    [Fact]
    public async Task Readme_consumer_quick_start_stops_at_start_naming_the_missing_secret()
    {
        var directory = await BuildReadmeSnippet("consumer");
        var start = DotNet.StartInfo("dotnet", directory, Path.Combine("out", "ReadmeApp.dll"));
        start.Environment.Remove("Hooks__Secret");
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        await process.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("has no secrets", await stderr + await stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readme_producer_quick_start_builds_as_pasted_guards_its_management_api_and_publishes()
    {
        var directory = await BuildReadmeSnippet("producer");
        var start = DotNet.StartInfo("dotnet", directory, Path.Combine("out", "ReadmeApp.dll"));

        await RunReadmeApp(start, async (address, _) =>
        {
            using var client = new HttpClient { BaseAddress = address, Timeout = Timeout };
            using var anonymous = await client.GetAsync(new Uri("/api/webhooks/subscriptions", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

            using var published = await client.PostAsync(new Uri("/orders", UriKind.Relative), content: null);
            Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
            Assert.StartsWith("\"msg_", await published.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        });
    }

    /// <summary>Writes the README's snippet into a fresh web app that references only the package, and builds it.</summary>
    private async Task<string> BuildReadmeSnippet(string name)
    {
        var directory = Path.Combine(app.Root, "readme-" + name);
        if (File.Exists(Path.Combine(directory, "out", "ReadmeApp.dll")))
        {
            return directory;
        }
        PackagedApp.WriteIsolation(directory, app.FeedDirectory);
        // What `dotnet new web` writes, plus the package reference `dotnet add package` adds.
        PackagedApp.WriteProject(directory, "ReadmeApp", "Microsoft.NET.Sdk.Web", "", $"""    <PackageReference Include="Hooks.Runtime" Version="{app.Version}" />""");
        File.WriteAllText(Path.Combine(directory, "Program.cs"), ReadmeSnippet(name));
        var build = await DotNet.RunAsync(directory, TimeSpan.FromMinutes(10), "build", "-c", "Release", "-o", "out",
            "-nodeReuse:false", "--disable-build-servers");
        Assert.Matches(@"\b0 Warning\(s\)", build);
        return directory;
    }

    private static string ReadmeSnippet(string name)
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var match = Regex.Match(readme, $"<!-- snippet: {name} -->\\n```csharp\\n(.*?)```\\n<!-- /snippet -->", RegexOptions.Singleline);
        Assert.True(match.Success, $"README.md has no '{name}' snippet.");
        return match.Groups[1].Value;
    }

    private async Task RunReadmeApp(ProcessStartInfo start, Func<Uri, AppProcess, Task> exercise)
    {
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        await using var process = AppProcess.Start(start, output, Timeout);
        var listening = await process.WaitForLineAsync(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
        await exercise(new Uri(listening[listening.IndexOf("http", StringComparison.Ordinal)..].Trim()), process);
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
