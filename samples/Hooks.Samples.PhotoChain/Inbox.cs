namespace Hooks.Samples.PhotoChain;

/// <summary>One message a consumer's handler ran for: the app's own record, which the summary checks.</summary>
/// <param name="MessageId">The <c>webhook-id</c>.</param>
/// <param name="EventType">The event type.</param>
/// <param name="Tenant">Whose event it was (the user the producer published it for).</param>
/// <param name="Source">Push, reversed or catch-up.</param>
/// <param name="Attempt">The producer's attempt number.</param>
/// <param name="Produced">The message this one made the app publish (Microblog's post), if any.</param>
public sealed record Received(string MessageId, string EventType, string Tenant, WebHookSource Source, int Attempt, string? Produced = null);

/// <summary>What a consumer app handled, with a way to wait for a number of messages without polling.</summary>
public sealed class Inbox
{
    private readonly Lock _gate = new();
    private readonly List<Received> _received = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

    /// <summary>Every message handled so far, in order.</summary>
    public IReadOnlyList<Received> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Records a handled message and wakes whoever waits for this many.</summary>
    public void Add(Received message)
    {
        lock (_gate)
        {
            _received.Add(message);
            foreach (var waiter in _waiters.Where(w => w.Count <= _received.Count).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Reached.TrySetResult();
            }
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> messages were handled.</summary>
    public Task WaitForAsync(int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_received.Count >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task.WaitAsync(cancellationToken);
        }
    }
}
