using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using Xunit.Abstractions;

namespace Hooks.Tests.Samples;

/// <summary>
/// The sample as a user runs it: its demo completes, and the OpenAPI document it serves (management API plus the
/// event catalog under <c>webhooks</c>) is valid OpenAPI 3.1 and matches its baseline.
/// Regenerate with <c>HOOKS_UPDATE_BASELINES=1 dotnet test tests/Hooks.Runtime.Tests --filter SampleTests</c>.
/// </summary>
public sealed class SampleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sample_runs_its_demo_and_serves_a_valid_openapi_document_matching_its_baseline()
    {
        var json = await RunSampleAndFetch("openapi/v1.json");
        var read = OpenApiDocument.Parse(json, OpenApiConstants.Json);
        Assert.Empty(read.Diagnostic!.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi3_1, read.Diagnostic.SpecificationVersion);
        Assert.Equal(["order.created", "order.shipped"], read.Document!.Webhooks!.Keys.Order(StringComparer.Ordinal));

        // The server address changes with every run: it is not part of the baseline.
        var document = JsonNode.Parse(json)!.AsObject();
        document.Remove("servers");
        var text = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
        var baseline = Path.Combine(RepositoryRoot(), "tests", "Hooks.Runtime.Tests", "Baselines", "Hooks.Sample.openapi.json");
        if (Environment.GetEnvironmentVariable("HOOKS_UPDATE_BASELINES") == "1")
        {
            File.WriteAllText(baseline, text);
        }
        Assert.True(File.Exists(baseline), "No baseline: run with HOOKS_UPDATE_BASELINES=1.");
        Assert.True(File.ReadAllText(baseline).ReplaceLineEndings("\n") == text,
            "The sample's OpenAPI document differs from Baselines/Hooks.Sample.openapi.json (HOOKS_UPDATE_BASELINES=1 to accept).");
    }

    /// <summary>Runs the built sample with <c>--serve</c> on a port the OS assigns; returns the body of GET <paramref name="path"/>.</summary>
    private async Task<string> RunSampleAndFetch(string path)
    {
        var configuration = typeof(SampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value;
        var dll = Path.Combine(RepositoryRoot(), "samples", "Hooks.Sample", "bin", configuration!, "net10.0", "Hooks.Sample.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--serve");
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        var lines = Channel.CreateUnbounded<string>();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lines.Writer.TryWrite(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lines.Writer.TryWrite("stderr: " + e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var cancellation = new CancellationTokenSource(Timeout);
            Uri? address = null;
            var handled = 0;
            while (true)
            {
                var line = await lines.Reader.ReadAsync(cancellation.Token);
                output.WriteLine(line);
                if (line.StartsWith("Producer and consumer listening on ", StringComparison.Ordinal))
                {
                    address = new Uri(line["Producer and consumer listening on ".Length..].Trim());
                }
                handled += line.StartsWith("Handled ", StringComparison.Ordinal) ? 1 : 0;
                if (line.StartsWith("Serving;", StringComparison.Ordinal))
                {
                    break;
                }
            }
            Assert.Equal(2, handled);
            using var client = new HttpClient { BaseAddress = address, Timeout = Timeout };
            return await client.GetStringAsync(new Uri(path, UriKind.Relative));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            await process.WaitForExitAsync();
        }
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
