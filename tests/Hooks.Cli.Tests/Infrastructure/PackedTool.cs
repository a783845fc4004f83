using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Hooks.Generator.Tests.Packaging;

namespace Hooks.Cli.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class PackedToolCollection : ICollectionFixture<PackedTool>
{
    public const string Name = "packed hooks tool";
}

/// <summary>
/// The tool as users get it: Hooks.Cli packed from a copy of the sources into a local feed under a version no cache
/// has seen, installed with <c>dotnet tool install --tool-path</c>, and run as a process. Once per test run.
/// </summary>
public sealed class PackedTool : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "hooks-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public string Version { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "." + Environment.ProcessId;

    public string FeedDirectory => Path.Combine(Root, "feed");

    public string ToolDirectory => Path.Combine(Root, "tools");

    public string Executable => Path.Combine(ToolDirectory, OperatingSystem.IsWindows() ? "hooks.exe" : "hooks");

    public async Task InitializeAsync()
    {
        var repo = RepositoryRoot();
        var sources = Path.Combine(Root, "sources");
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "README.md", "global.json", "nuget.config", ".editorconfig" })
        {
            CopyIfExists(Path.Combine(repo, file), Path.Combine(sources, file));
        }
        CopyDirectory(Path.Combine(repo, "src"), Path.Combine(sources, "src"));
        await DotNet.RunAsync(sources, TimeSpan.FromMinutes(10), "pack", "src/Hooks.Cli/Hooks.Cli.csproj", "-c", "Release", "-o", FeedDirectory,
            $"-p:Version={Version}", "-nodeReuse:false", "--disable-build-servers");

        // As the README says to: only the local feed (--source replaces every other source).
        await DotNet.RunAsync(Root, TimeSpan.FromMinutes(5), "tool", "install", "Hooks.Cli", "--tool-path", ToolDirectory,
            "--version", Version, "--source", FeedDirectory);
    }

    /// <summary>Runs the installed <c>hooks</c> with <paramref name="environment"/> (HOOKS_* from the test host never leak in).</summary>
    public async Task<CliRun> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null, byte[]? stdin = null)
    {
        var start = StartInfo(args, environment);
        using var process = new Process { StartInfo = start };
        process.Start();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
        }
        process.StandardInput.Close();
        using var cancellation = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"hooks {string.Join(' ', args)} took longer than {RunTimeout}.");
        }
        return new CliRun(process.ExitCode, await output, await error);
    }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(args, null, null);

    /// <summary>Starts the installed <c>hooks</c> and leaves it running (<c>hooks listen</c>); its stdout is read line by line.</summary>
    public RunningTool Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        RunningTool.Start(StartInfo(args, environment));

    private ProcessStartInfo StartInfo(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = DotNet.StartInfo(Executable, Root, [.. args]);
        start.RedirectStandardInput = true;
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("HOOKS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }
        // The apphost finds the runtime this test runs on.
        start.Environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return start;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        return Task.CompletedTask;
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    private static void CopyIfExists(string from, string to)
    {
        if (File.Exists(from))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            {
                continue;
            }
            CopyIfExists(file, Path.Combine(to, relative));
        }
    }
}
