using System.Data.Common;

namespace Hooks.Publishing;

/// <summary>
/// How one publish is made (<see cref="IWebHookPublisher.PublishAsync{TEvent}(TEvent, WebHookPublishOptions, CancellationToken)"/>):
/// for which tenant, with which idempotency key, and in which of the app's database transactions.
/// </summary>
public sealed class WebHookPublishOptions
{
    /// <summary>The tenant whose subscriptions get the event; <see cref="WebHookTenant.Default"/> unless set.</summary>
    public WebHookTenant Tenant { get; init; }

    /// <summary>
    /// 1 to 256 chars identifying this publish, or <c>null</c> for none: a second publish for the same tenant with the
    /// same key stores nothing and returns the first one's message id.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The app's open transaction to publish in (the outbox pattern), or <c>null</c>: the message and its deliveries are
    /// written on the transaction's connection, so they commit or roll back with the app's own data, and nothing is
    /// sent unless the app commits. Needs a SQL store on the same database: with <c>UseSqlite</c>, a
    /// <c>SqliteTransaction</c> on a connection to the same file; with <c>UsePostgres</c>, an <c>NpgsqlTransaction</c>
    /// on the same database; a store that cannot join it (the in-memory one, or a transaction of another provider or
    /// database) refuses the publish. The publish returns before the app commits; the dispatcher
    /// sends the message once the commit is visible (see docs/storage.md).
    /// </summary>
    public DbTransaction? Transaction { get; init; }
}
