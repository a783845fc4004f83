using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hooks.Hosting;
using Hooks.Publishing;
using Hooks.Security;
using Hooks.Subscriptions;
using Microsoft.Data.Sqlite;

namespace Hooks.Samples.PhotoChain;

/// <summary>A subscription of the story: who receives which user's events from which producer.</summary>
public sealed record ChainSubscription(string Subscriber, ChainApp Producer, string User, string EventType, string Id);

/// <summary>
/// The essay's photo chain: Photos (two users, photo.uploaded) → Microblog, whose handler publishes post.created →
/// Lifestream, Kevin's filter, Laptop (Reverse HTTP) and the Offline reader (catch-up from the event feed). Every app is a real ASP.NET Core app in this process, on
/// 127.0.0.1 with a port the OS assigns (Laptop has none), with its SQLite file in one temporary folder.
/// </summary>
public sealed class Chain : IAsyncDisposable
{
    /// <summary>Photos' users; each is a tenant at Photos and at Microblog.</summary>
    public static readonly IReadOnlyList<string> Users = ["alice", "bob"];

    /// <summary>What the story uploads, in order: whose photo, and its description.</summary>
    public static readonly IReadOnlyList<(string User, string Description)> Uploads =
    [
        ("alice", "Kevin and me at the lake"),
        ("bob", "Kevin's birthday cake"),
        ("alice", "Sunset over the harbour"),
    ];

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(15);
    private readonly List<ChainApp> _apps = [];
    private readonly List<ChainSubscription> _subscriptions = [];
    private readonly List<(string User, string MessageId)> _photos = [];
    private readonly Deploying _deploying = new();
    private readonly bool _ownsFolder;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Inbox _readerInbox = new();
    private readonly HashSet<string> _missedPhotos = new(StringComparer.Ordinal);
    private WebHookSecret _readerSecret = null!;
    private ChainSubscription _reader = null!;
    private int _readerPort;
    private RefusingPort? _readerDown;

    private Chain(string folder, bool ownsFolder, Timeline timeline)
    {
        Folder = folder;
        _ownsFolder = ownsFolder;
        Timeline = timeline;
        MailboxPath = Path.Combine(folder, "kevin-mailbox.txt");
    }

    /// <summary>The story's lines.</summary>
    public Timeline Timeline { get; }

    /// <summary>The run's folder: SQLite files, Data Protection keys, Kevin's mailbox.</summary>
    public string Folder { get; }

    /// <summary>The file Kevin's filter forwards to.</summary>
    public string MailboxPath { get; }

    /// <summary>The producer of photo.uploaded.</summary>
    public ChainApp Photos { get; private set; } = null!;

    /// <summary>Consumer of photo.uploaded and producer of post.created.</summary>
    public ChainApp Microblog { get; private set; } = null!;

    /// <summary>Consumer of every user's post.created.</summary>
    public ChainApp Lifestream { get; private set; } = null!;

    /// <summary>alice's little script: forwards her posts that mention Kevin.</summary>
    public ChainApp KevinFilter { get; private set; } = null!;

    /// <summary>alice's laptop: receives her posts over Reverse HTTP, with no listening port.</summary>
    public ChainApp Laptop { get; private set; } = null!;

    /// <summary>alice's offline reader: down while some of her posts are published, it catches up from Microblog's feed.</summary>
    public ChainApp OfflineReader { get; private set; } = null!;

    /// <summary>Every subscription the story made.</summary>
    public IReadOnlyList<ChainSubscription> Subscriptions => _subscriptions;

