using Microsoft.Extensions.Hosting;

namespace Hooks.Storage.Postgres;

/// <summary>Migrates the database when the host starts, so an unreachable server or a bad schema fails the start, not a request.</summary>
internal sealed class PostgresStorageInitializer(PostgresDatabase database) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => database.EnsureReadyAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
