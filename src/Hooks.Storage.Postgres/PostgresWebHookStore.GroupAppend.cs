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

    // The group's drafts as parallel arrays ($1…$8, ordinality i = queue order; ids and keys distinct within the group),
    // $9/$10 (i, filter value) pairs. Inserts the messages (a used id or key stores nothing: ON CONFLICT), pairs each
    // stored message with its targets, bumps each target's counter once by its number of deliveries in the group, and
    // numbers them from the old value in queue order. The targets are already locked (LockGroupTargetsSql).
    private const string AppendGroupSql = """
        WITH input AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::bytea[], $6::text[], $7::text[], $8::text[])
                WITH ORDINALITY AS d (id, tenant, event_type, ts, body, trace_parent, idempotency_key, only_sub, i)
        ), msg AS (
            INSERT INTO hooks_messages (id, tenant, event_type, timestamp, body, trace_parent, idempotency_key)
            SELECT id, tenant, event_type, ts, body, trace_parent, idempotency_key FROM input ORDER BY i
            ON CONFLICT DO NOTHING
            RETURNING sequence, id
        ), stored AS (
            SELECT input.i, input.tenant, input.event_type, input.ts, input.only_sub, msg.sequence AS message_sequence
            FROM msg JOIN input ON input.id = msg.id
        ), pairs AS (
            SELECT DISTINCT st.i, st.message_sequence, st.ts, f.subscription_id, false AS only
            FROM stored st
            JOIN unnest($9::int[], $10::text[]) AS v (i, value) ON v.i = st.i
            JOIN hooks_subscription_filters f ON (st.tenant IS NULL OR f.tenant = st.tenant) AND f.value = v.value
                AND (f.kind = 'exact' AND f.value = st.event_type OR f.kind = 'prefix' AND f.value <> st.event_type OR f.kind = 'all')
            WHERE st.only_sub IS NULL
            UNION ALL
            SELECT st.i, st.message_sequence, st.ts, st.only_sub, true FROM stored st WHERE st.only_sub IS NOT NULL
        ), counted AS (
            UPDATE hooks_subscriptions s SET last_sequence = s.last_sequence + c.n
            FROM (SELECT subscription_id, count(*) AS n FROM pairs GROUP BY subscription_id) c
            WHERE s.id = c.subscription_id
            RETURNING s.id, s.last_sequence - c.n AS base, s.status
        ), made AS (
            INSERT INTO hooks_deliveries (message_sequence, subscription_id, sequence, status, next_attempt_at)
            SELECT p.message_sequence, p.subscription_id, c.base + row_number() OVER (PARTITION BY p.subscription_id ORDER BY p.i),
                   CASE WHEN p.only OR c.status = 1 THEN 0 ELSE 3 END, p.ts
            FROM pairs p JOIN counted c ON c.id = p.subscription_id
            ORDER BY p.subscription_id, p.i
            RETURNING message_sequence, status
        )
        SELECT st.i, coalesce(m.pushed, 0)
        FROM stored st
        LEFT JOIN (SELECT message_sequence, count(*) FILTER (WHERE status = 0)::int AS pushed FROM made GROUP BY message_sequence) m
            ON m.message_sequence = st.message_sequence
        """;

    // One transaction (the batch's implicit one): lock every target in id order, store the group with one statement,
    // commit; then answer each caller. A draft whose id or key an earlier draft of the group uses waits for the commit
    // and is appended alone after it, so it gets exactly the answer it would have got without the group.
    private async Task AppendGroupAsync(List<PendingAppend> group)
    {
        var tenants = new List<string>();
        var tenantValues = new List<string>();
        var everyTenantValues = new List<string>();
        var testTargets = new List<string>();
        var grouped = new List<PendingAppend>(group.Count);
        List<PendingAppend>? later = null;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        HashSet<(string?, string)>? keys = null;
        var filterDrafts = new List<int>();
        var filterValues = new List<string>();
        foreach (var pending in group)
        {
            var draft = pending.Draft;
            if (!ids.Add(draft.Message.Id)
                || draft.IdempotencyKey is { } key && !(keys ??= []).Add((draft.Message.Tenant ?? "", key)))
            {
                (later ??= []).Add(pending);
                continue;
            }
            grouped.Add(pending);
            if (draft.SubscriptionId is { } only)
            {
                testTargets.Add(only);
                continue;
            }
            foreach (var value in FilterValuesFor(draft.Message.EventType))
            {
                filterDrafts.Add(grouped.Count); // ordinality: 1-based
                filterValues.Add(value);
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

        var n = grouped.Count;
        var messageIds = new string[n];
        var messageTenants = new string?[n];
        var types = new string[n];
        var timestamps = new DateTime[n];
        var bodies = new byte[n][];
        var traceParents = new string?[n];
        var idempotencyKeys = new string?[n];
        var onlyTargets = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var draft = grouped[i].Draft;
            var message = draft.Message;
            messageIds[i] = message.Id;
            messageTenants[i] = message.Tenant;
            types[i] = message.EventType;
            timestamps[i] = message.Timestamp.UtcDateTime;
            bodies[i] = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(message.Body, out var segment)
                        && segment.Offset == 0 && segment.Count == segment.Array!.Length
                ? segment.Array
                : message.Body.ToArray();
            traceParents[i] = message.TraceParent;
            idempotencyKeys[i] = draft.IdempotencyKey;
            onlyTargets[i] = draft.SubscriptionId;
        }

        var pushed = new int?[n];
        await using (var connection = await _database.OpenAsync(CancellationToken.None).ConfigureAwait(false))
        {
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(Command(LockGroupTargetsSql,
                    P(tenants.ToArray()), P(tenantValues.ToArray()), P(everyTenantValues.ToArray()), P(testTargets.ToArray())));
                batch.BatchCommands.Add(Command(AppendGroupSql,
                    P(messageIds), P(messageTenants), P(types), P(timestamps), P(bodies), P(traceParents), P(idempotencyKeys), P(onlyTargets),
                    P(filterDrafts.ToArray()), P(filterValues.ToArray())));
                await batch.PrepareAsync(CancellationToken.None).ConfigureAwait(false); // persistent per connection: planned once
                await using var reader = await batch.ExecuteReaderAsync(CancellationToken.None).ConfigureAwait(false);
                // The first result is the locked ids; the second one row per stored draft.
                if (!await reader.NextResultAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    throw new InvalidOperationException("The group append returned no result.");
                }
                while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    pushed[(int)reader.GetInt64(0) - 1] = reader.GetInt32(1);
                }
            }

            // Committed. Drafts that stored nothing (a key or id used before) get the answer a single append gives them.
            for (var i = 0; i < n; i++)
            {
                var pending = grouped[i];
                if (pushed[i] is { } count)
                {
                    pending.Completion.TrySetResult(new WebHookPublishResult(pending.Draft.Message.Id, count, false));
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
        foreach (var pending in later ?? [])
        {
            await CompleteAsync(pending, AppendOneAsync(pending.Draft, CancellationToken.None)).ConfigureAwait(false);
        }
    }
}
