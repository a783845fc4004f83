using System.CommandLine;
using Hooks.Cli.Output;

namespace Hooks.Cli.Management;

/// <summary><c>hooks events</c>: the event types a producer offers.</summary>
internal static class EventsCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("events", "List the event types a producer sends, to subscribe to (--json adds each one's JSON Schema).");
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var types = await api.Client(result, console).SendAsync(HttpMethod.Get, "event-types", null, ManagementClient.Json.EventTypeListResponse, json,
                cancellationToken).ConfigureAwait(false);
            if (json) return ExitCodes.Ok;
            if (types.Data.Count == 0)
            {
                await console.Out.WriteLineAsync("No event types.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new TextTable("TYPE", "DESCRIPTION");
            foreach (var t in types.Data)
            {
                table.Add(t.Type, t.Description);
            }
            await table.WriteAsync(console.Out).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }
}
