using System.CommandLine;
using System.Globalization;
using Hooks.Cli.Output;

namespace Hooks.Cli.Management;

/// <summary><c>hooks deliveries</c>, <c>attempts</c>, <c>redeliver</c>, <c>recover</c>: what was sent to a subscription, and sending it again.</summary>
internal static class DeliveryCommands
{
    public static Command Deliveries(CliConsole console)
    {
        var id = SubscriptionsCommand.IdArgument();
        var status = new Option<string>("--status") { Description = "Only deliveries in this state." }
            .AcceptOnlyFromAmong("pending", "succeeded", "failed");
        var message = new Option<string>("--message") { Description = "Only deliveries of this message (msg_…).", HelpName = "id" };
        var before = new Option<long?>("--before") { Description = "Older than this delivery id: the 'next' of the previous page.", HelpName = "id" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1 to 200; the API's default is 50).", HelpName = "n" };
        var command = new Command("deliveries", "List a subscription's deliveries, newest first: each message sent to it, its state and attempts.")
        {
            id, status, message, before, limit,
        };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var query = new List<string>();
            if (result.GetValue(status) is { } s) query.Add($"status={s}");
            if (result.GetValue(message) is { } m) query.Add($"messageId={ManagementClient.Segment(m)}");
            if (result.GetValue(before) is { } b) query.Add($"before={b.ToString(CultureInfo.InvariantCulture)}");
            if (result.GetValue(limit) is { } n) query.Add($"limit={n.ToString(CultureInfo.InvariantCulture)}");
            var subscription = result.GetRequiredValue(id);
            var json = result.GetValue(api.Json);
            var page = await api.Client(result, console).SendAsync(HttpMethod.Get,
                $"subscriptions/{ManagementClient.Segment(subscription)}/deliveries" + (query.Count > 0 ? "?" + string.Join('&', query) : ""),
                null, ManagementClient.Json.DeliveryListResponse, json, cancellationToken).ConfigureAwait(false);
            if (json) return ExitCodes.Ok;
            if (page.Data.Count == 0)
            {
                await console.Out.WriteLineAsync("No deliveries.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new TextTable("ID", "MESSAGE", "TYPE", "STATUS", "ATTEMPTS", "CREATED", "LAST ATTEMPT", "NEXT ATTEMPT");
            foreach (var d in page.Data)
            {
                table.Add(d.Id.ToString(CultureInfo.InvariantCulture), d.MessageId, d.EventType, d.Status, d.Attempts.ToString(CultureInfo.InvariantCulture),
                    Inputs.Show(d.CreatedAt), Inputs.Show(d.LastAttemptAt), Inputs.Show(d.NextAttemptAt));
            }
            await table.WriteAsync(console.Out).ConfigureAwait(false);
            if (page.Next is { } next)
            {
                await console.Out.WriteLineAsync($"More: hooks deliveries {subscription} --before {next.ToString(CultureInfo.InvariantCulture)}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Attempts(CliConsole console)
    {
        var id = SubscriptionsCommand.IdArgument();
        var delivery = new Argument<long>("delivery") { Description = "The delivery's id (from hooks deliveries)." };
        var command = new Command("attempts", "List the attempts of one delivery: when, how long, the receiver's status and answer or the error.")
        {
            id, delivery,
        };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var attempts = await api.Client(result, console).SendAsync(HttpMethod.Get,
                $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}/deliveries/{result.GetValue(delivery).ToString(CultureInfo.InvariantCulture)}/attempts",
                null, ManagementClient.Json.AttemptListResponse, json, cancellationToken).ConfigureAwait(false);
            if (json) return ExitCodes.Ok;
            if (attempts.Data.Count == 0)
            {
                await console.Out.WriteLineAsync("No attempts yet.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new TextTable("#", "STARTED", "DURATION", "OUTCOME", "STATUS", "DETAIL");
            foreach (var a in attempts.Data)
            {
                var detail = a.Error ?? (a.Location is { } location ? "redirect to " + location + " (not followed)" : a.ResponseBody);
                table.Add(a.Number.ToString(CultureInfo.InvariantCulture), Inputs.Show(a.StartedAt),
                    a.DurationMs.ToString("0", CultureInfo.InvariantCulture) + " ms", a.Outcome, a.StatusCode?.ToString(CultureInfo.InvariantCulture), detail);
            }
            await table.WriteAsync(console.Out).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Redeliver(CliConsole console)
    {
        var id = SubscriptionsCommand.IdArgument();
        var message = new Argument<string>("message") { Description = "The message's id (msg_…) that was delivered to the subscription." };
        var command = new Command("redeliver", "Send a message again to a subscription that had a delivery of it (same webhook-id, fresh signature).")
        {
            id, message,
        };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var subscription = result.GetRequiredValue(id);
            var messageId = result.GetRequiredValue(message);
            var queued = await api.Client(result, console).SendAsync(HttpMethod.Post,
                $"subscriptions/{ManagementClient.Segment(subscription)}/messages/{ManagementClient.Segment(messageId)}/redeliver",
                null, ManagementClient.Json.RecoverResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Queued {messageId} for {subscription} again.").ConfigureAwait(false);
                await DetailAsync(console, queued).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Recover(CliConsole console)
    {
        var id = SubscriptionsCommand.IdArgument();
        var since = new Option<string>("--since")
        {
            Description = "Failed deliveries since this time: ISO 8601 (2026-11-01T12:00:00Z) or a duration ago (30m, 2h, 7d).",
            HelpName = "time",
            Required = true,
        };
        var command = new Command("recover", "Send again every failed delivery of a subscription since a time (after fixing its receiver).")
        {
            id, since,
        };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var from = Inputs.Time(result.GetRequiredValue(since), "--since", TimeProvider.System);
            var json = result.GetValue(api.Json);
            var subscription = result.GetRequiredValue(id);
            var recovered = await api.Client(result, console).SendAsync(HttpMethod.Post, $"subscriptions/{ManagementClient.Segment(subscription)}/recover",
                ManagementClient.Body(new RecoverRequest { Since = from }, ManagementClient.Json.RecoverRequest),
                ManagementClient.Json.RecoverResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                var count = recovered.Deliveries;
                await console.Out.WriteLineAsync(
                    $"{count} failed deliver{(count == 1 ? "y" : "ies")} of {subscription} since {Inputs.Show(from)} {(count == 1 ? "is" : "are")} due again.").ConfigureAwait(false);
                await DetailAsync(console, recovered).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task DetailAsync(CliConsole console, RecoverResponse response)
    {
        if (response.Detail is { } detail)
        {
            await console.Out.WriteLineAsync("  " + detail).ConfigureAwait(false);
        }
    }
}
