using System.Runtime.InteropServices;
using Hooks.Publishing;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Append and fan-out, group-committed; or, with the app's transaction, written on the app's connection.
internal sealed partial class SqliteWebHookStore
{
    private const string AllTenantsKeyScope = ""; // no tenant id is empty

    /// <inheritdoc />
    public async ValueTask<WebHookPublishResult> AppendMessageAsync(WebHookMessageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        if (draft.Transaction is not null)
        {
            return await AppendInTransactionAsync(draft, cancellationToken).ConfigureAwait(false);
        }
        // Group-committed with whatever else is queued for the writer; the body is read when the operation runs, before
        // this call completes, so the caller's memory is not kept.
        return await WriteAsync(draft, static (_, commands, transaction, d) => Append(commands.Append, transaction, d), cancellationToken,
            keepsFanOut: true).ConfigureAwait(false);
    }

    private async ValueTask<WebHookPublishResult> AppendInTransactionAsync(WebHookMessageDraft draft, CancellationToken cancellationToken)
    {
        if (draft.Transaction is not SqliteTransaction { Connection: { } connection } transaction)
        {
            throw new NotSupportedException(
                $"The SQLite webhook store publishes in a Microsoft.Data.Sqlite transaction (SqliteTransaction) on its own database file; " +
                $"this is a {draft.Transaction!.GetType().Name}. Open the app's connection on the file UseSqlite names, or publish without a transaction.");
        }
        if (!_database.IsSameFile(connection))
        {
            throw new InvalidOperationException(
                "The transaction is on another database file than the webhook store's: a publish joins the app's transaction only when the app's " +
                "connection is open on the file UseSqlite names (its tables and the webhook tables then commit together).");
        }
        await _database.EnsureReadyAsync(cancellationToken).ConfigureAwait(false); // the schema exists before the app writes it
        using var commands = new AppendCommands(connection);
        // A savepoint: a refused draft leaves the app's transaction as it was, for the app to commit or roll back.
        transaction.Save("hooks_publish");
        try
        {
            var result = Append(commands, transaction, draft);
            transaction.Release("hooks_publish");
            return result;
        }
        catch (RefusedWriteException refused)
        {
            transaction.Release("hooks_publish"); // nothing was written
            throw refused.InnerException!;
        }
        catch
        {
            transaction.Rollback("hooks_publish");
            transaction.Release("hooks_publish");
            throw;
        }
    }

