namespace Hooks.Receiving;

/// <summary>
/// An in-process <see cref="IWebHookIdempotencyStore"/>, bounded in size: when full, the oldest handled ids are
/// forgotten first. Expired entries are swept as new ones arrive, so memory never grows past the capacity.
/// </summary>
public sealed class InMemoryWebHookIdempotencyStore : IWebHookIdempotencyStore
{
    /// <summary>The default number of ids remembered.</summary>
    public const int DefaultCapacity = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, long Version)> _order = new();
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private long _version;

    /// <summary>Creates a store remembering at most <paramref name="capacity"/> ids.</summary>
    public InMemoryWebHookIdempotencyStore(TimeProvider timeProvider, int capacity = DefaultCapacity)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = timeProvider;
        _capacity = capacity;
    }

    /// <summary>How many ids are remembered now (claimed or handled).</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <inheritdoc />
    public ValueTask<WebHookIdempotencyClaim> TryClaimAsync(string key, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            Sweep(now);
            if (_entries.TryGetValue(key, out var entry) && entry.Until > now)
            {
                return new(entry.Handled ? WebHookIdempotencyClaim.AlreadyHandled : WebHookIdempotencyClaim.InProgress);
            }
            Set(key, new Entry(false, leaseUntil, 0));
            return new(WebHookIdempotencyClaim.Claimed);
        }
    }

    /// <inheritdoc />
    public ValueTask MarkHandledAsync(string key, DateTimeOffset rememberUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            Set(key, new Entry(true, rememberUntil, 0));
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry) && !entry.Handled)
            {
                _entries.Remove(key);
            }
        }
        return ValueTask.CompletedTask;
    }

    private void Set(string key, Entry entry)
    {
        entry = entry with { Version = ++_version };
        _entries[key] = entry;
        _order.Enqueue((key, entry.Version));
        // Over capacity: forget the oldest first (claims included; a forgotten claim only risks a duplicate run).
        while (_entries.Count > _capacity && _order.TryDequeue(out var oldest))
        {
            if (_entries.TryGetValue(oldest.Key, out var current) && current.Version == oldest.Version)
            {
                _entries.Remove(oldest.Key);
            }
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        // The queue is in write order; stale queue items (superseded versions) are dropped as they surface.
        var budget = 64;
        while (budget-- > 0 && _order.TryPeek(out var head))
        {
            if (!_entries.TryGetValue(head.Key, out var current) || current.Version != head.Version)
            {
                _order.Dequeue();
                continue;
            }
            if (current.Until > now)
            {
                break;
            }
            _order.Dequeue();
            _entries.Remove(head.Key);
        }
        // Bound the queue of superseded items too: rebuild when it outgrows the live set by far.
        if (_order.Count > 4 * Math.Max(_entries.Count, 1024))
        {
            var live = _entries.OrderBy(e => e.Value.Version).Select(e => (e.Key, e.Value.Version)).ToArray();
            _order.Clear();
            foreach (var item in live) _order.Enqueue(item);
        }
    }

    private readonly record struct Entry(bool Handled, DateTimeOffset Until, long Version);
}
