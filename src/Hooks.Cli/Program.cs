namespace Hooks.Cli;

/// <summary>The <c>hooks</c> tool's entry point.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => HooksCli.RunAsync(args, CliConsole.System);
}
