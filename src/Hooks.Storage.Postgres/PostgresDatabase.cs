using Hooks.Storage.Postgres.Migrations;
using Npgsql;

namespace Hooks.Storage.Postgres;

/// <summary>One PostgreSQL database as Hooks uses it: a pooled data source, migrated to the newest schema before its first use.</summary>
internal sealed class PostgresDatabase : IAsyncDisposable
{
    private readonly IReadOnlyList<StorageMigration> _migrations;
    private readonly bool _ownsDataSource;
    private readonly Lock _gate = new();
    private Task? _ready;

    public PostgresDatabase(NpgsqlDataSource dataSource, bool ownsDataSource)
        : this(dataSource, ownsDataSource, StorageMigration.Embedded)
    {
    }

    /// <summary>
    /// A database on Hooks' own data sources: <paramref name="dataSource"/> pooled, <paramref name="listenDataSource"/>
    /// for the notifier's long-lived <c>LISTEN</c> connection; both disposed with it.
    /// </summary>
    public PostgresDatabase(NpgsqlDataSource dataSource, NpgsqlDataSource listenDataSource)
        : this(dataSource, ownsDataSource: true, StorageMigration.Embedded)
    {
        ArgumentNullException.ThrowIfNull(listenDataSource);
        ListenDataSource = listenDataSource;
    }

    internal PostgresDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, IReadOnlyList<StorageMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        ListenDataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _migrations = migrations;
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>Where the notifier opens its <c>LISTEN</c> connection: <see cref="DataSource"/> unless Hooks made its own.</summary>
    public NpgsqlDataSource ListenDataSource { get; }

    /// <summary>Migrates the schema once per instance; a failed attempt is retried by the next caller.</summary>
    public Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        var ready = Volatile.Read(ref _ready);
        if (ready is { IsCompletedSuccessfully: true })
        {
            return Task.CompletedTask;
        }
        lock (_gate)
        {
            if (_ready is null || _ready.IsFaulted || _ready.IsCanceled)
            {
                // Not the caller's token: the migration is shared by every caller waiting on it.
                _ready = PostgresMigrator.MigrateAsync(DataSource, _migrations, CancellationToken.None);
            }
            return _ready.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Opens a pooled connection to a migrated database.</summary>
    public async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        return await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
            if (!ReferenceEquals(ListenDataSource, DataSource))
            {
                await ListenDataSource.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
