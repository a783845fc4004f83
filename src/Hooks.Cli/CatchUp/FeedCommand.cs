using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Hooks.Cli.Output;
using Hooks.Cli.Signing;
using Hooks.Security;

namespace Hooks.Cli.CatchUp;

/// <summary>
/// <c>hooks feed</c>: reads a subscription's event feed from its producer (docs/catch-up.md), signed with the
/// subscription's secret: what was sent, in sequence order, from a cursor or a time; with <c>--follow</c>, keeps reading
/// as new events arrive.
/// </summary>
internal static class FeedCommand
{
    /// <summary>Where a producer URL with no path is assumed to map its feed (<c>MapWebHookFeed()</c>'s default).</summary>
    public const string DefaultFeedPath = "/webhooks/feed";

    /// <summary>The largest page read: 1000 events of 1 MiB would be more, but a page that large is refused, not cut.</summary>
    private const int MaxPageBytes = 64 * 1024 * 1024;

    public static Command Create(CliConsole console)
    {
        var url = new Option<string>("--url", "-u")
        {
            Description = $"The producer's feed, https://producer.example{DefaultFeedPath} (a URL with no path gets {DefaultFeedPath}).",
            HelpName = "url",
            Required = true,
        };
        var subscription = new Option<string>("--subscription")
        {
            Description = "The id of the subscription whose events to read.",
            HelpName = "id",
            Required = true,
        };
        var secret = new Option<string>("--secret", "-s")
        {
            Description = $"One of the subscription's whsec_… secrets: signs the request, never sent. Default: ${Inputs.SecretVariable}.",
            HelpName = "whsec_…",
        };
        var after = new Option<long?>("--after")
        {
            Description = "Read the events after this sequence number (a page's 'next'). Default: from the oldest event the producer keeps.",
            HelpName = "sequence",
        };
        after.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 0)
            {
                r.AddError("--after must be zero or more.");
            }
        });
        var since = new Option<string>("--since")
        {
            Description = "Read from the first event at or after this time: ISO 8601 (2026-11-30T06:00:00Z) or a duration ago (30m, 2h, 7d).",
            HelpName = "time",
        };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "Events per page, 1 to 1000.",
            HelpName = "n",
            DefaultValueFactory = _ => 100,
        };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                r.AddError("--limit must be 1 to 1000.");
            }
        });
        var undelivered = new Option<bool>("--undelivered") { Description = "Only events not delivered successfully (failed, pending, or skipped while disabled)." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep reading: print new events as they arrive, until Ctrl+C (exit 130)." };
        var interval = new Option<int>("--interval")
        {
            Description = "With --follow: seconds to wait at the head before reading again.",
            HelpName = "seconds",
            DefaultValueFactory = _ => 5,
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 3600)
            {
                r.AddError("--interval must be 1 to 3600 seconds.");
            }
        });
        var json = SigningOptions.Json();
        json.Description = "Print each page exactly as the producer sent it (one JSON object per line), bodies byte for byte.";
        var command = new Command("feed", "Read a subscription's events from its producer's feed, in sequence order: what was sent, also what a " +
            "consumer missed. Signed with the subscription's secret. Prints the next cursor to resume from (--after).")
        {
            url, subscription, secret, after, since, limit, undelivered, follow, interval, json,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(after) is not null && r.GetResult(since) is not null)
            {
                r.AddError("Give --after or --since, not both.");
            }
        });
        command.SetCliAction(console, async (result, cancellationToken) =>
        {
            var feed = FeedUrl(result.GetValue(url)!);
            var subscriptionId = result.GetValue(subscription)!;
            var key = Inputs.Secrets(result.GetValue(secret) is { } s ? [s] : null, console)[0];
            var sinceText = result.GetValue(since);
            string? sinceIso = sinceText is null ? null : Inputs.Iso(Inputs.Time(sinceText, "--since", TimeProvider.System));
            var cursor = result.GetValue(after);
            var pageSize = result.GetValue(limit);
            var onlyUndelivered = result.GetValue(undelivered);
            var asJson = result.GetValue(json);
            var following = result.GetValue(follow);
            var wait = TimeSpan.FromSeconds(result.GetValue(interval));

            using var http = Http.CreateClient(TimeSpan.FromSeconds(60));
            var first = true;
            while (true)
            {
                var query = new List<string>();
                if (cursor is { } c) query.Add("after=" + c.ToString(CultureInfo.InvariantCulture));
                else if (sinceIso is not null) query.Add("since=" + Uri.EscapeDataString(sinceIso));
                query.Add("limit=" + pageSize.ToString(CultureInfo.InvariantCulture));
                if (onlyUndelivered) query.Add("undelivered=true");
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(feed, feed.AbsolutePath + "?" + string.Join('&', query)));
                request.Headers.Accept.ParseAdd("application/json");
                WebHookRequestSigner.Sign(request, subscriptionId, key, default, DateTimeOffset.UtcNow);
                using var response = await Http.SendAsync(http, request, cancellationToken).ConfigureAwait(false);
                var answer = await HttpAnswer.ReadAsync(response, MaxPageBytes, cancellationToken).ConfigureAwait(false);
                if (!answer.IsSuccess)
                {
                    await console.Error.WriteLineAsync($"error: the feed answered {answer.StatusLine}").ConfigureAwait(false);
                    foreach (var line in answer.Describe())
                    {
                        await console.Error.WriteLineAsync("  " + line).ConfigureAwait(false);
                    }
                    return ExitCodes.ApiError;
                }
                if (answer.Truncated || !answer.IsJson)
                {
                    throw new CliFailure(ExitCodes.ApiError, answer.Truncated
                        ? $"the feed's page is larger than {MaxPageBytes / (1024 * 1024)} MiB; read with a smaller --limit."
                        : "the feed answered with something other than JSON.");
                }
                var (next, atHead, count) = await PrintAsync(console, answer.Body, asJson, first).ConfigureAwait(false);
                first = false;
                cursor = next;
                sinceIso = null;
                if (!following)
                {
                    if (!asJson)
                    {
                        await console.Out.WriteLineAsync(atHead
                            ? $"next: {next} (at the head: nothing newer yet)"
                            : $"next: {next} (more: run again with --after {next})").ConfigureAwait(false);
                    }
                    return ExitCodes.Ok;
                }
                if (atHead || count == 0)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    internal static Uri FeedUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new CliFailure(ExitCodes.Usage, "--url must be an absolute http(s) URL without a query, such as https://producer.example/webhooks/feed.");
        }
        return uri.AbsolutePath is "/" or "" ? new Uri(uri, DefaultFeedPath) : uri;
    }

    /// <summary>Prints a page; returns its cursor, whether it reached the head, and how many events it had.</summary>
    private static async Task<(long Next, bool AtHead, int Count)> PrintAsync(CliConsole console, byte[] page, bool asJson, bool header)
    {
        long next;
        bool atHead;
        int count;
        try
        {
            using var document = JsonDocument.Parse(page);
            var root = document.RootElement;
            next = root.GetProperty("next").GetInt64();
            atHead = root.GetProperty("atHead").GetBoolean();
            var events = root.GetProperty("events");
            count = events.GetArrayLength();
            if (!asJson)
            {
                var table = new TextTable("SEQUENCE", "ID", "TYPE", "TIMESTAMP", "STATUS");
                foreach (var e in events.EnumerateArray())
                {
                    table.Add(e.GetProperty("sequence").GetInt64().ToString(CultureInfo.InvariantCulture), e.GetProperty("id").GetString() ?? "",
                        e.GetProperty("type").GetString() ?? "", Inputs.Show(e.GetProperty("timestamp").GetDateTimeOffset()),
                        e.TryGetProperty("status", out var status) ? status.GetString() ?? "" : "");
                }
                if (count > 0)
                {
                    await table.WriteAsync(console.Out).ConfigureAwait(false);
                }
                else if (header)
                {
                    await console.Out.WriteLineAsync("No events.").ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CliFailure(ExitCodes.ApiError, "the feed's answer is not a feed page (events, next, atHead).");
        }
        if (asJson)
        {
            // The page as sent (one line, as a Hooks producer writes it): bodies stay the bytes the producer delivered.
            await console.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(page)).ConfigureAwait(false);
        }
        return (next, atHead, count);
    }
}
