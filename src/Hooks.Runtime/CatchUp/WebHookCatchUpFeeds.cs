using System.Threading.Channels;
using Hooks.Hosting;
using Hooks.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Hooks.CatchUp;

/// <summary>An <c>AddCatchUp</c> call: the name of its options.</summary>
internal sealed record WebHookCatchUpRegistration(string OptionsName);

/// <summary>How a poll of one feed ended.</summary>
internal enum WebHookCatchUpOutcome
{
    /// <summary>A read reached the head with every event settled (or passed as permanently unprocessable).</summary>
    InSync,

    /// <summary>An event failed transiently (its handler threw, or another delivery holds it): the poll stopped there.</summary>
    Stalled,

    /// <summary>The producer could not be reached, refused, or answered outside the format.</summary>
    Failed,
}

/// <summary>One feed's settings and what the poller knows of it (shared by the poller, the push observer and the health check).</summary>
internal sealed class WebHookCatchUpFeed
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _highestKnown = -1;
    private long _lastInSyncTicks = -1;
    private long _permanentlySkipped;
    private long _expired;

    public WebHookCatchUpFeed(WebHookCatchUpOptions options, WebHookSecret secret, int maxBodyBytes, DateTimeOffset startedAt)
    {
        Options = options;
        Secret = secret;
        MaxBodyBytes = maxBodyBytes;
        StartedAt = startedAt;
    }

    public WebHookCatchUpOptions Options { get; }

    public string ReceiverName => Options.ReceiverName;

    public string SubscriptionId => Options.SubscriptionId!;

    public WebHookSecret Secret { get; }

    public int MaxBodyBytes { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When a read last reached the head with everything settled; <c>null</c> before the first time.</summary>
    public DateTimeOffset? LastInSync
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastInSyncTicks);
            return ticks < 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        set => Interlocked.Exchange(ref _lastInSyncTicks, value?.UtcTicks ?? -1);
    }

    /// <summary>The stored cursor as the poller last saw it.</summary>
    public long? Cursor { get; set; }

    /// <summary>The last poll's error, in words safe to log; <c>null</c> after a good poll.</summary>
    public string? LastError { get; set; }

    /// <summary>Events passed over because they can never be processed (malformed, not fitting, unknown type).</summary>
    public long PermanentlySkipped => Interlocked.Read(ref _permanentlySkipped);

    /// <summary>How often the cursor was older than the producer's retention (events were lost).</summary>
    public long Expired => Interlocked.Read(ref _expired);

    public void CountPermanentlySkipped() => Interlocked.Increment(ref _permanentlySkipped);

    public void CountExpired() => Interlocked.Increment(ref _expired);

    /// <summary>Raised after each poll (tests wait on it).</summary>
    internal event Action<WebHookCatchUpFeed, WebHookCatchUpOutcome>? Polled;

    /// <summary>How the last poll ended; <c>null</c> before the first.</summary>
    public WebHookCatchUpOutcome? LastOutcome { get; private set; }

    internal void OnPolled(WebHookCatchUpOutcome outcome)
    {
        LastOutcome = outcome;
        Polled?.Invoke(this, outcome);
    }

    /// <summary>The highest sequence a poll read or a push carried; <c>-1</c> until the first poll.</summary>
    public long HighestKnown => Interlocked.Read(ref _highestKnown);

    /// <summary>Records the head a poll read up to.</summary>
    public void Known(long sequence)
    {
        var known = Interlocked.Read(ref _highestKnown);
        while (sequence > known)
        {
            var seen = Interlocked.CompareExchange(ref _highestKnown, sequence, known);
            if (seen == known)
            {
                return;
            }
            known = seen;
        }
    }

    /// <summary>A verified push carried <paramref name="sequence"/>: a number past the next one expected means one is missing, so poll now.</summary>
    public void Pushed(long sequence)
    {
        var known = Interlocked.Read(ref _highestKnown);
        while (true)
        {
            if (known < 0 || sequence <= known)
            {
                return; // before the first poll (which reads everything anyway), or nothing new
            }
            var seen = Interlocked.CompareExchange(ref _highestKnown, sequence, known);
            if (seen == known)
            {
                break;
            }
            known = seen;
        }
        if (sequence > known + 1)
        {
            Wake();
        }
    }

    /// <summary>Asks the poller to read now (coalesced: one pending wake-up at most).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Waits <paramref name="delay"/>, or less when woken (if <paramref name="wakeable"/>); a pending wake-up is consumed.</summary>
    public async Task WaitAsync(TimeSpan delay, bool wakeable, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, time, cts.Token);
        if (wakeable)
        {
            var woken = _wake.Reader.WaitToReadAsync(cts.Token).AsTask();
            await Task.WhenAny(timer, woken).ConfigureAwait(false);
        }
        else
        {
            await Task.WhenAny(timer).ConfigureAwait(false);
        }
        cts.Cancel();
        cancellationToken.ThrowIfCancellationRequested();
        _wake.Reader.TryRead(out _);
    }
}

