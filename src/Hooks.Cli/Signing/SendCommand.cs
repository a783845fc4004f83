using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Hooks.Cli.Output;
using Hooks.Security;

namespace Hooks.Cli.Signing;

/// <summary><c>hooks send</c>: one signed Standard Webhooks request, and the receiver's answer.</summary>
internal static class SendCommand
{
    /// <summary>The most bytes of the receiver's answer kept to show.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    public static Command Create(CliConsole console)
    {
        var url = new Argument<Uri>("url")
        {
            Description = "The receiver's URL, such as http://localhost:5000/webhooks.",
            CustomParser = r => Uri.TryCreate(r.Tokens[0].Value, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps)
                ? u
                : Fail<Uri>(r, "The URL must be an absolute http or https URL."),
        };
        var secret = SigningOptions.Secret(several: true);
        var type = new Option<string>("--type", "-t") { Description = "The event type, such as order.created.", Required = true, HelpName = "event type" };
        var data = new Option<string>("--data", "-d")
        {
            Description = "The event's data as JSON: the text itself, @file, or - for stdin. Default: {}.",
            HelpName = "json|@file|-",
        };
        var id = SigningOptions.Id();
        var timestamp = SigningOptions.Timestamp();
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds to wait for the answer.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 30,
        };
        timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 600)
            {
                r.AddError("--timeout must be 1 to 600 seconds.");
            }
        });
        var json = SigningOptions.Json();
        var command = new Command("send", "Send one signed webhook to a URL and print the answer (exit 0 for 2xx, 1 for a refusal, 4 when unreachable).")
        {
            url, secret, type, data, id, timestamp, timeout, json,
        };
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var target = result.GetRequiredValue(url);
            var secrets = Inputs.Secrets(result.GetValue(secret), console);
            var dataBytes = result.GetValue(data) is { } given
                ? await Inputs.ReadBodyAsync(given, console, "--data", stdinByDefault: false, cancellationToken).ConfigureAwait(false)
                : "{}"u8.ToArray();
            var now = DateTimeOffset.UtcNow;
            var messageId = result.GetValue(id) ?? SigningOptions.NewId();
            var seconds = result.GetValue(timestamp) ?? now.ToUnixTimeSeconds();
            var body = Envelope(result.GetRequiredValue(type), now, dataBytes);
            string signature;
            try
            {
                signature = WebHookSigner.Sign(secrets, messageId, seconds, body);
            }
            catch (ArgumentException ex)
            {
                throw new CliFailure(ExitCodes.Usage, ex.Message);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation(WebHookHeaders.Id, messageId);
            request.Headers.TryAddWithoutValidation(WebHookHeaders.Timestamp, SigningOptions.Seconds(seconds));
            request.Headers.TryAddWithoutValidation(WebHookHeaders.Signature, signature);
            request.Headers.UserAgent.ParseAdd("hooks-cli/" + typeof(SendCommand).Assembly.GetName().Version?.ToString(3));

            using var client = Http.CreateClient(TimeSpan.FromSeconds(result.GetValue(timeout)));
            var watch = Stopwatch.StartNew();
            using var response = await Http.SendAsync(client, request, cancellationToken).ConfigureAwait(false);
            var answer = await HttpAnswer.ReadAsync(response, MaxAnswerBytes, cancellationToken).ConfigureAwait(false);
            var elapsed = watch.Elapsed;

            if (result.GetValue(json))
            {
                await JsonOutput.WriteAsync(console, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("id", messageId);
                    w.WriteNumber("timestamp", seconds);
                    w.WriteNumber("status", (int)answer.Status);
                    w.WriteBoolean("accepted", answer.IsSuccess);
                    w.WriteNumber("durationMs", Math.Round(elapsed.TotalMilliseconds, 1));
                    if (answer.Location is { } location)
                    {
                        w.WriteString("location", location.OriginalString);
                    }
                    if (answer.Body.Length > 0)
                    {
                        w.WritePropertyName("body");
                        if (answer.IsJson && !answer.Truncated && IsJson(answer.Body))
                        {
                            w.WriteRawValue(answer.Body, skipInputValidation: true);
                        }
                        else
                        {
                            w.WriteStringValue(System.Text.Encoding.UTF8.GetString(answer.Body));
                        }
                    }
                    w.WriteEndObject();
                }).ConfigureAwait(false);
            }
            else
            {
                await console.Out.WriteLineAsync(
                    $"{(answer.IsSuccess ? "accepted" : "refused")}: {answer.StatusLine} in {elapsed.TotalMilliseconds:0} ms ({WebHookHeaders.Id} {messageId})").ConfigureAwait(false);
                if (answer.Location is { } location)
                {
                    await console.Out.WriteLineAsync($"  Location: {location.OriginalString} (not followed)").ConfigureAwait(false);
                }
                foreach (var line in answer.Describe())
                {
                    await console.Out.WriteLineAsync("  " + line).ConfigureAwait(false);
                }
            }
            return answer.IsSuccess ? ExitCodes.Ok : ExitCodes.Refused;
        });
        return command;
    }

    /// <summary>The Standard Webhooks envelope with the data copied as given (after checking it is one JSON value).</summary>
    internal static byte[] Envelope(string type, DateTimeOffset timestamp, byte[] data)
    {
        if (!IsJson(data))
        {
            throw new CliFailure(ExitCodes.Usage, "--data is not valid JSON.");
        }
        using var buffer = new MemoryStream(data.Length + 96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("timestamp", Inputs.Iso(timestamp));
            writer.WritePropertyName("data");
            writer.WriteRawValue(data, skipInputValidation: false);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static bool IsJson(byte[] utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static T Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
