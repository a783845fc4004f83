using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hooks.Receiving;

/// <summary>Why a receiver refused a request (the answers a sender can cause, not a handler's failure).</summary>
internal enum RefusalReason
{
    NotJson,
    TooLarge,
    RepeatedHeader,
    MissingHeader,
    MalformedHeader,
    TimestampTooOld,
    TimestampTooNew,
    NoMatchingSignature,
    MalformedBody,
    PayloadDoesNotFit,
}

/// <summary>
/// Logs one receiver's refusals so that a flood of bad requests cannot flood the logs: each refusal is one Debug
/// line (they are also counted on the <c>hooks.receiver.requests</c> meter), and the refusals of a burst are
/// summarised in one Warning, counted by reason, a minute after the first of them. The next refusal opens the next
/// minute, so there is at most one Warning a minute per receiver, and none while nothing is refused.
/// </summary>
internal sealed partial class ReceiverRefusals : IDisposable
{
    /// <summary>How long refusals are gathered before they are summarised.</summary>
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);

    private static readonly RefusalReason[] Reasons = Enum.GetValues<RefusalReason>();
    private static readonly int[] Statuses = [.. Reasons.Select(StatusOf)];
    private static readonly string[] Texts = [.. Reasons.Select(Describe)];

    private readonly string _receiver;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly int[] _counts = new int[Reasons.Length];
    private int _gathering;

    public ReceiverRefusals(string receiver, ILogger logger, TimeProvider time)
    {
        _receiver = receiver;
        _logger = logger;
        // The summary belongs to no request: the timer must not capture the creator's context (activity, scopes).
        var suppressed = ExecutionContext.IsFlowSuppressed();
        if (!suppressed)
        {
            ExecutionContext.SuppressFlow();
        }
        try
        {
            _timer = time.CreateTimer(static state => ((ReceiverRefusals)state!).Summarise(), this,
                Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            if (!suppressed)
            {
                ExecutionContext.RestoreFlow();
            }
        }
    }

    /// <summary>Logs one refusal at Debug and counts it for the next summary.</summary>
    public void Refused(RefusalReason reason)
    {
        Refused(_logger, _receiver, Statuses[(int)reason], Texts[(int)reason]);
        Interlocked.Increment(ref _counts[(int)reason]);
        // Counted before the window is opened, so a summary running now either sees this one or leaves the window
        // for it to open.
        if (Volatile.Read(ref _gathering) == 0 && Interlocked.CompareExchange(ref _gathering, 1, 0) == 0)
        {
            _timer.Change(SummaryInterval, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Summarise()
    {
        Volatile.Write(ref _gathering, 0);
        var total = 0;
        var reasons = new StringBuilder();
        foreach (var reason in Reasons)
        {
            var count = Interlocked.Exchange(ref _counts[(int)reason], 0);
            if (count == 0)
            {
                continue;
            }
            total += count;
            if (reasons.Length > 0)
            {
                reasons.Append(", ");
            }
            reasons.Append(Statuses[(int)reason]).Append(' ').Append(Texts[(int)reason]).Append(": ").Append(count);
        }
        if (total > 0)
        {
            Summary(_logger, _receiver, total, SummaryInterval.TotalSeconds, reasons.ToString());
        }
    }

    /// <summary>The status code a refusal for <paramref name="reason"/> is answered with.</summary>
    public static int StatusOf(RefusalReason reason) => reason switch
    {
        RefusalReason.NotJson => StatusCodes.Status415UnsupportedMediaType,
        RefusalReason.TooLarge => StatusCodes.Status413PayloadTooLarge,
        RefusalReason.TimestampTooOld or RefusalReason.TimestampTooNew or RefusalReason.NoMatchingSignature => StatusCodes.Status401Unauthorized,
        _ => StatusCodes.Status400BadRequest,
    };

    private static string Describe(RefusalReason reason) => reason switch
    {
        RefusalReason.NotJson => "not JSON",
        RefusalReason.TooLarge => "body too large",
        RefusalReason.RepeatedHeader => "repeated header",
        RefusalReason.MissingHeader => "missing header",
        RefusalReason.MalformedHeader => "malformed header",
        RefusalReason.TimestampTooOld => "timestamp too old",
        RefusalReason.TimestampTooNew => "timestamp too new",
        RefusalReason.NoMatchingSignature => "no matching signature",
        RefusalReason.MalformedBody => "malformed body",
        RefusalReason.PayloadDoesNotFit => "data does not fit the event type",
        _ => "refused",
    };

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Webhook receiver {Receiver} refused a request with {Status}: {Reason}.")]
    private static partial void Refused(ILogger logger, string receiver, int status, string reason);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Webhook receiver {Receiver} refused {Count} requests in the last {Seconds} s: {Reasons}. Each refusal is logged at Debug.")]
    private static partial void Summary(ILogger logger, string receiver, int count, double seconds, string reasons);
}
