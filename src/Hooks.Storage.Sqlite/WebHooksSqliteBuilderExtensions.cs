using Hooks.CatchUp;
using Hooks.Hosting;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Storage.Sqlite;
using Hooks.Storage.Sqlite.Producer;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Stores Hooks' state in SQLite.</summary>
public static class WebHooksSqliteBuilderExtensions
{
    /// <summary>
    /// Keeps Hooks' state in the SQLite database <paramref name="connectionString"/> names (for example
    /// <c>"Data Source=hooks.db"</c>): the producer's outbox (subscriptions, messages, deliveries and attempts, secrets
    /// encrypted with Data Protection), so nothing published is lost when the process dies; the ids a consumer's
    /// receivers handled, so a delivery retried after a restart does not run its handler twice; and how far each
    /// receiver caught up with its producer's feed. The schema is created or migrated when the app starts. Call it
    /// once, before or after <c>AddProducer</c> and <c>AddReceiver</c>. A publish can join the app's own transaction
    /// on the same file (<see cref="Hooks.Publishing.WebHookPublishOptions.Transaction"/>).
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string.</param>
    public static WebHooksBuilder UseSqlite(this WebHooksBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var services = builder.Services;
        services.AddSingleton(sp => new SqliteDatabase(connectionString, sp.GetRequiredService<TimeProvider>()));
        // Subscription secrets are kept encrypted with the app's Data Protection key ring.
        services.AddDataProtection();
        services.TryAddSingleton<WebHookSecretProtector>();
        services.Replace(ServiceDescriptor.Singleton<IWebHookIdempotencyStore>(sp =>
            new SqliteWebHookIdempotencyStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<TimeProvider>())));
        // The catch-up cursors, kept across restarts.
        services.Replace(ServiceDescriptor.Singleton<IWebHookCursorStore>(sp => new SqliteWebHookCursorStore(sp.GetRequiredService<SqliteDatabase>())));
        // The producer's outbox: replaces the in-memory default whether AddProducer came first (Replace) or comes later
        // (its TryAdd then finds this one).
        services.Replace(ServiceDescriptor.Singleton<IWebHookStore>(sp =>
            new SqliteWebHookStore(sp.GetRequiredService<SqliteDatabase>(), sp.GetRequiredService<WebHookSecretProtector>())));
        services.AddHostedService<SqliteStorageInitializer>();
        return builder;
    }
}
