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

    internal PostgresDatabase(NpgsqlDataSource dataSource, bool ownsDataSource, IReadOnlyList<StorageMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _migrations = migrations;
    }

    public NpgsqlDataSource DataSource { get; }

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
        }
    }
}
