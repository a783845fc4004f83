using System.CommandLine;
using Hooks.Cli.Output;
using Hooks.Security;

namespace Hooks.Cli.Signing;

/// <summary><c>hooks secret new</c>: a fresh secret from the runtime's generator.</summary>
internal static class SecretCommand
{
    public static Command Create(CliConsole console)
    {
        var json = SigningOptions.Json();
        var create = new Command("new", $"Print a new random whsec_… secret ({WebHookSecret.GeneratedKeyBytes} bytes). Give it to a subscription with --secret, or to a receiver.")
        {
            json,
        };
        create.SetCliAction(console, async (result, _) =>
        {
            var secret = WebHookSecret.Generate().Reveal();
            if (result.GetValue(json))
            {
                await JsonOutput.WriteAsync(console, w => { w.WriteStartObject(); w.WriteString("secret", secret); w.WriteEndObject(); }).ConfigureAwait(false);
            }
            else
            {
                await console.Out.WriteLineAsync(secret).ConfigureAwait(false);
            }
            return ExitCodes.Ok;
        });
        return new Command("secret", "Make signing secrets.") { create };
    }
}
