using System.Text.Json;
using System.Text.RegularExpressions;
using Hooks.Samples.PhotoChain;
using Hooks.Samples.Tests.Infrastructure;
using Hooks.Security;
using Xunit.Abstractions;

namespace Hooks.Samples.Tests;

/// <summary>
/// The README's main command: the photo chain, run in process (so the apps' own records can be inspected) and as the
/// built program a user runs.
/// </summary>
public sealed class PhotoChainTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_event_reaches_every_subscriber_exactly_once_and_the_timeline_tells_each_step()
    {
        var printed = new StringWriter();
        await using var chain = await Chain.StartAsync(TextWriter.Synchronized(printed));
        using var timeout = new CancellationTokenSource(Timeout);

        var report = await chain.PlayAsync(timeout.Token);
        output.WriteLine(printed.ToString());

        Assert.True(report.Passed, string.Join("\n", report.Checks.Where(c => !c.Passed).Select(c => c.Description)));

        // The apps' own records, read here rather than through the summary.
        var photos = chain.Microblog.Inbox.Messages;
        var uploads = chain.Timeline.Lines.Where(l => l.Contains(" uploads \"", StringComparison.Ordinal)).ToList();
        string alicesPhotoAfter(int index) => uploads.Skip(index).Where(l => l.Contains("alice uploads", StringComparison.Ordinal))
            .Select(l => Regex.Match(l, @"photo\.uploaded (msg_\w+)").Groups[1].Value).Single();
        Assert.Equal(Chain.Uploads.Count, photos.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(Chain.Uploads.Count, photos.Count);
        Assert.All(photos, m => Assert.Equal("photo.uploaded", m.EventType));
        var posts = photos.Select(m => m.Produced!).ToList();
        var alices = photos.Where(m => m.Tenant == "alice").Select(m => m.Produced!).ToList();
        Assert.Equal(2, alices.Count);
        AssertExactlyOnce(posts, chain.Lifestream.Inbox);
        AssertExactlyOnce(alices, chain.KevinFilter.Inbox);   // bob's post mentions Kevin too, but is not alice's
        AssertExactlyOnce(alices, chain.Laptop.Inbox);
        Assert.All(chain.Laptop.Inbox.Messages, m => Assert.Equal(WebHookSource.Reversed, m.Source));
        // The Offline reader was down from the second upload on: alice's later post came through the feed, once; her
        // first was pushed (and was a duplicate in the feed, which ran no handler).
        AssertExactlyOnce(alices, chain.OfflineReader.Inbox);
        var missed = Assert.Single(photos, m => m.Tenant == "alice" && m.MessageId == alicesPhotoAfter(Chain.OfflineFromUpload)).Produced!;
        Assert.All(chain.OfflineReader.Inbox.Messages, m => Assert.Equal(m.MessageId == missed ? WebHookSource.CatchUp : WebHookSource.Push, m.Source));
        Assert.All(chain.Lifestream.Inbox.Messages.Concat(chain.KevinFilter.Inbox.Messages).Concat(photos),
            m => Assert.Equal(WebHookSource.Push, m.Source));
        // The delivery Lifestream refused with 503 was handled once, on the producer's second attempt.
        Assert.Single(chain.Lifestream.Inbox.Messages, m => m.Attempt == 2);
        Assert.Equal(["alice: Kevin and me at the lake"], File.ReadAllLines(chain.MailboxPath).Select(l => l[..l.IndexOf(" http", StringComparison.Ordinal)]));

        var timeline = string.Join("\n", chain.Timeline.Lines);
        foreach (var step in new[]
        {
            "alice uploads \"Kevin and me at the lake\" -> photo.uploaded msg_",
            "bob uploads \"Kevin's birthday cake\" -> photo.uploaded msg_",
            "<- photo.uploaded msg_",
            "-> post.created msg_",
            "x  503 to msg_",
            "push, attempt 2, signature verified; added to ", // whichever post reached Lifestream first: the order of two users' posts is not fixed
            "mentions Kevin: forwarded to kevin-mailbox.txt",
            "no Kevin: ignored",
            "Laptop         <- post.created msg_",
            "reversed, attempt 1",
            "Offline reader x  goes offline (its app stops; its port refuses connections)",
            "Offline reader x  refused 1 push(es) from Microblog while offline",
            "Offline reader is back on http://127.0.0.1:",
            $"Offline reader <- post.created {missed} from Microblog: catch-up, read from Microblog's feed",
            "Every event reached every subscriber exactly once.",
        })
        {
            Assert.Contains(step, timeline, StringComparison.Ordinal);
        }
        Assert.Equal(1, Regex.Count(timeline, "catch-up, read from"));
    }

    [Fact]
    public async Task Summary_fails_when_a_subscriber_misses_its_posts()
    {
        var printed = new StringWriter();
        await using var chain = await Chain.StartAsync(TextWriter.Synchronized(printed));
        await chain.Laptop.App.StopAsync();   // the laptop goes away: alice's posts cannot reach it
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var report = await chain.PlayAsync(timeout.Token);
        output.WriteLine(printed.ToString());

        Assert.False(report.Passed);
        Assert.Contains(report.Checks, c => !c.Passed && c.Description.StartsWith("Laptop handled 0 of 2", StringComparison.Ordinal));
        Assert.Contains("Some events did not reach their subscribers exactly once", printed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_program_plays_the_story_and_exits_0()
    {
        await using var program = SampleProcess.StartSample("Hooks.Samples.PhotoChain", output);

        Assert.Equal(0, await program.WaitForExitAsync());
        Assert.Contains("Every event reached every subscriber exactly once.", program.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", program.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_keeps_the_apps_running_its_commands_work_and_it_stops_cleanly_on_sigterm()
    {
        await using var program = SampleProcess.StartSample("Hooks.Samples.PhotoChain", output, arguments: "--serve");
        var curl = await program.WaitForLineAsync(l => l.TrimStart().StartsWith("curl -X POST http://127.0.0.1:", StringComparison.Ordinal));
        await program.WaitForLineAsync(l => l.StartsWith("Kevin's mailbox:", StringComparison.Ordinal));
        Assert.Contains("Every event reached every subscriber exactly once.", program.Output, StringComparison.Ordinal);
        Assert.Contains("export HOOKS_API_URL=http://127.0.0.1:", program.Output, StringComparison.Ordinal);

        // The printed command, sent as curl would send it.
        var url = curl.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        using var client = new HttpClient { Timeout = Timeout };
        using var content = new StringContent("{\"description\":\"Kevin again\"}", System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(url), content);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);

        // The printed management API command lists alice's subscriptions at Microblog: Lifestream, Kevin's filter, Laptop,
        // the Offline reader.
        var list = program.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("curl http://", StringComparison.Ordinal) &&
            l.EndsWith("/users/alice/webhooks/subscriptions", StringComparison.Ordinal));
        using (var subscriptions = JsonDocument.Parse(await client.GetStringAsync(new Uri(list["curl ".Length..]))))
        {
            Assert.Equal(["Kevin's filter (alice)", "Laptop (alice)", "Lifestream (alice)", "Offline reader (alice)"], subscriptions.RootElement.GetProperty("data").EnumerateArray()
                .Select(d => d.GetProperty("description").GetString()!).Order(StringComparer.Ordinal));
        }

        // The subscribers handle it in any order.
        bool kevin = false, laptop = false, reader = false, published = false;
        await program.WaitForLineAsync(l =>
        {
            kevin |= l.StartsWith("  Kevin's filter <- post.created", StringComparison.Ordinal) && l.Contains("forwarded", StringComparison.Ordinal);
            laptop |= l.StartsWith("  Laptop         <- post.created", StringComparison.Ordinal) && l.Contains("reversed", StringComparison.Ordinal);
            reader |= l.StartsWith("  Offline reader <- post.created", StringComparison.Ordinal) && l.Contains("push", StringComparison.Ordinal);   // online again
            published |= l.StartsWith("  Microblog      -> post.created", StringComparison.Ordinal) && l.Contains("\"Kevin again\"", StringComparison.Ordinal);
            return kevin && laptop && reader && published;
        });

        // The printed feed command's URL, subscription and secret file read the Offline reader's feed, signed as the
        // hooks CLI signs it: alice's three posts, the new one included once Microblog has published it.
        var feed = Regex.Match(program.Output, @"HOOKS_SECRET=\$\(cat (\S+)\) hooks feed --url (\S+) --subscription (sub_\w+)");
        Assert.True(feed.Success, "no hooks feed command");
        var secret = WebHookSecret.Parse(await File.ReadAllTextAsync(feed.Groups[1].Value));
        using (var read = new HttpRequestMessage(HttpMethod.Get, feed.Groups[2].Value))
        {
            WebHookRequestSigner.Sign(read, feed.Groups[3].Value, secret, [], DateTimeOffset.UtcNow);
            using var page = await client.SendAsync(read);
            Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
            using var events = JsonDocument.Parse(await page.Content.ReadAsStringAsync());
            Assert.Equal(3, events.RootElement.GetProperty("events").GetArrayLength());
        }

        // SIGTERM (a service manager's stop, or Ctrl+C's SIGINT): the apps stop, the run's folder goes, exit 0.
        var folder = Regex.Match(program.Output, @"SQLite files in (\S+)\):").Groups[1].Value;
        Assert.True(Directory.Exists(folder), folder);
        await program.SignalAsync("TERM");
        Assert.Equal(0, await program.WaitForExitAsync());
        Assert.False(Directory.Exists(folder), $"{folder} is left behind.");
    }

    private static void AssertExactlyOnce(IEnumerable<string> expected, Inbox inbox) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal), inbox.Messages.Select(m => m.MessageId).Order(StringComparer.Ordinal));
}
