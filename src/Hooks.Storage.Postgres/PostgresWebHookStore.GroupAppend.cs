using System.Collections.Concurrent;
using Hooks.Publishing;
using Npgsql;

namespace Hooks.Storage.Postgres;

// Group commit: appends outside an app transaction queue up; one appender per store instance takes what is queued and
// stores it in one transaction, so a subscription's counter row is locked once per group instead of once per message.
internal sealed partial class PostgresWebHookStore
{
    // A group's bounds: drafts, and body bytes (at least one draft is always taken, whatever its size).
    internal const int MaxGroupDrafts = 256;
    internal const int MaxGroupBytes = 4 * 1024 * 1024;

    // Locks, in id order and up front, every subscription any draft of the group may target (a superset: kinds are not
    // checked), so a group takes its locks in the same order as a single append and two groups never deadlock. The
    // per-draft statements that follow find their targets already held. $1/$2 (tenant, filter value) pairs of drafts
    // for one tenant, $3 filter values of drafts for every tenant, $4 the subscriptions of test events.
    private const string LockGroupTargetsSql = """
        SELECT s.id FROM hooks_subscriptions s
        WHERE s.id IN (
            SELECT f.subscription_id FROM hooks_subscription_filters f
            JOIN unnest($1::text[], $2::text[]) AS p (tenant, value) ON f.tenant = p.tenant AND f.value = p.value
            UNION ALL
            SELECT f.subscription_id FROM hooks_subscription_filters f WHERE f.value = ANY($3)
            UNION ALL
            SELECT unnest($4::text[]))
        ORDER BY s.id
        FOR NO KEY UPDATE
        """;

    private readonly ConcurrentQueue<PendingAppend> _appendQueue = new();
    private int _appending;

    private sealed class PendingAppend(WebHookMessageDraft draft, CancellationToken cancellationToken)
    {
        public WebHookMessageDraft Draft { get; } = draft;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<WebHookPublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async ValueTask<WebHookPublishResult> AppendGroupedAsync(WebHookMessageDraft draft, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _database.EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var pending = new PendingAppend(draft, cancellationToken);
        _appendQueue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _appending, 1, 0) == 0)
        {
            _ = Task.Run(DrainAppendsAsync, CancellationToken.None);
        }
        // A caller that gives up stops waiting; a draft already taken into a group may still be stored (as a single
        // append cancelled during its commit may be).
        return await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAppendsAsync()
    {
        var group = new List<PendingAppend>(MaxGroupDrafts);
        while (true)
        {
            group.Clear();
            var bytes = 0L;
            while (group.Count < MaxGroupDrafts && _appendQueue.TryPeek(out var next)
                   && (group.Count == 0 || bytes + next.Draft.Message.Body.Length <= MaxGroupBytes)
                   && _appendQueue.TryDequeue(out next))
            {
                if (next.CancellationToken.IsCancellationRequested)
                {
                    next.Completion.TrySetCanceled(next.CancellationToken);
                    continue;
                }
                group.Add(next);
                bytes += next.Draft.Message.Body.Length;
            }
            if (group.Count == 0)
            {
                Volatile.Write(ref _appending, 0);
                // An append queued after the last look found the flag still set and left its draft to this loop.
                if (_appendQueue.IsEmpty || Interlocked.CompareExchange(ref _appending, 1, 0) != 0)
                {
                    return;
                }
                continue;
            }
            if (group.Count == 1)
            {
                await CompleteAsync(group[0], AppendOneAsync(group[0].Draft, CancellationToken.None)).ConfigureAwait(false);
                continue;
            }
            try
            {
                await AppendGroupAsync(group).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The group rolled back (a deadlock with another instance, a draft the database refused): each draft on
                // its own, so one bad draft fails only its caller.
                foreach (var pending in group)
                {
                    await CompleteAsync(pending, AppendOneAsync(pending.Draft, CancellationToken.None)).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                foreach (var pending in group)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
    }

    private static async Task CompleteAsync(PendingAppend pending, ValueTask<WebHookPublishResult> append)
    {
        try
        {
            pending.Completion.TrySetResult(await append.ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    // One transaction (the batch's implicit one): lock every target in id order, then each draft's append statement in
    // queue order (so each subscription's numbers follow it), commit; then answer each caller.
    private async Task AppendGroupAsync(List<PendingAppend> group)
    {
        var tenants = new List<string>();
        var tenantValues = new List<string>();
        var everyTenantValues = new List<string>();
        var testTargets = new List<string>();
        foreach (var pending in group)
        {
            var draft = pending.Draft;
            if (draft.SubscriptionId is { } only)
            {
                testTargets.Add(only);
                continue;
            }
            foreach (var value in FilterValuesFor(draft.Message.EventType))
            {
                if (draft.Message.Tenant is { } tenant)
                {
                    tenants.Add(tenant);
                    tenantValues.Add(value);
                }
                else
                {
                    everyTenantValues.Add(value);
                }
            }
        }

        var results = new (long? Sequence, int Pushed)[group.Count];
        await using (var connection = await _database.OpenAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(Command(LockGroupTargetsSql,
                    P(tenants.ToArray()), P(tenantValues.ToArray()), P(everyTenantValues.ToArray()), P(testTargets.ToArray())));
                foreach (var pending in group)
                {
                    var draft = pending.Draft;
                    var message = draft.Message;
                    batch.BatchCommands.Add(Command(AppendSql,
                        P(message.Id), Text(message.Tenant), P(message.EventType), P(message.Timestamp), P(message.Body),
                        Text(message.TraceParent), Text(draft.IdempotencyKey), P(FilterValuesFor(message.EventType)), Text(draft.SubscriptionId)));
                }
                await batch.PrepareAsync(CancellationToken.None).ConfigureAwait(false); // persistent per connection: planned once
                await using var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
                // The first result is the locked ids; then one row per draft.
                for (var i = 0; i < group.Count; i++)
                {
                    if (!await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        throw new InvalidOperationException("The group append returned fewer results than it has drafts.");
                    }
                    if (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false) && !reader.IsDBNull(0))
                    {
                        results[i] = (reader.GetInt64(0), reader.GetInt32(1));
                    }
                }
            }

            // Committed. Drafts that stored nothing (a key or id used before, perhaps earlier in this group) get the
            // answer a single append gives them.
            for (var i = 0; i < group.Count; i++)
            {
                var pending = group[i];
                if (results[i].Sequence is not null)
                {
                    pending.Completion.TrySetResult(new WebHookPublishResult(pending.Draft.Message.Id, results[i].Pushed, false));
                    continue;
                }
                try
                {
                    pending.Completion.TrySetResult(await NotStoredAsync(pending.Draft, connection, null, CancellationToken.None).ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
        }
    }
}