    /// <summary>Starts the apps and subscribes them to each other through the producers' management APIs.</summary>
    /// <param name="output">Where the timeline is printed.</param>
    /// <param name="folder">Where the apps keep their files; a new temporary folder (deleted on dispose) when <c>null</c>.</param>
    /// <param name="cancellationToken">Stops waiting for the Laptop's connection.</param>
    public static async Task<Chain> StartAsync(TextWriter output, string? folder = null, CancellationToken cancellationToken = default)
    {
        var chain = new Chain(folder ?? Directory.CreateTempSubdirectory("hooks-photochain-").FullName, folder is null, new Timeline(output));
        try
        {
            await chain.SetUpAsync(cancellationToken);
            return chain;
        }
        catch
        {
            await chain.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync(CancellationToken cancellationToken)
    {
        Timeline.Write($"Starting the apps (SQLite files in {Folder}):");
        // Each consumer holds its own secret and hands it to the producer when it subscribes, so the producer's
        // signed challenge (intent verification) is answered at once and the subscription starts enabled.
        var microblogSecret = WebHookSecret.Generate();
        var lifestreamSecret = WebHookSecret.Generate();
        var kevinSecret = WebHookSecret.Generate();
        var laptopSecret = WebHookSecret.Generate();

        Photos = await StartAppAsync("Photos", (builder, hooks) =>
        {
            hooks.AddProducer(LoopbackOnly);
            ChainApp.RemoveGeneratedHandlers(builder.Services);   // Photos handles nothing
            builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ChainJson.Default));
        }, MapPhotos);
        Microblog = await StartAppAsync("Microblog", (builder, hooks) =>
        {
            hooks.AddProducer(o =>
            {
                LoopbackOnly(o);
                // The second attempt comes after 30 s rather than 5 s, so in this story the Offline reader's catch-up
                // always comes before the retry of the push it missed (the retry then finds a duplicate). Either order
                // handles the post once; a fixed order keeps the timeline the same on every run.
                o.RetrySchedule[1] = TimeSpan.FromSeconds(30);
            }).AddReceiver(o => o.Secrets.Add(microblogSecret.Reveal()));
            ChainApp.KeepOnlyHandler<PhotoUploaded, MicroblogPhotoHandler>(builder.Services);
        }, app =>
        {
            app.MapWebHooks();                 // photo.uploaded from Photos
            app.MapReverseHttp();              // POST /webhooks/ptth: Laptop dials in here
            app.MapWebHookFeed();              // GET /webhooks/feed: the Offline reader catches up here
            MapManagementApi(app);             // post.created subscriptions, per user
        });
        Lifestream = await StartAppAsync("Lifestream", (builder, hooks) =>
        {
            hooks.AddReceiver(o => o.Secrets.Add(lifestreamSecret.Reveal()));
            ChainApp.KeepOnlyHandler<PostCreated, LifestreamHandler>(builder.Services);
        }, app =>
        {
            app.Use(async (context, next) =>
            {
                if (HttpMethods.IsPost(context.Request.Method) && _deploying.TryTrip())
                {
                    Timeline.Add("Lifestream", $"x  503 to {context.Request.Headers["webhook-id"]} attempt {context.Request.Headers["webhook-attempt"]} " +
                        "(deploying; Retry-After: 1)");
                    context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    context.Response.Headers.RetryAfter = "1";
                    return;
                }
                await next(context);
            });
            app.MapWebHooks();
        });
        KevinFilter = await StartAppAsync("Kevin's filter", (builder, hooks) =>
        {
            hooks.AddReceiver(o => o.Secrets.Add(kevinSecret.Reveal()));
            ChainApp.KeepOnlyHandler<PostCreated, KevinFilterHandler>(builder.Services);
            builder.Services.AddSingleton(new Mailbox(MailboxPath));
        }, app => app.MapWebHooks());
        foreach (var app in _apps)
        {
            Timeline.Add(app.Name, $"listening on {app.Address}");
        }

        Timeline.Write("");
        Timeline.Write("Subscribing (management APIs; each URL answers a signed challenge before it gets events):");
        foreach (var user in Users)
        {
            await SubscribeAsync("Microblog", Photos, user, "photo.uploaded", new Uri(Microblog.Address!, "/webhooks"), microblogSecret);
        }
        foreach (var user in Users)
        {
            await SubscribeAsync("Lifestream", Microblog, user, "post.created", new Uri(Lifestream.Address!, "/webhooks"), lifestreamSecret);
        }
        await SubscribeAsync("Kevin's filter", Microblog, "alice", "post.created", new Uri(KevinFilter.Address!, "/webhooks"), kevinSecret);

        // Laptop: a ptth:// URL names no host; the subscription waits (pending) until Laptop dials in and answers the
        // challenge over its own connection.
        var laptop = await SubscribeAsync("Laptop", Microblog, "alice", "post.created", new Uri("ptth://alices-laptop/webhooks"), laptopSecret);
        var dialled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Laptop = await StartAppAsync("Laptop", (builder, hooks) =>
        {
            builder.WebHost.UseReverseHttp(o =>
            {
                o.ProducerUrl = new Uri(Microblog.Address!, "/webhooks/ptth");
                o.SubscriptionId = laptop.Id;
                o.Secret = laptopSecret.Reveal();   // signs the upgrade request; never sent
            });
            hooks.AddReceiver(o => o.Secrets.Add(laptopSecret.Reveal()));
            ChainApp.KeepOnlyHandler<PostCreated, LaptopHandler>(builder.Services);
        }, app =>
        {
            // The first request down the reversed connection (a ping or the challenge) says it is open.
            app.Use((context, next) =>
            {
                dialled.TrySetResult();
                return next(context);
            });
            app.MapWebHooks();
        }, listen: false);
        await dialled.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        using (var verified = await _http.PostAsync(SubscriptionUri(laptop, "/verify"), null, cancellationToken))
        {
            var status = await ReadStatusAsync(verified, cancellationToken);
            Timeline.Add("Laptop", $"dialled {Microblog.Name} (no listening port); {laptop.Id} is {status}");
            if (status != "enabled")
            {
                throw new InvalidOperationException($"Laptop's subscription stayed {status}.");
            }
        }

        // Offline reader: its subscription names its address, and its catch-up poller names the subscription, so the
        // port comes first (held, refusing, while nothing listens), then the subscription (pending: its challenge was
        // refused), then the app, which answers the challenge when asked again.
        _readerSecret = WebHookSecret.Generate();
        await using (var port = RefusingPort.Hold(0))
        {
            _readerPort = port.Port;
            _reader = await SubscribeAsync("Offline reader", Microblog, "alice", "post.created", new Uri($"http://127.0.0.1:{_readerPort}/webhooks"),
                _readerSecret);
        }
        OfflineReader = await StartOfflineReaderAsync();
        using (var verified = await _http.PostAsync(SubscriptionUri(_reader, "/verify"), null, cancellationToken))
        {
            var status = await ReadStatusAsync(verified, cancellationToken);
            Timeline.Add("Offline reader", $"listening on {OfflineReader.Address}, catching up from {Microblog.Name}'s feed; {_reader.Id} is {status}");
            if (status != "enabled")
            {
                throw new InvalidOperationException($"The Offline reader's subscription stayed {status}.");
            }
        }
    }