/// <summary>
/// Every feed the app catches up from, by receiver: built once from the <c>AddCatchUp</c> registrations, and told of
/// each verified push so a gap in <c>webhook-sequence</c> wakes the feed's poller at once.
/// </summary>
internal sealed class WebHookCatchUpFeeds
{
    private readonly Dictionary<string, WebHookCatchUpFeed[]> _byReceiver;

    public WebHookCatchUpFeeds(IEnumerable<WebHookCatchUpRegistration> registrations, IOptionsMonitor<WebHookCatchUpOptions> options,
        IOptionsMonitor<WebHookReceiverOptions> receivers, IEnumerable<Receiving.WebHookReceiverName> receiverNames, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var names = receiverNames.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var feeds = new List<WebHookCatchUpFeed>();
        foreach (var registration in registrations)
        {
            var o = options.Get(registration.OptionsName);
            if (!names.Contains(o.ReceiverName))
            {
                throw new InvalidOperationException(
                    $"AddCatchUp names the receiver '{o.ReceiverName}', which is not configured: add it with services.AddWebHooks().AddReceiver(\"{o.ReceiverName}\", o => …) (or AddReceiver(…) for \"default\").");
            }
            if (feeds.Any(f => f.ReceiverName == o.ReceiverName && f.SubscriptionId == o.SubscriptionId))
            {
                throw new InvalidOperationException(
                    $"AddCatchUp was called twice for receiver '{o.ReceiverName}' and subscription '{o.SubscriptionId}': each feed is read by one poller.");
            }
            feeds.Add(new WebHookCatchUpFeed(o, WebHookSecret.Parse(o.Secret), receivers.Get(o.ReceiverName).MaxBodyBytes, now));
        }
        All = feeds;
        _byReceiver = feeds.GroupBy(f => f.ReceiverName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public IReadOnlyList<WebHookCatchUpFeed> All { get; }

    /// <summary>
    /// A push to <paramref name="receiverName"/> passed its signature check. Its <c>webhook-subscription</c> header
    /// (sent by Hooks producers with each push) names the feed; without it, a receiver reading a single feed takes the
    /// push as that feed's.
    /// </summary>
    public void Pushed(string receiverName, IHeaderDictionary headers)
    {
        if (!_byReceiver.TryGetValue(receiverName, out var feeds))
        {
            return;
        }
        var sequenceText = headers[WebHookHeaders.Sequence];
        if (sequenceText.Count != 1 || !long.TryParse(sequenceText[0], System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var sequence) || sequence < 1)
        {
            return;
        }
        var subscription = headers[WebHookRequestSigner.SubscriptionHeader];
        WebHookCatchUpFeed? feed = null;
        if (subscription.Count == 1)
        {
            foreach (var candidate in feeds)
            {
                if (string.Equals(candidate.SubscriptionId, subscription[0], StringComparison.Ordinal))
                {
                    feed = candidate;
                    break;
                }
            }
        }
        else if (subscription.Count == 0 && feeds.Length == 1)
        {
            feed = feeds[0];
        }
        feed?.Pushed(sequence);
    }
}
