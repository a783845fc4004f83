using System.CommandLine;
using Hooks.Cli.Output;

namespace Hooks.Cli.Management;

/// <summary><c>hooks subscriptions …</c>: the subscriptions routes of the management API.</summary>
internal static class SubscriptionsCommand
{
    public static Command Create(CliConsole console) => new("subscriptions", "List, create, change, rotate and delete a producer's subscriptions (its management API).")
    {
        List(console), CreateCommand(console), Get(console), Update(console), Enable(console), Disable(console), Rotate(console),
        Test(console), Delete(console),
    };

    internal static Argument<string> IdArgument() => new("subscription") { Description = "The subscription's id (sub_…)." };

    private static Command List(CliConsole console)
    {
        var limit = new Option<int?>("--limit") { Description = "At most this many (1 to 200; the API's default is 50).", HelpName = "n" };
        var after = new Option<string>("--after") { Description = "Start after this id: the 'next' of the previous page.", HelpName = "id" };
        var command = new Command("list", "List subscriptions, oldest first.") { limit, after };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var query = new List<string>();
            if (result.GetValue(limit) is { } n) query.Add($"limit={n}");
            if (result.GetValue(after) is { } a) query.Add($"after={ManagementClient.Segment(a)}");
            var json = result.GetValue(api.Json);
            var page = await api.Client(result, console).SendAsync(HttpMethod.Get, "subscriptions" + (query.Count > 0 ? "?" + string.Join('&', query) : ""),
                null, ManagementClient.Json.SubscriptionListResponse, json, cancellationToken).ConfigureAwait(false);
            if (json) return ExitCodes.Ok;
            if (page.Data.Count == 0)
            {
                await console.Out.WriteLineAsync("No subscriptions.").ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            var table = new TextTable("ID", "STATUS", "URL", "EVENT TYPES", "DESCRIPTION");
            foreach (var s in page.Data)
            {
                table.Add(s.Id, s.Status, s.Url, EventTypes(s.EventTypes), s.Description);
            }
            await table.WriteAsync(console.Out).ConfigureAwait(false);
            if (page.Next is { } next)
            {
                await console.Out.WriteLineAsync($"More: hooks subscriptions list --after {next}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateCommand(CliConsole console)
    {
        var url = new Option<string>("--url") { Description = "Where to POST the events (https; http only where the producer allows it).", Required = true, HelpName = "url" };
        var fields = SubscriptionFields.Create(forCreate: true);
        var secret = new Option<string>("--secret") { Description = "Use this whsec_… secret instead of a generated one.", HelpName = "whsec_…" };
        var command = new Command("create", "Create a subscription. Its secret is printed once: store it where the receiver reads it.") { url, secret };
        fields.AddTo(command);
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var request = fields.Request(result);
            request.Url = result.GetRequiredValue(url);
            request.Secret = result.GetValue(secret);
            var json = result.GetValue(api.Json);
            var created = await api.Client(result, console).SendAsync(HttpMethod.Post, "subscriptions",
                ManagementClient.Body(request, ManagementClient.Json.SubscriptionRequest), ManagementClient.Json.SubscriptionResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Created {created.Id}.").ConfigureAwait(false);
                await WriteAsync(console, created).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Get(CliConsole console) => OnOne(console, "get", "Show a subscription (its secret is never shown again).", HttpMethod.Get, "");

    private static Command Enable(CliConsole console) =>
        OnOne(console, "enable", "Enable a subscription (one whose URL has not passed intent verification is challenged again).", HttpMethod.Post, "/enable", "Enabled");

    private static Command Delete(CliConsole console)
    {
        var id = IdArgument();
        var command = new Command("delete", "Delete a subscription and its pending deliveries.") { id };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var subscription = result.GetRequiredValue(id);
            await api.Client(result, console).SendAsync(HttpMethod.Delete, $"subscriptions/{ManagementClient.Segment(subscription)}", null, cancellationToken).ConfigureAwait(false);
            if (result.GetValue(api.Json))
            {
                await JsonOutput.WriteAsync(console, w => { w.WriteStartObject(); w.WriteString("deleted", subscription); w.WriteEndObject(); }).ConfigureAwait(false);
            }
            else
            {
                await console.Out.WriteLineAsync($"Deleted {subscription}.").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Update(CliConsole console)
    {
        var id = IdArgument();
        var url = new Option<string>("--url") { Description = "A new URL: verified again before anything is sent to it.", HelpName = "url" };
        var fields = SubscriptionFields.Create(forCreate: false);
        var command = new Command("update", "Change the members given; the others stay as they are.") { id, url };
        fields.AddTo(command);
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var request = fields.Request(result);
            request.Url = result.GetValue(url);
            if (request is { Url: null, EventTypes: null, Description: null, Metadata: null, Verification: null })
            {
                throw new CliFailure(ExitCodes.Usage, "Nothing to change: give --url, --event-type, --description, --metadata or --verification.");
            }
            var json = result.GetValue(api.Json);
            var updated = await api.Client(result, console).SendAsync(HttpMethod.Patch, $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}",
                ManagementClient.Body(request, ManagementClient.Json.SubscriptionRequest), ManagementClient.Json.SubscriptionResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Updated {updated.Id}.").ConfigureAwait(false);
                await WriteAsync(console, updated).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Disable(CliConsole console)
    {
        var id = IdArgument();
        var reason = new Option<string>("--reason") { Description = "Why, for whoever looks at it later.", HelpName = "text" };
        var command = new Command("disable", "Disable a subscription: its deliveries wait until it is enabled.") { id, reason };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var body = ManagementClient.Body(new DisableRequest { Reason = result.GetValue(reason) }, ManagementClient.Json.DisableRequest);
            var updated = await api.Client(result, console).SendAsync(HttpMethod.Post, $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}/disable",
                body, ManagementClient.Json.SubscriptionResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Disabled {updated.Id}.").ConfigureAwait(false);
                await WriteAsync(console, updated).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Rotate(CliConsole console)
    {
        var id = IdArgument();
        var secret = new Option<string>("--secret") { Description = "Use this whsec_… secret instead of a generated one.", HelpName = "whsec_…" };
        var command = new Command("rotate", "Add a new signing secret, printed once; the old one keeps signing too for the producer's overlap (24 h by default).") { id, secret };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var body = ManagementClient.Body(new RotateSecretRequest { Secret = result.GetValue(secret) }, ManagementClient.Json.RotateSecretRequest);
            var updated = await api.Client(result, console).SendAsync(HttpMethod.Post, $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}/rotate-secret",
                body, ManagementClient.Json.SubscriptionResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Rotated the secret of {updated.Id}.").ConfigureAwait(false);
                await WriteAsync(console, updated).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Test(CliConsole console)
    {
        var id = IdArgument();
        var command = new Command("test", "Send a webhook.test message to this subscription only.") { id };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var sent = await api.Client(result, console).SendAsync(HttpMethod.Post, $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}/test",
                null, ManagementClient.Json.MessageResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                await console.Out.WriteLineAsync($"Queued test message {sent.MessageId} ({sent.Deliveries} deliver{(sent.Deliveries == 1 ? "y" : "ies")}).").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A command on one subscription that answers with the subscription.</summary>
    private static Command OnOne(CliConsole console, string name, string description, HttpMethod method, string suffix, string? done = null)
    {
        var id = IdArgument();
        var command = new Command(name, description) { id };
        var api = ManagementOptions.AddTo(command);
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var json = result.GetValue(api.Json);
            var subscription = await api.Client(result, console).SendAsync(method, $"subscriptions/{ManagementClient.Segment(result.GetRequiredValue(id))}{suffix}",
                null, ManagementClient.Json.SubscriptionResponse, json, cancellationToken).ConfigureAwait(false);
            if (!json)
            {
                if (done is not null)
                {
                    await console.Out.WriteLineAsync($"{done} {subscription.Id}.").ConfigureAwait(false);
                }
                await WriteAsync(console, subscription).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string EventTypes(List<string> types) => types.Count == 0 ? "(all)" : string.Join(", ", types);

    /// <summary>A subscription as name/value lines; the secret only when the API just made it (create, rotate).</summary>
    internal static async Task WriteAsync(CliConsole console, SubscriptionResponse s)
    {
        var rows = new List<(string Name, string? Value)>
        {
            ("id", s.Id),
            ("status", s.StatusReason is { } reason ? $"{s.Status} ({reason})" : s.Status),
            ("url", s.Url),
        };
        if (s.PendingUrl is { } pending) rows.Add(("pending url", pending + " (waiting for intent verification)"));
        rows.Add(("event types", EventTypes(s.EventTypes)));
        if (s.Description is { } description) rows.Add(("description", description));
        if (s.Metadata.Count > 0) rows.Add(("metadata", string.Join(", ", s.Metadata.Select(m => $"{m.Key}={m.Value}"))));
        if (s.Verification is { } verification) rows.Add(("verification", verification));
        rows.Add(("created", Inputs.Show(s.CreatedAt)));
        rows.Add(("updated", Inputs.Show(s.UpdatedAt)));
        if (s.FailingSince is { } failing) rows.Add(("failing since", Inputs.Show(failing)));
        foreach (var (name, value) in rows)
        {
            await console.Out.WriteLineAsync($"  {name,-13} {value}").ConfigureAwait(false);
        }
        if (s.Secret is { } secret)
        {
            await console.Out.WriteLineAsync().ConfigureAwait(false);
            await console.Out.WriteLineAsync($"  secret        {secret}").ConfigureAwait(false);
            await console.Out.WriteLineAsync("  This is the only time the secret is shown: store it now where your receiver reads it.").ConfigureAwait(false);
        }
    }
}

/// <summary>The members create and update share.</summary>
internal sealed class SubscriptionFields
{
    private SubscriptionFields(bool forCreate)
    {
        EventTypes = new("--event-type", "-e")
        {
            Description = forCreate
                ? "An event type to receive, or a prefix.* wildcard; repeatable. Default: every type."
                : "Replace the event types with these; repeatable.",
            HelpName = "type",
            Arity = ArgumentArity.OneOrMore,
        };
        Metadata = new("--metadata", "-m")
        {
            Description = forCreate ? "A key=value pair to keep with it; repeatable." : "Replace the metadata with these key=value pairs; repeatable.",
            HelpName = "key=value",
            Arity = ArgumentArity.OneOrMore,
        };
    }

    public Option<string[]> EventTypes { get; }

    public Option<string> Description { get; } = new("--description") { Description = "What it is for (shown to its owner).", HelpName = "text" };

    public Option<string[]> Metadata { get; }

    public Option<string> Verification { get; } = new Option<string>("--verification")
    {
        Description = "How the URL proves it wants the events: challenge (the default), or ping or none where the producer's policy allows.",
    }.AcceptOnlyFromAmong("challenge", "ping", "none");

    public static SubscriptionFields Create(bool forCreate) => new(forCreate);

    public void AddTo(Command command)
    {
        command.Options.Add(EventTypes);
        command.Options.Add(Description);
        command.Options.Add(Metadata);
        command.Options.Add(Verification);
    }

    public SubscriptionRequest Request(ParseResult result)
    {
        Dictionary<string, string>? metadata = null;
        if (result.GetValue(Metadata) is { Length: > 0 } pairs)
        {
            metadata = new(StringComparer.Ordinal);
            foreach (var pair in pairs)
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new CliFailure(ExitCodes.Usage, "--metadata takes key=value.");
                }
                metadata[pair[..equals]] = pair[(equals + 1)..];
            }
        }
        return new SubscriptionRequest
        {
            EventTypes = result.GetValue(EventTypes) is { Length: > 0 } types ? [.. types] : null,
            Description = result.GetValue(Description),
            Metadata = metadata,
            Verification = result.GetValue(Verification),
        };
    }
}
