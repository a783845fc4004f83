using System.Collections.Concurrent;

namespace Hooks.CatchUp;

/// <summary>
/// Cursors in process memory: the default, for tests and for apps that keep nothing across restarts (a restarted app
/// catches up from the start of what the producer retains; deduplication keeps handlers from running twice for ids it
/// still remembers). <c>UseSqlite</c> and <c>UsePostgres</c> replace it with a durable store.
/// </summary>
internal sealed class InMemoryWebHookCursorStore : IWebHookCursorStore
{
    private readonly ConcurrentDictionary<(string Receiver, string Subscription), long> _cursors = new();

    public ValueTask<long?> GetAsync(string receiverName, string subscriptionId, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId);
        return new(_cursors.TryGetValue((receiverName, subscriptionId), out var sequence) ? sequence : null);
    }

    public ValueTask<long> AdvanceAsync(string receiverName, string subscriptionId, long sequence, CancellationToken cancellationToken)
    {
        WebHookCursorKey.Validate(receiverName, subscriptionId, sequence);
        return new(_cursors.AddOrUpdate((receiverName, subscriptionId), static (_, next) => next, static (_, stored, next) => Math.Max(stored, next), sequence));
    }
}
