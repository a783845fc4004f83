using Hooks.Publishing;
using Microsoft.Data.Sqlite;

namespace Hooks.Storage.Sqlite.Producer;

// Subscriptions: create, read, list, count, versioned update (with their filter rows), delete.
internal sealed partial class SqliteWebHookStore
{
    /// <inheritdoc />
    public async ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!WebHookTenant.IsValid(subscription.Tenant))
        {
            throw new ArgumentException("The subscription's tenant is not a valid tenant id.", nameof(subscription));
        }
        subscription = subscription.Version == 1 ? subscription : subscription with { Version = 1 };
        var secrets = EncodeSecrets(subscription.Secrets); // outside the writer: Data Protection is not free
        return await WriteAsync((Subscription: subscription, Secrets: secrets), static (store, _, transaction, s) =>
        {
            var connection = transaction.Connection!;
            using var insert = Command(connection, transaction, """
                INSERT INTO hooks_subscriptions (id, tenant, url, secrets, event_types, description, metadata, status, verification,
                    verified_url, pending_url, status_reason, created_at, updated_at, version, failing_since)
                VALUES ($id, $tenant, $url, $secrets, $event_types, $description, $metadata, $status, $verification,
                    $verified_url, $pending_url, $status_reason, $created_at, $updated_at, 1, $failing_since)
                ON CONFLICT (id) DO NOTHING
                RETURNING sid
                """);
            BindSubscription(insert, s.Subscription, s.Secrets);
            insert.Parameters.AddWithValue("$id", s.Subscription.Id);
            insert.Parameters.AddWithValue("$tenant", s.Subscription.Tenant);
            insert.Parameters.AddWithValue("$created_at", Ticks(s.Subscription.CreatedAt));
            if (insert.ExecuteScalar() is not long sid)
            {
                return false;
            }
            InsertFilters(transaction, sid, s.Subscription);
            store.Remember(sid, s.Subscription, inWrite: true);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default) =>
        FindSubscriptionAsync(tenant: null, id, cancellationToken);

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string tenant, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return FindSubscriptionAsync(tenant, id, cancellationToken);
    }

    private async ValueTask<WebHookSubscription?> FindSubscriptionAsync(string? tenant, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await ReadAsync((Tenant: tenant, Id: id), static (store, connection, s) =>
        {
            using var select = Command(connection, null, $"SELECT {SubscriptionColumns} FROM hooks_subscriptions s WHERE s.id = $id");
            select.Parameters.AddWithValue("$id", s.Id);
            using var reader = select.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }
            var found = store.ReadSubscription(reader, inWrite: false);
            return s.Tenant is null || found.Tenant == s.Tenant ? found : null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? tenant, string? afterId, int limit,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return await ReadAsync((Tenant: tenant, After: afterId, Limit: limit), static (store, connection, s) =>
        {
            using var select = Command(connection, null, $"""
                SELECT {SubscriptionColumns} FROM hooks_subscriptions s
                WHERE ($tenant IS NULL OR s.tenant = $tenant) AND ($after IS NULL OR s.id > $after)
                ORDER BY s.id LIMIT $limit
                """);
            select.Parameters.AddWithValue("$tenant", Db(s.Tenant));
            select.Parameters.AddWithValue("$after", Db(s.After));
            select.Parameters.AddWithValue("$limit", s.Limit);
            using var reader = select.ExecuteReader();
            var list = new List<WebHookSubscription>();
            while (reader.Read())
            {
                list.Add(store.ReadSubscription(reader, inWrite: false));
            }
            return (IReadOnlyList<WebHookSubscription>)list;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<int> CountSubscriptionsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return await ReadAsync(tenant, static (_, connection, t) =>
        {
            using var count = Command(connection, null, "SELECT count(*) FROM hooks_subscriptions WHERE tenant = $tenant");
            count.Parameters.AddWithValue("$tenant", t);
            return (int)(long)count.ExecuteScalar()!;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<WebHookSubscriptionUpdateResult> UpdateSubscriptionAsync(WebHookSubscription subscription,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var secrets = EncodeSecrets(subscription.Secrets);
        return await WriteAsync((Subscription: subscription, Secrets: secrets), static (store, _, transaction, s) =>
        {
            var connection = transaction.Connection!;
            using var update = Command(connection, transaction, """
                UPDATE hooks_subscriptions SET url = $url, secrets = $secrets, event_types = $event_types, description = $description,
                    metadata = $metadata, status = $status, verification = $verification, verified_url = $verified_url,
                    pending_url = $pending_url, status_reason = $status_reason, updated_at = $updated_at, failing_since = $failing_since,
                    version = version + 1
                WHERE id = $id AND tenant = $tenant AND version = $version
                RETURNING sid, version
                """);
            BindSubscription(update, s.Subscription, s.Secrets);
            update.Parameters.AddWithValue("$id", s.Subscription.Id);
            update.Parameters.AddWithValue("$tenant", s.Subscription.Tenant);
            update.Parameters.AddWithValue("$version", s.Subscription.Version);
            long sid, version;
            using (var reader = update.ExecuteReader())
            {
                if (!reader.Read())
                {
                    reader.Close();
                    using var exists = Command(connection, transaction, "SELECT 1 FROM hooks_subscriptions WHERE id = $id AND tenant = $tenant");
                    exists.Parameters.AddWithValue("$id", s.Subscription.Id);
                    exists.Parameters.AddWithValue("$tenant", s.Subscription.Tenant);
                    return exists.ExecuteScalar() is null ? WebHookSubscriptionUpdateResult.NotFound : WebHookSubscriptionUpdateResult.VersionConflict;
                }
                sid = reader.GetInt64(0);
                version = reader.GetInt64(1);
            }
            using (var clear = Command(connection, transaction, "DELETE FROM hooks_subscription_filters WHERE sid = $sid"))
            {
                clear.Parameters.AddWithValue("$sid", sid);
                clear.ExecuteNonQuery();
            }
            InsertFilters(transaction, sid, s.Subscription);
            store.Remember(sid, s.Subscription with { Version = version }, inWrite: true);
            return WebHookSubscriptionUpdateResult.Updated;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return await WriteAsync(id, static (store, commands, transaction, subscriptionId) =>
        {
            var connection = transaction.Connection!;
            using var find = Command(connection, transaction, "SELECT sid FROM hooks_subscriptions WHERE id = $id");
            find.Parameters.AddWithValue("$id", subscriptionId);
            if (find.ExecuteScalar() is not long sid)
            {
                return false;
            }
            using var delete = Command(connection, transaction, """
                DELETE FROM hooks_attempts WHERE delivery IN (SELECT id FROM hooks_deliveries WHERE sid = $sid);
                DELETE FROM hooks_deliveries WHERE sid = $sid;
                DELETE FROM hooks_subscription_filters WHERE sid = $sid;
                DELETE FROM hooks_subscriptions WHERE sid = $sid;
                """);
            delete.Parameters.AddWithValue("$sid", sid);
            delete.ExecuteNonQuery();
            store._subscriptions.TryRemove(sid, out _);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void BindSubscription(SqliteCommand command, WebHookSubscription subscription, byte[] secrets)
    {
        command.Parameters.AddWithValue("$url", subscription.Url.OriginalString);
        command.Parameters.AddWithValue("$secrets", secrets);
        command.Parameters.AddWithValue("$event_types", EncodeStrings(subscription.EventTypes));
        command.Parameters.AddWithValue("$description", Db(subscription.Description));
        command.Parameters.AddWithValue("$metadata", EncodeMetadata(subscription.Metadata));
        command.Parameters.AddWithValue("$status", (int)subscription.Status);
        command.Parameters.AddWithValue("$verification", (int)subscription.Verification);
        command.Parameters.AddWithValue("$verified_url", Db(subscription.VerifiedUrl?.OriginalString));
        command.Parameters.AddWithValue("$pending_url", Db(subscription.PendingUrl?.OriginalString));
        command.Parameters.AddWithValue("$status_reason", Db(subscription.StatusReason));
        command.Parameters.AddWithValue("$updated_at", Ticks(subscription.UpdatedAt));
        command.Parameters.AddWithValue("$failing_since", Db(subscription.FailingSince?.UtcTicks));
    }

    private static void InsertFilters(SqliteTransaction transaction, long sid, WebHookSubscription subscription)
    {
        using var insert = Command(transaction.Connection!, transaction,
            "INSERT OR IGNORE INTO hooks_subscription_filters (sid, tenant, kind, value) VALUES ($sid, $tenant, $kind, $value)");
        var kind = insert.Parameters.Add("$kind", SqliteType.Integer);
        var value = insert.Parameters.Add("$value", SqliteType.Text);
        insert.Parameters.AddWithValue("$sid", sid);
        insert.Parameters.AddWithValue("$tenant", subscription.Tenant);
        foreach (var (k, v) in FilterRows(subscription.EventTypes))
        {
            kind.Value = k;
            value.Value = v;
            insert.ExecuteNonQuery();
        }
    }
}
