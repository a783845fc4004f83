using Microsoft.Extensions.Hosting;

namespace Hooks.Storage.Sqlite;

/// <summary>Opens and migrates the database when the host starts, so a bad path or schema fails the start, not a request.</summary>
internal sealed class SqliteStorageInitializer(SqliteDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