    // One draft inside the caller's transaction: its idempotency key, the message, and one delivery per target
    // subscription, each taking its subscription's next sequence (the counter row is updated in this transaction).
    private static WebHookPublishResult Append(AppendCommands commands, SqliteTransaction transaction, WebHookMessageDraft draft)
    {
        var message = draft.Message;
        var keyScope = message.Tenant ?? AllTenantsKeyScope;
        if (draft.IdempotencyKey is { } key)
        {
            using var reader = commands.FindKey.Bind("$tenant", keyScope).Bind("$key", key).In(transaction).ExecuteReader();
            if (reader.Read())
            {
                return new WebHookPublishResult(reader.GetString(0), reader.GetInt32(1), Duplicate: true);
            }
        }
        // No RETURNING (it would open a statement journal): the row's number is the connection's last insert.
        if (commands.InsertMessage
            .Bind("$id", message.Id)
            .Bind("$tenant", message.Tenant)
            .Bind("$type", message.EventType)
            .Bind("$ts", message.Timestamp.UtcTicks)
            .Bind("$body", Bytes(message.Body))
            .Bind("$trace", message.TraceParent)
            .In(transaction).ExecuteNonQuery() == 0)
        {
            throw new RefusedWriteException(new InvalidOperationException("A message with this id is already stored."));
        }
        var seq = SQLitePCL.raw.sqlite3_last_insert_rowid(transaction.Connection!.Handle);

        // The targets first (a read), then one single-row insert per target and its counter (the writer's, once per
        // subscription at the commit: WriteSequences; an app transaction's, here): a multi-row write inside the group's
        // transaction would open a statement journal (a 64 KB buffer allocated and freed per statement), which costs
        // more than the statements themselves.
        var found = commands.Targets;
        found.Clear();
        if (draft.SubscriptionId is not null || !commands.TryFanOutFromCache(message.Tenant, message.EventType))
        {
            var targets = draft.SubscriptionId is { } only ? commands.TargetOne.Bind("$only", only)
                : message.Tenant is { } tenant ? commands.TargetsOfTenant.Bind("$tenant", tenant).Bind("$type", message.EventType)
                : commands.TargetsOfAll.Bind("$type", message.EventType);
            using (var reader = targets.In(transaction).ExecuteReader())
            {
                while (reader.Read())
                {
                    // A test event (one named subscription) is pending whatever the subscription's status.
                    var pending = draft.SubscriptionId is not null || reader.GetInt32(2) == (int)WebHookSubscriptionStatus.Enabled;
                    var sid = reader.GetInt64(0);
                    // An earlier append of the writer's transaction may have numbered this subscription's deliveries already.
                    var last = commands.Sequences is { } numbered && numbered.TryGetValue(sid, out var inTransaction) ? inTransaction : reader.GetInt64(1);
                    found.Add((sid, last + 1, pending));
                    if (commands.Committed is { } committed)
                    {
                        committed[sid] = reader.GetInt64(1); // the writer defers its counters: the row holds the last commit's
                    }
                }
            }
            if (draft.SubscriptionId is null)
            {
                commands.CacheFanOut(message.Tenant, message.EventType);
            }
        }
        var pushed = 0;
        foreach (var (sid, sequence, pending) in found)
        {
            commands.InsertDelivery
                .Bind("$message", seq)
                .Bind("$sid", sid)
                .Bind("$sequence", sequence)
                .Bind("$status", pending ? (int)WebHookDeliveryStatus.Pending : (int)WebHookDeliveryStatus.Skipped)
                .Bind("$due", message.Timestamp.UtcTicks)
                .In(transaction).ExecuteNonQuery();
            if (commands.Sequences is { } numbered)
            {
                numbered[sid] = sequence; // written once per subscription at the commit (WriteSequences)
            }
            else
            {
                commands.SetLastSequence.Bind("$sid", sid).Bind("$sequence", sequence).In(transaction).ExecuteNonQuery();
            }
            pushed += pending ? 1 : 0;
        }
        found.Clear();
        if (draft.IdempotencyKey is { } newKey)
        {
            commands.InsertKey.Bind("$tenant", keyScope).Bind("$key", newKey).Bind("$message", seq).Bind("$message_id", message.Id)
                .Bind("$deliveries", pushed).In(transaction).ExecuteNonQuery();
        }
        return new WebHookPublishResult(message.Id, pushed, Duplicate: false);
    }