    /// <summary>The Offline reader's app: a receiver with a catch-up poller on Microblog's feed, on its own port and SQLite file.</summary>
    private Task<ChainApp> StartOfflineReaderAsync() => StartAppAsync("Offline reader", (builder, hooks) =>
    {
        hooks.AddReceiver(o => o.Secrets.Add(_readerSecret.Reveal()))
            .AddCatchUp(o =>
            {
                o.FeedUrl = new Uri(Microblog.Address!, "/webhooks/feed");
                o.SubscriptionId = _reader.Id;
                o.Secret = _readerSecret.Reveal();   // signs the feed requests; never sent
            });
        ChainApp.KeepOnlyHandler<PostCreated, OfflineReaderHandler>(builder.Services);
    }, app => app.MapWebHooks(), port: _readerPort, inbox: _readerInbox);

    /// <summary>
    /// The Offline reader goes down once it has what was pushed so far: its app stops and its port refuses connections.
    /// </summary>
    private async Task TakeOfflineReaderDownAsync(int pushedSoFar, CancellationToken cancellationToken)
    {
        await _readerInbox.WaitForAsync(pushedSoFar, cancellationToken);
        _apps.Remove(OfflineReader);
        await OfflineReader.DisposeAsync();
        _readerDown = RefusingPort.Hold(_readerPort);
        Timeline.Add("Offline reader", "x  goes offline (its app stops; its port refuses connections)");
    }

