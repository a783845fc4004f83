using System.Text;

namespace Hooks.Cli.Tests.Infrastructure;

/// <summary>What one run of the tool printed, and how it exited.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    public string All => Out + Error;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the command tree in this process, with its own output buffers, stdin and environment.</summary>
public static class InProcessCli
{
    /// <summary>Runs with <paramref name="stdin"/> piped in, or, when it is <c>null</c>, with stdin a terminal.</summary>
    public static async Task<CliRun> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null, byte[]? stdin = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(output, error, () => new MemoryStream(stdin ?? []),
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null, inputIsTerminal: stdin is null);
        var exit = await HooksCli.RunAsync(args, console);
        return new CliRun(exit, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(args, null, null);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
