using System.CommandLine;
using System.CommandLine.Invocation;
using Hooks.Cli.Listen;
using Hooks.Cli.Management;
using Hooks.Cli.Signing;

namespace Hooks.Cli;

/// <summary>
/// The command tree. Each top-level command is built in its own file and added here with one line, so commands that
/// need other parts of Hooks (<c>listen</c> over Reverse HTTP, <c>feed</c> for catch-up) join without reshaping the rest.
/// </summary>
internal static class HooksCli
{
    public const string Description = """
        Send, sign and verify Standard Webhooks requests, receive a producer's deliveries on your machine, and manage a
        Hooks producer's subscriptions.

        Try a round trip on your machine:
          hooks secret new                                   make a whsec_… secret
          hooks send http://localhost:5000/webhooks --secret whsec_… --type order.created --data '{"orderId":"o-1"}'

        Receive a real producer's deliveries on a laptop with no public address (a subscription with a ptth:// URL):
          hooks listen https://producer.example --subscription sub_… --secret whsec_… --forward http://localhost:5000/webhooks

        Read a subscription's events from the producer's feed (what was sent, also what you missed):
          hooks feed --url https://producer.example/webhooks/feed --subscription sub_… --secret whsec_… --since 2h

        Commands that take a secret also read HOOKS_SECRET; management commands read HOOKS_API_URL and HOOKS_API_TOKEN,
        so secrets and tokens stay out of your shell history. Every command has --json for scripts.

        Exit codes: 0 ok · 1 refused (bad signature, or the receiver said no) · 2 usage · 3 the API answered an error
        · 4 network (no connection, timeout) · 130 stopped with Ctrl+C (how listen ends).
        """;

    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand(Description);
        // Bare `hooks` shows the help instead of an error.
        root.SetAction(result => new System.CommandLine.Help.HelpAction().Invoke(result));
        // Sending and signing: only a secret needed.
        root.Subcommands.Add(SendCommand.Create(console));
        root.Subcommands.Add(SignCommand.Create(console));
        root.Subcommands.Add(VerifyCommand.Create(console));
        root.Subcommands.Add(SecretCommand.Create(console));
        // A producer's management API (--api, --token).
        root.Subcommands.Add(SubscriptionsCommand.Create(console));
        root.Subcommands.Add(DeliveryCommands.Deliveries(console));
        root.Subcommands.Add(DeliveryCommands.Attempts(console));
        root.Subcommands.Add(DeliveryCommands.Redeliver(console));
        root.Subcommands.Add(DeliveryCommands.Recover(console));
        root.Subcommands.Add(EventsCommand.Create(console));
        // Receiving on this machine over Reverse HTTP.
        root.Subcommands.Add(ListenCommand.Create(console));
        // Reading a subscription's event feed (catch-up).
        root.Subcommands.Add(CatchUp.FeedCommand.Create(console));
        return root;
    }

    /// <summary>Parses and runs; usage errors exit with <see cref="ExitCodes.Usage"/> (System.CommandLine's default is 1).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliConsole console, CancellationToken cancellationToken = default)
    {
        // No response files: @path is how --data, --body and friends read a file, so the parser must leave it alone.
        var parsed = Build(console).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // Ctrl+C is not turned into a cancellation with a 2 s limit: short commands end at once as the runtime ends them
        // (exit 130), and hooks listen catches the signal itself to close its connections and print its last line first.
        var configuration = new InvocationConfiguration { Output = console.Out, Error = console.Error, ProcessTerminationTimeout = null };
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }
            var command = string.Join(' ', Path(parsed.CommandResult));
            await console.Error.WriteLineAsync($"Run '{command} --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    private static Stack<string> Path(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new Stack<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Push(c.Command is RootCommand ? "hooks" : c.Command.Name);
            }
        }
        return names;
    }

    /// <summary>
    /// Runs a command body: a <see cref="CliFailure"/> becomes its message on stderr and its exit code; Ctrl+C ends
    /// quietly with 130 as shells expect.
    /// </summary>
    public static void SetCliAction(this Command command, CliConsole console, Func<ParseResult, CancellationToken, Task<int>> run) =>
        command.SetAction(async (result, cancellationToken) =>
        {
            try
            {
                return await run(result, cancellationToken).ConfigureAwait(false);
            }
            catch (CliFailure failure)
            {
                await console.Error.WriteLineAsync("error: " + failure.Message).ConfigureAwait(false);
                return failure.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
        });
}
