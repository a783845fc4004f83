using Hooks.Storage.Sqlite.Migrations;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite;

/// <summary>
/// One SQLite database as Hooks uses it: a single writer connection (SQLite admits one writer at a time; queuing
/// in process is cheaper than retrying on <c>SQLITE_BUSY</c>), opened with WAL and a busy timeout for the other
/// processes on the same file, and migrated to the newest schema before its first use.
/// </summary>
internal sealed class SqliteDatabase : IAsyncDisposable
{
    /// <summary>How long a statement waits for another process's write lock before it fails.</summary>
    internal static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _connectionString;
    private readonly IReadOnlyList<StorageMigration> _migrations;
    private readonly TimeProvider _time;
    private SqliteConnection? _connection;
    private bool _disposed;

    public SqliteDatabase(string connectionString, TimeProvider time)
        : this(connectionString, time, StorageMigration.Embedded)
    {
    }

    internal SqliteDatabase(string connectionString, TimeProvider time, IReadOnlyList<StorageMigration> migrations)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(time);
        // Parsed now, so a malformed string fails at registration rather than at the first message.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { DefaultTimeout = (int)BusyTimeout.TotalSeconds }.ToString();
        _time = time;
        _migrations = migrations;
    }

    /// <summary>Opens the connection and migrates the schema, unless done already.</summary>
    public async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The full path of the database file (empty for an in-memory database).</summary>
    public string FilePath => _filePath ??= ResolvePath(new SqliteConnectionStringBuilder(_connectionString).DataSource);

    private string? _filePath;

    /// <summary>Whether <paramref name="connection"/> is open on this database's file.</summary>
    public bool IsSameFile(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var path = FilePath;
        return path.Length > 0 && string.Equals(ResolvePath(connection.DataSource), path,
            OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    private static string ResolvePath(string dataSource) =>
        string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" ? "" : Path.GetFullPath(dataSource);

    /// <summary>
    /// Opens a reader connection (from the provider's pool), after the schema is ready. In WAL mode readers never wait
    /// for the writer nor it for them; each sees the last commit at its first read.
    /// </summary>
    public async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is null)
        {
            await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection, alone.</summary>
    public async Task<T> RunAsync<T, TState>(TState state, Func<SqliteConnection, TState, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = _connection ?? await OpenAsync(cancellationToken).ConfigureAwait(false);
            return await work(connection, state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (++_writesSinceCheckpoint >= CheckpointEveryWrites)
            {
                _writesSinceCheckpoint = 0;
                RequestCheckpoint();
            }
            _gate.Release();
        }
    }

    // Checkpoints (copying the WAL's pages into the database file, with an fsync of each) run on a connection of their
    // own, not in the writer's commits: a checkpoint the writer ran itself held every queued write for its length
    // (under the load harness, 12 of about 5,800 commits took 0.8–1.0 s between them, an eighth of the writer's time).
    // A passive checkpoint waits for nobody, and the writer goes on appending to the WAL meanwhile. Asked for after
    // every 256 writes (under the gate). Measured, three runs each, interleaved: SQLite delivered 15,949–16,488 events/s
    // (x0.57–0.60 of the in-memory store) against 14,774–15,230/s (x0.54–0.56), and published 40,000–51,000/s against
    // 29,000–33,000/s. That was with the writer's own checkpoint at 40,000 pages; back at 10,000 (see the pragmas),
    // two runs each gave the same rates (x0.58 and x0.49 against x0.56 and x0.48).
    private const int CheckpointEveryWrites = 256;
    private int _writesSinceCheckpoint;
    private readonly SemaphoreSlim _checkpointWanted = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _checkpointer;

    /// <summary>After each checkpoint the checkpointer ran: the WAL's frames, and how many of them the file now holds.</summary>
    internal Action<long, long>? CheckpointCompleted { get; set; }

    private void RequestCheckpoint()
    {
        if (_connection is null || _disposed || FilePath.Length == 0)
        {
            return; // an in-memory database has no WAL to move
        }
        _checkpointer ??= Task.Run(() => CheckpointLoopAsync(_stopping.Token));
        if (_checkpointWanted.CurrentCount == 0)
        {
            _checkpointWanted.Release(); // only here, under the gate: the count never passes one
        }
    }

    private async Task CheckpointLoopAsync(CancellationToken stopping)
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync(stopping).ConfigureAwait(false);
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            while (true)
            {
                await _checkpointWanted.WaitAsync(stopping).ConfigureAwait(false);
                try
                {
                    // One row: busy, the WAL's frames, the frames now in the database file.
                    await using var result = await checkpoint.ExecuteReaderAsync(stopping).ConfigureAwait(false);
                    if (await result.ReadAsync(stopping).ConfigureAwait(false))
                    {
                        CheckpointCompleted?.Invoke(result.GetInt64(1), result.GetInt64(2));
                    }
                }
                catch (SqliteException)
                {
                    // Busy (another process's checkpoint) or failing: the next request tries again, and the writer's
                    // automatic checkpoint bounds the WAL meanwhile.
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (SqliteException)
        {
            // The connection could not be opened: the writer's automatic checkpoint does the work.
        }
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { } open)
        {
            return open;
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using (var pragmas = connection.CreateCommand())
            {
                // WAL: readers do not block the writer nor it them; the setting is kept in the file. synchronous=NORMAL
                // in WAL mode: a commit survives the process dying (the point here), and the fsync moves from every
                // commit to checkpoints; only a power loss may take the last commits back. Checkpoints run on the
                // checkpointer's connection (below). The writer's own automatic one stays at 10,000 pages (SQLite's
                // default is 1,000): a passive checkpoint running beside a busy writer rarely finds every frame copied,
                // and only then may the WAL start again from its beginning, so under load it is the writer's that
                // bounds the WAL's size (43 MB; at 40,000 pages it grew to 165 MB, at the same rate of deliveries), and
                // it finds most pages copied already.
                pragmas.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 10000;";
                await pragmas.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await SqliteMigrator.MigrateAsync(connection, _migrations, _time, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            await _stopping.CancelAsync().ConfigureAwait(false);
            if (_checkpointer is { } checkpointer)
            {
                await checkpointer.ConfigureAwait(false);
            }
            _stopping.Dispose();
            if (_connection is { } connection)
            {
                _connection = null;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
