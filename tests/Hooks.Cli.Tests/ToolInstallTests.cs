using Hooks.Cli.Tests.Infrastructure;
using Hooks.Generator.Tests.Packaging;
using Hooks.Security;

namespace Hooks.Cli.Tests;

/// <summary>The package is a .NET tool: <c>dotnet tool install</c> (the fixture) and <c>dnx</c> both run it.</summary>
[Collection(PackedToolCollection.Name)]
[Trait("Category", "Slow")]
public sealed class ToolInstallTests(PackedTool tool)
{
    [Fact]
    public async Task Installed_tool_answers_version_and_help()
    {
        var version = await tool.RunAsync("--version");
        var help = await tool.RunAsync("--help");

        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith(tool.Version, version.Out.Trim(), StringComparison.Ordinal);
        Assert.Contains("Usage:", help.Out, StringComparison.Ordinal);
        Assert.Contains("hooks [command] [options]", help.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dnx_runs_the_package_without_installing_it()
    {
        var output = await DotNet.RunAsync(tool.Root, TimeSpan.FromMinutes(5), "dnx", "Hooks.Cli", "--version", tool.Version, "--source", tool.FeedDirectory,
            "--yes", "--", "secret", "new");

        var secret = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last();
        Assert.True(WebHookSecret.TryParse(secret, out _), output);
    }
}
