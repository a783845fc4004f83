using System.CommandLine;
using System.Globalization;

namespace Hooks.Cli.Signing;

/// <summary>Options the signing commands share (and <c>listen</c>/<c>feed</c> will: a subscription's secret).</summary>
internal static class SigningOptions
{
    public static Option<string[]> Secret(bool several) => new("--secret", "-s")
    {
        Description = several
            ? $"A whsec_… signing secret; repeat it to sign or check with several (rotation). Default: ${Inputs.SecretVariable}."
            : $"The whsec_… signing secret. Default: ${Inputs.SecretVariable}.",
        HelpName = "whsec_…",
        Arity = several ? ArgumentArity.OneOrMore : ArgumentArity.ExactlyOne,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts instead of text." };

    public static Option<string> Id()
    {
        var id = new Option<string>("--id") { Description = "The webhook-id. Default: a new msg_… id.", HelpName = "id" };
        id.Validators.Add(r =>
        {
            // What receivers accept (and what a header can carry): 1 to 256 printable ASCII characters, no spaces.
            if (r.GetValueOrDefault<string>() is { } value && (value.Length is 0 or > 256 || value.Any(c => c is <= ' ' or > '~')))
            {
                r.AddError("--id must be 1 to 256 printable ASCII characters without spaces.");
            }
        });
        return id;
    }

    public static Option<long?> Timestamp() => new("--timestamp")
    {
        Description = "The webhook-timestamp in Unix seconds. Default: now.",
        HelpName = "unix-seconds",
    };

    /// <summary>A new message id: <c>msg_</c> and a UUIDv7 (time-sortable, as the runtime's ids are).</summary>
    public static string NewId() => "msg_" + Guid.CreateVersion7().ToString("N");

    public static string Seconds(long value) => value.ToString(CultureInfo.InvariantCulture);
}