    private static byte[] Bytes(ReadOnlyMemory<byte> body) =>
        MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    /// <inheritdoc />
    public async ValueTask<WebHookMessage?> GetMessageAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await ReadAsync(id, static (_, connection, messageId) =>
        {
            using var select = Command(connection, null, $"SELECT {MessageColumns} FROM hooks_messages m WHERE m.id = $id");
            select.Parameters.AddWithValue("$id", messageId);
            using var reader = select.ExecuteReader();
            return reader.Read() ? ReadMessage(reader, 0) : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the counters the writer's transaction advanced, once per subscription however many of its appends the
    /// transaction grouped (not once per append); run just before the commit, in the transaction.
    /// </summary>
    private static void WriteSequences(AppendCommands commands, SqliteTransaction transaction)
    {
        foreach (var (sid, sequence) in commands.Sequences!)
        {
            commands.SetLastSequence.Bind("$sid", sid).Bind("$sequence", sequence).In(transaction).ExecuteNonQuery();
        }
    }

    /// <summary>The append's statements, kept on the writer connection (or made for one append on the app's).</summary>
    private sealed class AppendCommands(SqliteConnection connection, bool deferSequences = false) : IDisposable
    {
        // The writer's: each subscription's last number given in the current transaction, written at its commit. Null
        // for an append in the app's transaction, which writes its counters at once (the app commits, not us).
        public readonly Dictionary<long, long>? Sequences = deferSequences ? [] : null;

        // Read by one append at a time (the writer's, or an app transaction's own commands).
        public readonly List<(long Sid, long Sequence, bool Pending)> Targets = [];

        // The writer's fan-out cache (null on an app's connection). Fan-out was a third of an append's time in the
        // writer (a query over three kinds of filter rows, deduplicated), and its answer changes only when a
        // subscription or its filters do: the targets of a (tenant, type) as last queried, and each target's last
        // committed number. The writer forgets both before any operation that may change subscriptions, when it
        // changes a subscription's status itself, after a rollback, and when another connection (an app's
        // transaction, another process) committed to the file (PRAGMA data_version, read in each transaction).
        private readonly Dictionary<(string? Tenant, string Type), (long Sid, bool Pending)[]>? _fanOut = deferSequences ? [] : null;
        public readonly Dictionary<long, long>? Committed = deferSequences ? [] : null;
        private const int MaxCachedFanOuts = 4_096;

        /// <summary>Fills <see cref="Targets"/> from the cache; false when the (tenant, type) is not cached.</summary>
        public bool TryFanOutFromCache(string? tenant, string type)
        {
            if (_fanOut is null || !_fanOut.TryGetValue((tenant, type), out var cached))
            {
                return false;
            }
            foreach (var (sid, pending) in cached)
            {
                if (Sequences!.TryGetValue(sid, out var last) || Committed!.TryGetValue(sid, out last))
                {
                    Targets.Add((sid, last + 1, pending));
                }
                else
                {
                    Targets.Clear();
                    return false;
                }
            }
            return true;
        }

        /// <summary>Keeps what the query just put in <see cref="Targets"/> as the targets of (tenant, type).</summary>
        public void CacheFanOut(string? tenant, string type)
        {
            if (_fanOut is null)
            {
                return;
            }
            if (_fanOut.Count >= MaxCachedFanOuts)
            {
                ForgetFanOut();
            }
            var targets = new (long Sid, bool Pending)[Targets.Count];
            for (var i = 0; i < targets.Length; i++)
            {
                targets[i] = (Targets[i].Sid, Targets[i].Pending);
            }
            _fanOut[(tenant, type)] = targets;
        }

        public void ForgetFanOut()
        {
            _fanOut?.Clear();
            Committed?.Clear();
        }

        /// <summary>After the writer's commit: the counters it wrote are the committed ones now.</summary>
        public void Committing()
        {
            foreach (var (sid, sequence) in Sequences!)
            {
                Committed![sid] = sequence;
            }
            Sequences.Clear();
        }

        public readonly SqliteStatement FindKey = new(connection,
            "SELECT message_id, deliveries FROM hooks_idempotency_keys WHERE tenant = $tenant AND key = $key");

        public readonly SqliteStatement InsertKey = new(connection,
            "INSERT INTO hooks_idempotency_keys (tenant, key, message, message_id, deliveries) VALUES ($tenant, $key, $message, $message_id, $deliveries)");

        public readonly SqliteStatement InsertMessage = new(connection, """
            INSERT INTO hooks_messages (id, tenant, event_type, timestamp, body, trace_parent)
            VALUES ($id, $tenant, $type, $ts, $body, $trace) ON CONFLICT (id) DO NOTHING
            """);

        private const string SelectTargets = "SELECT s.sid, s.last_sequence, s.status FROM hooks_subscriptions s";

        // The filter rows of one tenant that take the type: exact names by index, then its few prefix and catch-all rows.
        public readonly SqliteStatement TargetsOfTenant = new(connection, SelectTargets + """

            WHERE s.sid IN (
                SELECT sid FROM hooks_subscription_filters WHERE tenant = $tenant AND value = $type AND kind = 0
                UNION SELECT sid FROM hooks_subscription_filters WHERE kind = 1 AND tenant = $tenant
                    AND length($type) > length(value) AND substr($type, 1, length(value)) = value
                UNION SELECT sid FROM hooks_subscription_filters WHERE kind = 2 AND tenant = $tenant)
            ORDER BY s.sid
            """);

        public readonly SqliteStatement TargetsOfAll = new(connection, SelectTargets + """

            WHERE s.sid IN (
                SELECT sid FROM hooks_subscription_filters WHERE kind = 0 AND value = $type
                UNION SELECT sid FROM hooks_subscription_filters WHERE kind = 1
                    AND length($type) > length(value) AND substr($type, 1, length(value)) = value
                UNION SELECT sid FROM hooks_subscription_filters WHERE kind = 2)
            ORDER BY s.sid
            """);

        // A test event: one subscription, pending whatever its filter.
        public readonly SqliteStatement TargetOne = new(connection, SelectTargets + " WHERE s.id = $only");

        public readonly SqliteStatement InsertDelivery = new(connection, """
            INSERT INTO hooks_deliveries (message, sid, sequence, status, due_at, ready_at) VALUES ($message, $sid, $sequence, $status, $due, $due)
            """);

        public readonly SqliteStatement SetLastSequence = new(connection,
            "UPDATE hooks_subscriptions SET last_sequence = $sequence WHERE sid = $sid");

        public void Dispose()
        {
            FindKey.Dispose();
            InsertKey.Dispose();
            InsertMessage.Dispose();
            TargetsOfTenant.Dispose();
            TargetsOfAll.Dispose();
            TargetOne.Dispose();
            InsertDelivery.Dispose();
            SetLastSequence.Dispose();
        }
    }
}