    /// <summary>
    /// Once Microblog has published every post and tried (and failed) to push the ones the reader missed, the reader
    /// comes back on its address; its catch-up poller reads Microblog's feed at start.
    /// </summary>
    private async Task BringOfflineReaderBackAsync(int missed, CancellationToken cancellationToken)
    {
        await Microblog.Inbox.WaitForAsync(Uploads.Count, cancellationToken);
        await _readerDown!.WaitForRefusedAsync(missed, cancellationToken);
        Timeline.Add("Offline reader", $"x  refused {missed} push(es) from Microblog while offline (Microblog retries later)");
        await _readerDown.DisposeAsync();
        _readerDown = null;
        OfflineReader = await StartOfflineReaderAsync();
        Timeline.Add("Offline reader", $"is back on {OfflineReader.Address}; its catch-up poller reads {Microblog.Name}'s feed from its cursor");
    }

    /// <summary>
    /// Plays the story: three uploads, each chained through Microblog to its subscribers, Lifestream refusing one
    /// delivery once. Waits for every handler (signals, not sleeps), then checks the apps' own records.
    /// </summary>
    public async Task<ChainReport> PlayAsync(CancellationToken cancellationToken)
    {
        Timeline.Write("");
        Timeline.Write("The story:");
        _deploying.Arm();   // Lifestream's next delivery is answered 503 once
        for (var i = 0; i < Uploads.Count; i++)
        {
            var (user, description) = Uploads[i];
            if (i == OfflineFromUpload)
            {
                await TakeOfflineReaderDownAsync(Uploads.Take(i).Count(u => u.User == "alice"), cancellationToken);
            }
            var messageId = await UploadAsync(user, description, cancellationToken);
            if (i >= OfflineFromUpload && user == "alice")
            {
                _missedPhotos.Add(messageId);
            }
        }
        await BringOfflineReaderBackAsync(_missedPhotos.Count, cancellationToken);

        var alicePosts = Uploads.Count(u => u.User == "alice");
        var waits = new[]
        {
            Microblog.Inbox.WaitForAsync(Uploads.Count, cancellationToken),
            Lifestream.Inbox.WaitForAsync(Uploads.Count, cancellationToken),
            KevinFilter.Inbox.WaitForAsync(alicePosts, cancellationToken),
            Laptop.Inbox.WaitForAsync(alicePosts, cancellationToken),
            _readerInbox.WaitForAsync(alicePosts, cancellationToken),
        };
        var settled = true;
        try
        {
            await Task.WhenAll(waits);
        }
        catch (OperationCanceledException)
        {
            settled = false;
            Timeline.Write("  (timed out waiting for the handlers; the summary says what is missing)");
        }
        return await CheckAsync(settled);
    }

    /// <summary>The Offline reader is down from this upload (the second) to the end of the uploads.</summary>
    public const int OfflineFromUpload = 1;

