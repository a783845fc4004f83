using Hooks.CatchUp;
using Hooks.Delivery;
using Hooks.Hosting;
using Hooks.Receiving;
using Hooks.Security;
using Hooks.Storage;
using Hooks.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Stores Hooks' state in PostgreSQL, shared by every instance of the app.</summary>
public static class WebHooksPostgresBuilderExtensions
{
    /// <summary>
    /// Keeps Hooks' state in the PostgreSQL database <paramref name="connectionString"/> names, shared by every instance
    /// of the app and kept across restarts: a producer's outbox (subscriptions, messages, deliveries and attempts, the
    /// <see cref="Hooks.Storage.IWebHookStore"/>; its dispatchers on every instance share the work, holding each
    /// subscription's concurrency limit together, and wake through <c>LISTEN/NOTIFY</c> when any instance publishes);
    /// a consumer's handled ids and catch-up cursors. Subscription secrets are encrypted with the app's Data Protection
    /// key ring, which instances must share. The schema is created or migrated when the app starts (once, however many
    /// instances start together). Call it once, before or after <c>AddProducer</c> and <c>AddReceiver</c>.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    public static WebHooksBuilder UsePostgres(this WebHooksBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        // Hooks' own pool hands connections back without a reset: Hooks leaves no session state behind (its settings
        // are transaction-local), and the reset cost three statements on every pooled use (3 % of the statements' time
        // with three dispatchers). The one session state it makes, the notifier's LISTEN, is on a connection outside
        // the pool, so no pooled connection is ever left listening.
        return builder.UsePostgres(_ => new PostgresDatabase(
            NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }),
            NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false })));
    }

    /// <summary>
    /// Keeps Hooks' state in the PostgreSQL database of <paramref name="dataSource"/>, which the app configured and
    /// disposes itself. See <see cref="UsePostgres(WebHooksBuilder, string)"/>.
    /// </summary>
    /// <param name="builder">The Hooks builder.</param>
    /// <param name="dataSource">The app's Npgsql data source.</param>
    public static WebHooksBuilder UsePostgres(this WebHooksBuilder builder, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        return builder.UsePostgres(_ => new PostgresDatabase(dataSource, ownsDataSource: false));
    }

    private static WebHooksBuilder UsePostgres(this WebHooksBuilder builder, Func<IServiceProvider, PostgresDatabase> database)
    {
        var services = builder.Services;
        services.AddSingleton(database);
        // Subscription secrets are kept encrypted with the app's Data Protection key ring.
        services.AddDataProtection();
        services.TryAddSingleton<WebHookSecretProtector>();
        services.Replace(ServiceDescriptor.Singleton<IWebHookIdempotencyStore>(sp =>
            new PostgresWebHookIdempotencyStore(sp.GetRequiredService<PostgresDatabase>(), sp.GetRequiredService<TimeProvider>())));
        // Dispatchers on every instance wake on any instance's publish.
        services.Replace(ServiceDescriptor.Singleton<IWebHookNotifier>(sp =>
        {
            var database = sp.GetRequiredService<PostgresDatabase>();
            return new PostgresWebHookNotifier(database.DataSource, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PostgresWebHookNotifier>>(), database.ListenDataSource);
        }));
        // The producer's outbox, replacing the in-memory default whichever of this and AddProducer came first.
        services.Replace(ServiceDescriptor.Singleton<IWebHookStore>(sp =>
            new PostgresWebHookStore(sp.GetRequiredService<PostgresDatabase>(), sp.GetRequiredService<WebHookSecretProtector>())));
        // The catch-up cursors, kept across restarts.
        services.Replace(ServiceDescriptor.Singleton<IWebHookCursorStore>(sp => new PostgresWebHookCursorStore(sp.GetRequiredService<PostgresDatabase>())));
        services.AddHostedService<PostgresStorageInitializer>();
        return builder;
    }
}
