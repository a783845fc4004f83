using System.CommandLine;
using Hooks.Cli.Output;
using Hooks.Security;

namespace Hooks.Cli.Signing;

/// <summary><c>hooks sign</c>: the three Standard Webhooks headers for a body.</summary>
internal static class SignCommand
{
    public static Command Create(CliConsole console)
    {
        var secret = SigningOptions.Secret(several: true);
        var body = new Option<string>("--body", "-b")
        {
            Description = "The body: @file to read a file, - for stdin, or the text itself. Default: stdin. Signed byte for byte.",
            HelpName = "@file|-|text",
        };
        var id = SigningOptions.Id();
        var timestamp = SigningOptions.Timestamp();
        var json = SigningOptions.Json();
        var command = new Command("sign", "Sign a body and print its webhook-id, webhook-timestamp and webhook-signature headers (one per line, as curl -H takes them).")
        {
            secret, body, id, timestamp, json,
        };
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var secrets = Inputs.Secrets(result.GetValue(secret), console);
            var bytes = await Inputs.ReadBodyAsync(result.GetValue(body), console, "--body", stdinByDefault: true, cancellationToken).ConfigureAwait(false);
            var messageId = result.GetValue(id) ?? SigningOptions.NewId();
            var seconds = result.GetValue(timestamp) ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            string signature;
            try
            {
                signature = WebHookSigner.Sign(secrets, messageId, seconds, bytes);
            }
            catch (ArgumentException ex)
            {
                // The id's length or a negative timestamp; the message names the rule, not a secret.
                throw new CliFailure(ExitCodes.Usage, ex.Message);
            }
            if (result.GetValue(json))
            {
                await JsonOutput.WriteAsync(console, w =>
                {
                    w.WriteStartObject();
                    w.WriteString(WebHookHeaders.Id, messageId);
                    w.WriteString(WebHookHeaders.Timestamp, SigningOptions.Seconds(seconds));
                    w.WriteString(WebHookHeaders.Signature, signature);
                    w.WriteEndObject();
                }).ConfigureAwait(false);
            }
            else
            {
                await console.Out.WriteLineAsync($"{WebHookHeaders.Id}: {messageId}").ConfigureAwait(false);
                await console.Out.WriteLineAsync($"{WebHookHeaders.Timestamp}: {SigningOptions.Seconds(seconds)}").ConfigureAwait(false);
                await console.Out.WriteLineAsync($"{WebHookHeaders.Signature}: {signature}").ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