    private async Task<string> UploadAsync(string user, string description, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(Photos.Address!, $"/users/{user}/photos"), new Upload(description),
            ChainJson.Default.Upload, cancellationToken);
        response.EnsureSuccessStatusCode();
        var uploaded = await response.Content.ReadFromJsonAsync(ChainJson.Default.Uploaded, cancellationToken);
        _photos.Add((user, uploaded!.MessageId));
        return uploaded.MessageId;
    }

    /// <summary>Checks, from the apps' own records, that every event reached every subscriber exactly once.</summary>
    /// <param name="settle">Whether to wait for the attempt logs to record what the handlers did (not after a timeout).</param>
    private async Task<ChainReport> CheckAsync(bool settle)
    {
        var cancellationToken = CancellationToken.None;
        var checks = new List<ChainCheck>();

        // Photos' attempt log, through its management API: each user's subscription got that user's photos only.
        var photoDeliveries = new List<string>();
        foreach (var subscription in _subscriptions.Where(s => s.Producer == Photos))
        {
            var deliveries = await ReadSettledDeliveriesAsync(subscription, settle);
            var expected = _photos.Where(p => p.User == subscription.User).Select(p => p.MessageId).Order(StringComparer.Ordinal).ToList();
            var got = deliveries.Where(d => d.Status == "succeeded").Select(d => d.MessageId).Order(StringComparer.Ordinal).ToList();
            checks.Add(new($"Photos delivered {subscription.User}'s {expected.Count} photo(s) to {subscription.User}'s subscription and nothing else (tenants)",
                expected.SequenceEqual(got) && deliveries.Count == expected.Count));
            photoDeliveries.AddRange(got);
        }

        // Each handler's own inbox: every expected message exactly once, nothing else.
        var handledPhotos = Microblog.Inbox.Messages;
        checks.Add(ExactlyOnce("Microblog", "photo.uploaded", Microblog.Inbox, _photos.Select(p => p.MessageId)));
        var posts = handledPhotos.Where(m => m.Produced is not null).Select(m => (User: m.Tenant, MessageId: m.Produced!)).ToList();
        var alices = posts.Where(p => p.User == "alice").Select(p => p.MessageId).ToList();
        checks.Add(ExactlyOnce("Lifestream", "post.created", Lifestream.Inbox, posts.Select(p => p.MessageId)));
        checks.Add(ExactlyOnce("Kevin's filter", "post.created (alice's)", KevinFilter.Inbox, alices));
        checks.Add(ExactlyOnce("Laptop", "post.created (alice's)", Laptop.Inbox, alices));
        checks.Add(new("Laptop received every post over its reversed connection",
            Laptop.Inbox.Messages.Count > 0 && Laptop.Inbox.Messages.All(m => m.Source == WebHookSource.Reversed)));
        var kevinPosts = Uploads.Count(u => u.User == "alice" && u.Description.Contains("Kevin", StringComparison.Ordinal));
        var mailbox = File.Exists(MailboxPath) ? await File.ReadAllLinesAsync(MailboxPath, cancellationToken) : [];
        checks.Add(new($"Kevin's filter forwarded {kevinPosts} post(s) mentioning Kevin to its mailbox and ignored the rest",
            mailbox.Length == kevinPosts && mailbox.All(l => l.Contains("Kevin", StringComparison.Ordinal))));

        // Microblog's attempt log: every delivery succeeded; exactly one needed a second attempt, after a 503.
        var retried = new List<string>();
        var postDeliveries = 0;
        var allSucceeded = true;
        foreach (var subscription in _subscriptions.Where(s => s.Producer == Microblog && s != _reader))
        {
            foreach (var delivery in await ReadSettledDeliveriesAsync(subscription, settle))
            {
                postDeliveries++;
                allSucceeded &= delivery.Status == "succeeded";
                if (delivery.Attempts > 1)
                {
                    var statuses = await ReadAttemptStatusesAsync(subscription, delivery.Id, cancellationToken);
                    retried.Add($"{subscription.Subscriber}: {delivery.MessageId} attempts {string.Join(", ", statuses)}");
                    allSucceeded &= statuses is [503, >= 200 and < 300];
                }
            }
        }
        var expectedPostDeliveries = posts.Count + 2 * alices.Count;   // Lifestream every post; Kevin's filter and Laptop alice's (the reader below)
        checks.Add(new($"Microblog's attempt log: {postDeliveries} of {expectedPostDeliveries} deliveries succeeded; " +
            $"retried: {(retried.Count == 0 ? "none" : string.Join("; ", retried))}",
            allSucceeded && postDeliveries == expectedPostDeliveries && retried.Count == 1));

        // Offline reader: alice's posts exactly once, the ones published while it was down through the feed (CatchUp),
        // the others pushed; Microblog's attempt log shows the pushes it missed failing, their retries still to come.
        var missed = handledPhotos.Where(m => _missedPhotos.Contains(m.MessageId)).Select(m => m.Produced!).ToHashSet(StringComparer.Ordinal);
        var reader = _readerInbox.Messages;
        checks.Add(ExactlyOnce("Offline reader", "post.created (alice's)", _readerInbox, alices));
        checks.Add(new($"Offline reader caught up through Microblog's feed: the {missed.Count} post(s) published while it was down came by catch-up, " +
            $"the other {alices.Count - missed.Count} by push",
            missed.Count > 0 && reader.All(m => m.Source == (missed.Contains(m.MessageId) ? WebHookSource.CatchUp : WebHookSource.Push))));
        var readerDeliveries = await ReadSettledDeliveriesAsync(_reader, settle,
            rows => rows.All(r => missed.Contains(r.MessageId) ? r.Attempts >= 1 : r.Status != "pending"));
        var failedWhileDown = 0;
        var pushed = 0;
        foreach (var delivery in readerDeliveries)
        {
            if (missed.Contains(delivery.MessageId))
            {
                var statuses = await ReadAttemptStatusesAsync(_reader, delivery.Id, cancellationToken);
                failedWhileDown += statuses is [0, ..] ? 1 : 0;   // no response: the connection was refused
            }
            else
            {
                pushed += delivery.Status == "succeeded" ? 1 : 0;
            }
        }
        checks.Add(new($"Microblog's attempt log for the Offline reader: {pushed} push(es) succeeded, {failedWhileDown} failed while it was down " +
            "(no response; the retry will find a duplicate)",
            readerDeliveries.Count == alices.Count && pushed == alices.Count - missed.Count && failedWhileDown == missed.Count));

        var report = new ChainReport(checks);
        Timeline.Write("");
        Timeline.Write("Summary (from the apps' own records: handlers' inboxes, the producers' attempt logs):");
        foreach (var check in checks)
        {
            Timeline.Write($"  {(check.Passed ? "ok     " : "FAILED ")} {check.Description}");
        }
        Timeline.Write(report.Passed
            ? "Every event reached every subscriber exactly once."
            : "Some events did not reach their subscribers exactly once (see FAILED above).");
        return report;
    }

    private static ChainCheck ExactlyOnce(string app, string what, Inbox inbox, IEnumerable<string> expected)
    {
        var wanted = expected.ToHashSet(StringComparer.Ordinal);
        var counts = inbox.Messages.GroupBy(m => m.MessageId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var once = wanted.Count(id => counts.GetValueOrDefault(id) == 1);
        var extra = counts.Where(c => !wanted.Contains(c.Key) || c.Value > 1).Sum(c => wanted.Contains(c.Key) ? c.Value - 1 : c.Value);
        return new($"{app} handled {once} of {wanted.Count} {what}, each once{(extra > 0 ? $"; {extra} unexpected" : "")}",
            once == wanted.Count && extra == 0 && wanted.Count > 0);
    }

    /// <summary>
    /// Completes when any app of the chain starts stopping: each host stops on Ctrl+C (SIGINT) and SIGTERM, so this is
    /// how <c>--serve</c> learns it is time to go.
    /// </summary>
    public Task WaitForShutdownAsync()
    {
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var app in _apps)
        {
            app.App.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
        }
        return stopping.Task;
    }

    /// <summary>Prints where the apps listen and commands to try, for <c>--serve</c>.</summary>
    public void PrintServeHelp()
    {
        var alice = _subscriptions.First(s => s.Subscriber == "Lifestream" && s.User == "alice");
        var api = new Uri(Microblog.Address!, "/users/alice/webhooks");
        Timeline.Write("");
        Timeline.Write("Serving until Ctrl+C. The apps:");
        foreach (var app in _apps)
        {
            Timeline.Write($"  {app.Name,-15}{(app.Address is null ? "no listening port (Reverse HTTP to Microblog)" : app.Address.ToString())}");
        }
        Timeline.Write("");
        Timeline.Write("Upload another photo (it travels the whole chain; the timeline goes on below):");
        Timeline.Write($"  curl -X POST {Photos.Address}users/alice/photos -H 'Content-Type: application/json' -d '{{\"description\":\"Kevin again\"}}'");
        Timeline.Write("alice's subscriptions at Microblog, their deliveries and attempts (management API; no auth in this sample):");
        Timeline.Write($"  curl {api}/subscriptions");
        Timeline.Write($"  curl {api}/subscriptions/{alice.Id}/deliveries");
        Timeline.Write($"  curl {api}/event-types");
        Timeline.Write("The same with the hooks CLI (dotnet pack src/Hooks.Cli, see docs/cli.md):");
        Timeline.Write($"  export HOOKS_API_URL={api}");
        Timeline.Write("  hooks subscriptions list");
        Timeline.Write($"  hooks deliveries {alice.Id}");
        Timeline.Write($"  hooks attempts {alice.Id} <delivery id>");
        Timeline.Write($"  hooks subscriptions test {alice.Id}");
        // The secret goes to a file in the run's folder, not to the console.
        var secretFile = Path.Combine(Folder, "offline-reader.secret");
        File.WriteAllText(secretFile, _readerSecret.Reveal());
        Timeline.Write("The Offline reader's event feed at Microblog, as its catch-up poller reads it (signed with its secret):");
        Timeline.Write($"  HOOKS_SECRET=$(cat {secretFile}) hooks feed --url {new Uri(Microblog.Address!, "/webhooks/feed")} --subscription {_reader.Id}");
        Timeline.Write($"Kevin's mailbox: {MailboxPath}");
    }

    private async Task<ChainApp> StartAppAsync(string name, Action<WebApplicationBuilder, WebHooksBuilder> configure, Action<WebApplication> map,
        bool listen = true, int port = 0, Inbox? inbox = null)
    {
        var app = await ChainApp.StartAsync(name, Folder, Timeline, configure, map, listen, port, inbox);
        _apps.Add(app);
        return app;
    }

    /// <summary>The samples deliver on this machine: plain http and loopback only (a real producer leaves both off).</summary>
    private static void LoopbackOnly(WebHookProducerOptions options)
    {
        options.AllowHttp = true;
        options.AllowedNetworks.Add(IPNetwork.Parse("127.0.0.0/8"));
    }

    /// <summary>
    /// Each user's subscriptions, under /users/{user}/webhooks (a real app takes the user from its sign-in and checks
    /// the caller may act for them: <c>WebHookTenantResolver.FromClaim</c>).
    /// </summary>
    private static void MapManagementApi(WebApplication app) =>
        app.MapWebHookSubscriptions("/users/{user}/webhooks", WebHookTenantResolver.FromRouteValue("user"));

    private void MapPhotos(WebApplication app)
    {
        MapManagementApi(app);
        var next = 0;
        app.MapPost("/users/{user}/photos", async (string user, Upload upload, HttpContext http, IWebHookPublisher publisher) =>
        {
            if (!Users.Contains(user))
            {
                return Results.Problem(statusCode: 404, title: "No such user.");
            }
            if (upload.Description is not { Length: > 0 and <= 280 })
            {
                return Results.Problem(statusCode: 400, title: "A description of 1 to 280 characters is required.");
            }
            var id = $"photo_{Interlocked.Increment(ref next)}";
            var url = $"{http.Request.Scheme}://{http.Request.Host}/photos/{id}";
            var published = await publisher.PublishAsync(new PhotoUploaded(id, user, upload.Description, url), new WebHookTenant(user), http.RequestAborted);
            Timeline.Add("Photos", $"{user} uploads \"{upload.Description}\" -> photo.uploaded {published.MessageId} " +
                $"(to {published.Deliveries} of {user}'s subscriptions)");
            return Results.Json(new Uploaded(id, published.MessageId, published.Deliveries), ChainJson.Default.Uploaded, statusCode: 201);
        });
        app.MapGet("/photos/{id}", (string id) => Results.Text($"The photo {id} (imagine it).\n"));
    }

    private async Task<ChainSubscription> SubscribeAsync(string subscriber, ChainApp producer, string user, string eventType, Uri url,
        WebHookSecret secret)
    {
        var request = new SubscriptionRequest(url.ToString(), [eventType], secret.Reveal(), $"{subscriber} ({user})");
        using var response = await _http.PostAsJsonAsync(new Uri(producer.Address!, $"/users/{user}/webhooks/subscriptions"), request,
            ChainJson.Default.SubscriptionRequest);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"{producer.Name} refused {subscriber}'s subscription: {(int)response.StatusCode} {body}");
        }
        using var json = JsonDocument.Parse(body);
        var subscription = new ChainSubscription(subscriber, producer, user, eventType, json.RootElement.GetProperty("id").GetString()!);
        _subscriptions.Add(subscription);
        Timeline.Add(subscriber, $"subscribes to {user}'s {eventType} at {producer.Name}: {subscription.Id} {url} " +
            $"{json.RootElement.GetProperty("status").GetString()}");
        return subscription;
    }

    private Uri SubscriptionUri(ChainSubscription subscription, string rest = "") =>
        new(subscription.Producer.Address!, $"/users/{subscription.User}/webhooks/subscriptions/{subscription.Id}{rest}");

    private static async Task<string?> ReadStatusAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return json.RootElement.TryGetProperty("status", out var status) ? status.GetString() : $"{(int)response.StatusCode}";
    }

    private sealed record DeliveryRow(long Id, string MessageId, string Status, int Attempts);

    /// <summary>
    /// A subscription's deliveries from its producer's management API. A producer records an attempt's outcome just
    /// after the consumer answered (in batches) and announces it nowhere, so the handler having run does not mean the
    /// log says so yet: read again until <paramref name="settled"/> (by default: nothing is pending), for at most <see cref="SettleTimeout"/>.
    /// </summary>
    private async Task<List<DeliveryRow>> ReadSettledDeliveriesAsync(ChainSubscription subscription, bool settle,
        Func<List<DeliveryRow>, bool>? settled = null)
    {
        settled ??= rows => rows.All(r => r.Status != "pending");
        var cancellationToken = CancellationToken.None;
        var deadline = DateTime.UtcNow + (settle ? SettleTimeout : TimeSpan.Zero);
        while (true)
        {
            using var json = JsonDocument.Parse(await _http.GetStringAsync(SubscriptionUri(subscription, "/deliveries?limit=200"), cancellationToken));
            var rows = json.RootElement.GetProperty("data").EnumerateArray().Select(d => new DeliveryRow(d.GetProperty("id").GetInt64(),
                d.GetProperty("messageId").GetString()!, d.GetProperty("status").GetString()!, d.GetProperty("attempts").GetInt32())).ToList();
            if (settled(rows) || DateTime.UtcNow > deadline)
            {
                return rows;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private async Task<List<int>> ReadAttemptStatusesAsync(ChainSubscription subscription, long deliveryId, CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await _http.GetStringAsync(SubscriptionUri(subscription, $"/deliveries/{deliveryId}/attempts"), cancellationToken));
        return [.. json.RootElement.GetProperty("data").EnumerateArray()
            .OrderBy(a => a.GetProperty("number").GetInt32())
            .Select(a => a.TryGetProperty("statusCode", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0)];
    }

    /// <summary>Stops the apps (the Laptop first, then consumers, then producers) and deletes a temporary folder.</summary>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_readerDown is not null)
        {
            await _readerDown.DisposeAsync();
        }
        foreach (var app in Enumerable.Reverse(_apps))
        {
            await app.DisposeAsync();
        }
        _apps.Clear();
        if (_ownsFolder)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(Folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temporary-file cleanup.
            }
        }
    }
}

/// <summary>One line of the summary.</summary>
public sealed record ChainCheck(string Description, bool Passed);

/// <summary>The summary: every check and whether all passed.</summary>
public sealed record ChainReport(IReadOnlyList<ChainCheck> Checks)
{
    /// <summary>Every event reached every subscriber exactly once.</summary>
    public bool Passed => Checks.Count > 0 && Checks.All(c => c.Passed);
}
