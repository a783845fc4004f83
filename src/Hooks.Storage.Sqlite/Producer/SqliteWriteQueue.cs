using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Group commit: every write of the store (appends, leases, results, subscription changes) is an operation in one queue;
// whoever holds the writer connection runs all queued operations in one transaction and commits once for all of them.
internal sealed partial class SqliteWebHookStore
{
    private const int MaxWriteBatch = 256;
    private readonly ConcurrentQueue<WriteOperation> _writes = new();
    private long _commits;
    private long _dataVersion = -1; // PRAGMA data_version as the writer last read it

    /// <summary>How many write transactions were committed (fewer than operations when they were grouped).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>
    /// Runs <paramref name="work"/> in a <c>BEGIN IMMEDIATE</c> transaction on the writer connection, together with
    /// the other writes queued meanwhile; completes once that transaction committed. Not cancellable once queued: the
    /// operation reads the caller's state (an append's body) when it runs.
    /// </summary>
    /// <remarks>
    /// <paramref name="keepsFanOut"/>: true for the operations that never change a subscription's row or filters (or
    /// forget the writer's fan-out cache themselves when they do); any other operation makes the writer forget it before
    /// the operation runs.
    /// </remarks>
    private async Task<T> WriteAsync<T, TState>(TState state, Func<SqliteWebHookStore, WriterCommands, SqliteTransaction, TState, T> work,
        CancellationToken cancellationToken, bool keepsFanOut = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var operation = new WriteOperation<TState, T>(state, work) { KeepsFanOut = keepsFanOut };
        _writes.Enqueue(operation);
        await _database.RunAsync((Store: this, Mine: (WriteOperation)operation), static (connection, s, _) =>
        {
            s.Store.CommitQueuedWrites(connection, s.Mine);
            return Task.FromResult(true);
        }, CancellationToken.None).ConfigureAwait(false);
        if (operation.Error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
        return operation.Result!;
    }

    // With the writer held: commits batches of queued operations until the caller's own is among the committed ones (a
    // holder before it may have committed it already).
    private void CommitQueuedWrites(SqliteConnection connection, WriteOperation mine)
    {
        var commands = CommandsFor(connection);
        var batch = new List<WriteOperation>();
        while (!Volatile.Read(ref mine.Done))
        {
            batch.Clear();
            while (batch.Count < MaxWriteBatch && _writes.TryDequeue(out var next))
            {
                batch.Add(next);
            }
            if (batch.Count == 0)
            {
                mine.Error = new InvalidOperationException("A write was lost from the SQLite store's queue.");
                Volatile.Write(ref mine.Done, true);
                return;
            }
            CommitBatch(connection, commands, batch);
        }
    }

    private void CommitBatch(SqliteConnection connection, WriterCommands commands, List<WriteOperation> batch)
    {
        while (batch.Count > 0)
        {
            var failed = -1;
            Exception? failure = null;
            try
            {
                using (var transaction = connection.BeginTransaction(deferred: false))
                {
                    _deferredSubscriptions.Clear();
                    commands.Append.Sequences!.Clear(); // numbers of a rolled-back attempt were never given
                    // Read inside the transaction (the write lock held): another connection's commit since our last one
                    // may have changed subscriptions or their counters.
                    var dataVersion = (long)commands.DataVersion.In(transaction).ExecuteScalar()!;
                    if (dataVersion != _dataVersion)
                    {
                        commands.Append.ForgetFanOut();
                        _dataVersion = dataVersion;
                    }
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var operation = batch[i];
                        operation.Error = null;
                        if (!operation.KeepsFanOut)
                        {
                            commands.Append.ForgetFanOut();
                        }
                        try
                        {
                            operation.Run(this, commands, transaction);
                        }
                        catch (RefusedWriteException refused)
                        {
                            operation.Error = refused.InnerException; // refused before it wrote anything: the others go on
                        }
                        catch (Exception ex)
                        {
                            failed = i;
                            failure = ex;
                            break;
                        }
                    }
                    if (failed < 0)
                    {
                        WriteSequences(commands.Append, transaction);
                        transaction.Commit();
                        commands.Append.Committing();
                    }
                    // else: disposed uncommitted, which rolls back everything the batch wrote
                }
            }
            catch (Exception ex)
            {
                // Begin or commit failed: none of the batch is stored. One exception per caller (each throws its own).
                foreach (var operation in batch)
                {
                    operation.Error = new InvalidOperationException("The webhook store could not commit a write: " + ex.Message, ex);
                    Volatile.Write(ref operation.Done, true);
                }
                _deferredSubscriptions.Clear();
                commands.Append.ForgetFanOut(); // what the cache learnt in the transaction was not committed
                return;
            }
            if (failed < 0)
            {
                Interlocked.Increment(ref _commits);
                // Records read or written in the transaction are known good only now.
                foreach (var (sid, subscription) in _deferredSubscriptions)
                {
                    RememberNow(sid, subscription);
                }
                _deferredSubscriptions.Clear();
                foreach (var operation in batch)
                {
                    Volatile.Write(ref operation.Done, true);
                }
                return;
            }
            // One operation failed: the transaction was rolled back; the others run again without it.
            _deferredSubscriptions.Clear();
            commands.Append.ForgetFanOut();
            var culprit = batch[failed];
            culprit.Error = failure;
            Volatile.Write(ref culprit.Done, true);
            batch.RemoveAt(failed);
        }
    }

    /// <summary>Thrown by an operation that refuses before writing anything: its caller gets the inner exception.</summary>
    private sealed class RefusedWriteException(Exception inner) : Exception(inner.Message, inner);

    private abstract class WriteOperation
    {
        public Exception? Error;
        public bool Done;
        public bool KeepsFanOut;

        public abstract void Run(SqliteWebHookStore store, WriterCommands commands, SqliteTransaction transaction);
    }

    private sealed class WriteOperation<TState, T>(TState state, Func<SqliteWebHookStore, WriterCommands, SqliteTransaction, TState, T> work)
        : WriteOperation
    {
        public T? Result;

        public override void Run(SqliteWebHookStore store, WriterCommands commands, SqliteTransaction transaction) =>
            Result = work(store, commands, transaction, state);
    }
}
