using System.CommandLine;
using Hooks.Cli.Output;
using Hooks.Security;

namespace Hooks.Cli.Signing;

/// <summary><c>hooks verify</c>: checks a body against its headers and says exactly why it fails.</summary>
internal static class VerifyCommand
{
    public static Command Create(CliConsole console)
    {
        var secret = SigningOptions.Secret(several: true);
        var body = new Option<string>("--body", "-b")
        {
            Description = "The body as received: @file, - for stdin, or the text itself. Default: stdin. Checked byte for byte.",
            HelpName = "@file|-|text",
        };
        var id = new Option<string>("--id") { Description = "The webhook-id header.", HelpName = "id" };
        var timestamp = new Option<string>("--timestamp") { Description = "The webhook-timestamp header.", HelpName = "unix-seconds" };
        var signature = new Option<string>("--signature") { Description = "The webhook-signature header (v1,… entries, space-separated).", HelpName = "v1,…" };
        var headers = new Option<string[]>("--header", "-H")
        {
            Description = "A header as 'name: value' (webhook-* or svix-*), as hooks sign prints them and curl -H takes them. Repeatable.",
            HelpName = "name: value",
            Arity = ArgumentArity.OneOrMore,
        };
        var tolerance = new Option<int>("--tolerance")
        {
            Description = "How far the timestamp may be from now, either way, in seconds.",
            HelpName = "seconds",
            DefaultValueFactory = _ => (int)WebHookVerifier.DefaultTolerance.TotalSeconds,
        };
        tolerance.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 0)
            {
                r.AddError("--tolerance must not be negative.");
            }
        });
        var json = SigningOptions.Json();
        var command = new Command("verify", "Verify a body against its webhook-* headers and say exactly why it fails (exit 0 valid, 1 not). Never prints the secret.")
        {
            secret, body, id, timestamp, signature, headers, tolerance, json,
        };
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var secrets = Inputs.Secrets(result.GetValue(secret), console);
            string? idValue = result.GetValue(id), timestampValue = result.GetValue(timestamp), signatureValue = result.GetValue(signature);
            foreach (var header in result.GetValue(headers) ?? [])
            {
                var colon = header.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    throw new CliFailure(ExitCodes.Usage, "--header must look like 'name: value'.");
                }
                var value = header[(colon + 1)..].Trim();
                switch (header[..colon].Trim().ToLowerInvariant())
                {
                    case WebHookHeaders.Id or WebHookHeaders.SvixId: idValue ??= value; break;
                    case WebHookHeaders.Timestamp or WebHookHeaders.SvixTimestamp: timestampValue ??= value; break;
                    case WebHookHeaders.Signature or WebHookHeaders.SvixSignature: signatureValue ??= value; break;
                    default: break; // Other headers (content-type, webhook-attempt, …) play no part in the signature.
                }
            }
            var bytes = await Inputs.ReadBodyAsync(result.GetValue(body), console, "--body", stdinByDefault: true, cancellationToken).ConfigureAwait(false);
            var verifier = new WebHookVerifier(secrets, TimeProvider.System, TimeSpan.FromSeconds(result.GetValue(tolerance)));
            var outcome = verifier.Verify(idValue, timestampValue, signatureValue, bytes);
            var explanation = Explain(outcome, verifier.Tolerance, signatureValue, secrets.Length, DateTimeOffset.UtcNow);
            if (result.GetValue(json))
            {
                await JsonOutput.WriteAsync(console, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("valid", outcome.IsValid);
                    w.WriteString("status", System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(outcome.Status.ToString()));
                    if (outcome.Header != WebHookVerificationHeader.None)
                    {
                        w.WriteString("header", HeaderName(outcome.Header));
                    }
                    w.WriteString("reason", explanation);
                    if (outcome.UnixTimestamp is { } seconds)
                    {
                        w.WriteNumber("ageSeconds", DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds);
                    }
                    w.WriteEndObject();
                }).ConfigureAwait(false);
            }
            else
            {
                await console.Out.WriteLineAsync((outcome.IsValid ? "valid: " : "invalid: ") + explanation).ConfigureAwait(false);
            }
            return outcome.IsValid ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    /// <summary>The runtime's sentence plus what a person needs to fix it; no header value or secret in it.</summary>
    internal static string Explain(WebHookVerificationResult outcome, TimeSpan tolerance, string? signature, int secretCount, DateTimeOffset now)
    {
        var limit = $"{(long)tolerance.TotalSeconds} s";
        var age = outcome.UnixTimestamp is { } seconds ? now.ToUnixTimeSeconds() - seconds : 0;
        return outcome.Status switch
        {
            WebHookVerificationStatus.Valid => $"the signature matches and the timestamp is {Duration(Math.Abs(age))} {(age >= 0 ? "old" : "ahead")} (tolerance {limit}).",
            WebHookVerificationStatus.MissingHeader =>
                $"{outcome.Describe()} Pass it with {Flag(outcome.Header)} or -H '{HeaderName(outcome.Header)}: …'.",
            WebHookVerificationStatus.MalformedHeader => outcome.Header switch
            {
                WebHookVerificationHeader.Id => $"{outcome.Describe()} An id is 1 to 256 printable ASCII characters without spaces.",
                WebHookVerificationHeader.Timestamp => $"{outcome.Describe()} It must be Unix seconds: digits only.",
                _ => $"{outcome.Describe()} It is longer than {WebHookVerifier.MaxSignatureHeaderLength} characters.",
            },
            WebHookVerificationStatus.TimestampTooOld =>
                $"{outcome.Describe()} It is {Duration(age)} old and the tolerance is {limit}: a replayed or long-delayed request, or a clock that is off.",
            WebHookVerificationStatus.TimestampTooNew =>
                $"{outcome.Describe()} It is {Duration(-age)} ahead and the tolerance is {limit}: the sender's clock (or this machine's) is off.",
            WebHookVerificationStatus.NoMatchingSignature => NoMatch(outcome, signature, secretCount),
            _ => outcome.Describe(),
        };
    }

    private static string NoMatch(WebHookVerificationResult outcome, string? signature, int secretCount)
    {
        var entries = 0;
        var v1 = 0;
        foreach (var entry in (signature ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            entries++;
            if (entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                v1++;
            }
        }
        var secrets = secretCount == 1 ? "the secret given" : $"any of the {secretCount} secrets given";
        return v1 == 0
            ? $"{outcome.Describe()} The header has {entries} entr{(entries == 1 ? "y" : "ies")} and none is a v1 (HMAC-SHA256) signature."
            : $"{outcome.Describe()} None of its {v1} v1 signature{(v1 == 1 ? "" : "s")} matches {secrets}: the body, id or timestamp differ from what was signed (even by one byte, such as a reformatted body or a trailing newline), or it was signed with another secret.";
    }

    private static string HeaderName(WebHookVerificationHeader header) => header switch
    {
        WebHookVerificationHeader.Id => WebHookHeaders.Id,
        WebHookVerificationHeader.Timestamp => WebHookHeaders.Timestamp,
        _ => WebHookHeaders.Signature,
    };

    private static string Flag(WebHookVerificationHeader header) => header switch
    {
        WebHookVerificationHeader.Id => "--id",
        WebHookVerificationHeader.Timestamp => "--timestamp",
        _ => "--signature",
    };

    private static string Duration(long seconds)
    {
        var span = TimeSpan.FromSeconds(seconds);
        return span.TotalDays >= 1 ? $"{(long)span.TotalDays} d {span.Hours} h"
            : span.TotalHours >= 1 ? $"{(long)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{(long)span.TotalMinutes} min {span.Seconds} s"
            : $"{seconds} s";
    }
}
