using System.CommandLine;
using System.Runtime.InteropServices;
using Hooks.Cli.Signing;
using Microsoft.Extensions.DependencyInjection;

namespace Hooks.Cli.Listen;

/// <summary>
/// <c>hooks listen</c>: receives a subscription's deliveries over Reverse HTTP (docs/reverse-http.md) on a machine
/// with no public address, verifies each, forwards it unchanged to a local URL and answers the producer with the
/// local app's answer. Runs until Ctrl+C.
/// </summary>
internal static class ListenCommand
{
    /// <summary>Where a producer URL with no path is assumed to map its upgrade endpoint (<c>MapReverseHttp()</c>'s default).</summary>
    public const string DefaultUpgradePath = "/webhooks/ptth";

    public static Command Create(CliConsole console)
    {
        var producer = new Argument<string>("producer")
        {
            Description = $"The producer's Reverse HTTP endpoint, https://producer.example{DefaultUpgradePath} (a URL with no path gets {DefaultUpgradePath}).",
        };
        var subscription = new Option<string>("--subscription")
        {
            Description = "The id of the subscription (its URL a ptth:// one) whose deliveries to receive.",
            HelpName = "id",
            Required = true,
        };
        var secret = new Option<string>("--secret", "-s")
        {
            Description = $"The subscription's whsec_… secret: proves the subscription when dialling and verifies each delivery. Default: ${Inputs.SecretVariable}.",
            HelpName = "whsec_…",
        };
        var forward = new Option<string>("--forward", "-f")
        {
            Description = "The local URL each delivery is POSTed to, unchanged (headers and body), e.g. http://localhost:5000/webhooks.",
            HelpName = "url",
            Required = true,
        };
        var path = new Option<string>("--path")
        {
            Description = "Forward only deliveries to this path (the path of the subscription's ptth:// URL); others are answered 404. Default: any path.",
            HelpName = "/path",
        };
        var connections = new Option<int>("--connections", "-c")
        {
            Description = "How many reversed connections to keep open: deliveries handled in parallel (1 to 64).",
            HelpName = "n",
            DefaultValueFactory = _ => 2,
        };
        connections.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
            {
                r.AddError("--connections must be 1 to 64.");
            }
        });
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds the local app may take to answer before the producer is answered 504.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 10,
        };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 300)
            {
                r.AddError("--timeout must be 1 to 300 seconds.");
            }
        });
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line (deliveries and connection changes) instead of text." };
        var command = new Command("listen", "Receive a ptth:// subscription's deliveries on this machine (no public address needed): verify each, forward it to " +
            "--forward unchanged, answer the producer with the local app's status (401 if it does not verify, 502 if the app is down). Runs until Ctrl+C (exit 130).")
        {
            producer, subscription, secret, forward, path, connections, timeout, json,
        };
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var settings = new ListenSettings(
                ProducerUrl(result.GetValue(producer)!),
                SubscriptionId(result.GetValue(subscription)!),
                Inputs.Secrets(result.GetValue(secret) is { } given ? [given] : null, console)[0],
                ForwardUrl(result.GetValue(forward)!))
            {
                Path = PathValue(result.GetValue(path)),
                Connections = result.GetValue(connections),
                Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                Json = result.GetValue(json),
            };
            // Ctrl+C (SIGINT) and SIGTERM stop it cleanly: connections closed, a last line printed, then exit 130 or 143.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var exitCode = ExitCodes.Interrupted;
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop(stop, () => exitCode = ExitCodes.Interrupted));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop(stop, () => exitCode = ExitCodes.Terminated));
            await using var app = ListenRelay.Build(settings, console);
            var output = app.Services.GetRequiredService<ListenOutput>();
            await app.StartAsync(CancellationToken.None).ConfigureAwait(false);
            output.Listening(DateTimeOffset.UtcNow, settings);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            // Ctrl+C: stop dialling, close every reversed connection (the producer sees them end at once) and stop.
            // What is still open after 1 s is aborted.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await app.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            output.Stopped(DateTimeOffset.UtcNow);
            return exitCode;
        });
        return command;
    }

    private static Action<PosixSignalContext> Stop(CancellationTokenSource stop, Action setExitCode) => context =>
    {
        context.Cancel = true; // not the runtime's default (ending the process at once): the command ends itself
        setExitCode();
        stop.Cancel();
    };

    internal static Uri ProducerUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliFailure(ExitCodes.Usage, "<producer> must be an absolute http:// or https:// URL.");
        }
        return url.AbsolutePath == "/" && url.Query.Length == 0 ? new Uri(url, DefaultUpgradePath) : url;
    }

    private static Uri ForwardUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
            ? url
            : throw new CliFailure(ExitCodes.Usage, "--forward must be an absolute http:// or https:// URL.");

    private static string SubscriptionId(string value) =>
        value.Length is > 0 and <= 256 && !value.Any(c => c is <= ' ' or > '~')
            ? value
            : throw new CliFailure(ExitCodes.Usage, "--subscription must be 1 to 256 printable ASCII characters without spaces.");

    private static string? PathValue(string? value) => value switch
    {
        null => null,
        ['/', ..] when !value.Any(c => c is <= ' ' or > '~' or '?' or '#') => value,
        _ => throw new CliFailure(ExitCodes.Usage, "--path must start with / and hold no query (e.g. /webhooks)."),
    };
}
