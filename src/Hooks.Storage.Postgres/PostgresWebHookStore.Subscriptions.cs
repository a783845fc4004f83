using Hooks.Publishing;
using Npgsql;
using NpgsqlTypes;

namespace Hooks.Storage.Postgres;

// Subscriptions: create, read, list, count, versioned update, delete; their filter rows and the record cache.
internal sealed partial class PostgresWebHookStore
{
    private const string SubscriptionColumns =
        "s.id, s.tenant, s.url, s.secret_keys, s.secret_created_at, s.secret_expires_at, s.event_types, s.description, " +
        "s.metadata_keys, s.metadata_values, s.status, s.verification, s.verified_url, s.pending_url, s.status_reason, " +
        "s.created_at, s.updated_at, s.failing_since, s.version, s.stamp";

    private const string SubscriptionValues =
        "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20";

    /// <inheritdoc />
    public async ValueTask<bool> CreateSubscriptionAsync(WebHookSubscription subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!WebHookTenant.IsValid(subscription.Tenant))
        {
            throw new ArgumentException("The subscription's tenant is not a valid tenant id.", nameof(subscription));
        }
        subscription = subscription.Version == 1 ? subscription : subscription with { Version = 1 };
        var stamp = Guid.NewGuid();
        var (kinds, values) = FilterRows(subscription.EventTypes);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command(
            $"INSERT INTO hooks_subscriptions ({SubscriptionColumns.Replace("s.", "", StringComparison.Ordinal)}) VALUES ({SubscriptionValues}) ON CONFLICT (id) DO NOTHING",
            SubscriptionParameters(subscription, stamp)));
        batch.BatchCommands.Add(Command("""
            INSERT INTO hooks_subscription_filters (subscription_id, tenant, kind, value)
            SELECT s.id, s.tenant, f.kind, f.value FROM hooks_subscriptions s, unnest($2::text[], $3::text[]) AS f (kind, value)
            WHERE s.id = $1 AND s.stamp = $4
            """, P(subscription.Id), P(kinds), P(values), P(stamp)));
        batch.BatchCommands.Add(Command("""
            INSERT INTO hooks_lease_gates (subscription_id) SELECT s.id FROM hooks_subscriptions s WHERE s.id = $1 AND s.stamp = $2
            """, P(subscription.Id), P(stamp)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (batch.BatchCommands[0].RecordsAffected == 0)
        {
            return false;
        }
        Remember(subscription, stamp);
        return true;
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "Only the trailing CancellationToken is optional, as in the BCL.")]
    public ValueTask<WebHookSubscription?> GetSubscriptionAsync(string id, CancellationToken cancellationToken = default) =>
        FindSubscriptionAsync(null, id, cancellationToken);

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
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"SELECT {SubscriptionColumns} FROM hooks_subscriptions s WHERE s.id = $1 AND ($2::text IS NULL OR s.tenant = $2)", connection);
        command.Parameters.Add(P(id));
        command.Parameters.Add(Text(tenant));
        await command.PrepareAsync(cancellationToken).ConfigureAwait(false); // persistent per connection: planned once
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadSubscription(reader, 0) : null;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WebHookSubscription>> ListSubscriptionsAsync(string? tenant, string? afterId, int limit,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            SELECT {SubscriptionColumns} FROM hooks_subscriptions s
            WHERE ($1::text IS NULL OR s.tenant = $1) AND ($2::text IS NULL OR s.id > $2)
            ORDER BY s.id LIMIT $3
            """, connection);
        command.Parameters.Add(Text(tenant));
        command.Parameters.Add(Text(afterId));
        command.Parameters.Add(P(limit));
        var list = new List<WebHookSubscription>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadSubscription(reader, 0));
        }
        return list;
    }

    /// <inheritdoc />
    public async ValueTask<int> CountSubscriptionsAsync(string tenant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT count(*)::int FROM hooks_subscriptions WHERE tenant = $1", connection);
        command.Parameters.Add(P(tenant));
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async ValueTask<WebHookSubscriptionUpdateResult> UpdateSubscriptionAsync(WebHookSubscription subscription,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var stamp = Guid.NewGuid();
        var (kinds, values) = FilterRows(subscription.EventTypes);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection);
        // $1 id and $2 tenant match; the version read ($19) must be the stored one; the rest is replaced.
        batch.BatchCommands.Add(Command("""
            UPDATE hooks_subscriptions SET url = $3, secret_keys = $4, secret_created_at = $5, secret_expires_at = $6,
                event_types = $7, description = $8, metadata_keys = $9, metadata_values = $10, status = $11,
                verification = $12, verified_url = $13, pending_url = $14, status_reason = $15, created_at = $16,
                updated_at = $17, failing_since = $18, version = version + 1, stamp = $20
            WHERE id = $1 AND tenant = $2 AND version = $19
            """, SubscriptionParameters(subscription, stamp)));
        // The filter rows follow, only when the update happened (its new stamp is there).
        batch.BatchCommands.Add(Command("""
            DELETE FROM hooks_subscription_filters f USING hooks_subscriptions s
            WHERE f.subscription_id = $1 AND s.id = $1 AND s.stamp = $2
            """, P(subscription.Id), P(stamp)));
        batch.BatchCommands.Add(Command("""
            INSERT INTO hooks_subscription_filters (subscription_id, tenant, kind, value)
            SELECT s.id, s.tenant, f.kind, f.value FROM hooks_subscriptions s, unnest($2::text[], $3::text[]) AS f (kind, value)
            WHERE s.id = $1 AND s.stamp = $4
            """, P(subscription.Id), P(kinds), P(values), P(stamp)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (batch.BatchCommands[0].RecordsAffected == 1)
        {
            Remember(subscription with { Version = subscription.Version + 1 }, stamp);
            return WebHookSubscriptionUpdateResult.Updated;
        }
        return await ExistsAsync(subscription, cancellationToken).ConfigureAwait(false)
            ? WebHookSubscriptionUpdateResult.VersionConflict
            : WebHookSubscriptionUpdateResult.NotFound;
    }

    private async ValueTask<bool> ExistsAsync(WebHookSubscription subscription, CancellationToken cancellationToken)
    {
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM hooks_subscriptions WHERE id = $1 AND tenant = $2)", connection);
        command.Parameters.Add(P(subscription.Id));
        command.Parameters.Add(P(subscription.Tenant));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteSubscriptionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await using var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        // One transaction. The row is locked first: appends to it finish before, and later ones find it gone, so no
        // delivery is left behind. Filters and gate go with it (ON DELETE CASCADE); deliveries and attempts are deleted here.
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(Command("SELECT 1 FROM hooks_subscriptions WHERE id = $1 FOR UPDATE", P(id)));
        batch.BatchCommands.Add(Command(
            "DELETE FROM hooks_attempts a USING hooks_deliveries d WHERE d.subscription_id = $1 AND a.delivery_id = d.id", P(id)));
        batch.BatchCommands.Add(Command("DELETE FROM hooks_deliveries WHERE subscription_id = $1", P(id)));
        batch.BatchCommands.Add(Command("DELETE FROM hooks_subscriptions WHERE id = $1", P(id)));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var deleted = batch.BatchCommands[3].RecordsAffected > 0;
        _subscriptions.TryRemove(id, out _);
        return deleted;
    }

    // One row per filter: 'exact' for a name, 'prefix' ('order.') for 'order.*', one 'all' ('') for '*' or no filter.
    private static (string[] Kinds, string[] Values) FilterRows(IReadOnlyList<string> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var rows = new HashSet<(string Kind, string Value)>();
        if (filters.Count == 0)
        {
            rows.Add(("all", ""));
        }
        foreach (var filter in filters)
        {
            if (filter == "*")
            {
                rows.Add(("all", ""));
            }
            else if (filter.EndsWith(".*", StringComparison.Ordinal))
            {
                rows.Add(("prefix", filter[..^1]));
            }
            else
            {
                rows.Add(("exact", filter));
            }
        }
        return ([.. rows.Select(r => r.Kind)], [.. rows.Select(r => r.Value)]);
    }

    // The filter values that can take an event type: itself, each of its prefixes up to a dot, and '' (all).
    private static string[] FilterValuesFor(string eventType)
    {
        var values = new List<string>(4) { eventType, "" };
        for (var i = eventType.IndexOf('.', StringComparison.Ordinal); i >= 0 && i < eventType.Length - 1;
             i = eventType.IndexOf('.', i + 1))
        {
            values.Add(eventType[..(i + 1)]);
        }
        return [.. values];
    }

    private NpgsqlParameter[] SubscriptionParameters(WebHookSubscription subscription, Guid stamp)
    {
        var secrets = subscription.Secrets;
        var keys = new byte[secrets.Count][];
        var created = new DateTime[secrets.Count];
        var expires = new DateTime?[secrets.Count];
        for (var i = 0; i < secrets.Count; i++)
        {
            keys[i] = _protector.Protect(secrets[i].Secret);
            created[i] = secrets[i].CreatedAt.UtcDateTime;
            expires[i] = secrets[i].ExpiresAt?.UtcDateTime;
        }
        var metadataKeys = subscription.Metadata.Keys.ToArray();
        var metadataValues = metadataKeys.Select(k => subscription.Metadata[k]).ToArray();
        return
        [
            P(subscription.Id), P(subscription.Tenant), P(subscription.Url.OriginalString), P(keys), P(created), P(expires),
            P(subscription.EventTypes.ToArray()), Text(subscription.Description), P(metadataKeys), P(metadataValues),
            P((short)subscription.Status), P((short)subscription.Verification), Text(subscription.VerifiedUrl?.OriginalString),
            Text(subscription.PendingUrl?.OriginalString), Text(subscription.StatusReason), P(subscription.CreatedAt),
            P(subscription.UpdatedAt), Nullable(subscription.FailingSince?.UtcDateTime, NpgsqlDbType.TimestampTz), P(subscription.Version),
            P(stamp),
        ];
    }

    private void Remember(WebHookSubscription subscription, Guid stamp)
    {
        if (_subscriptions.Count >= MaxCachedSubscriptions)
        {
            _subscriptions.Clear(); // subscriptions come and go: start again rather than grow
        }
        _subscriptions[subscription.Id] = (stamp, subscription);
    }

    // The record of a row read with SubscriptionColumns from `at`: the cached one while its stamp is current, so an
    // unchanged subscription is decrypted once and handed out as the same record.
    private WebHookSubscription ReadSubscription(NpgsqlDataReader reader, int at)
    {
        var id = reader.GetString(at);
        var stamp = reader.GetGuid(at + 19);
        if (_subscriptions.TryGetValue(id, out var cached) && cached.Stamp == stamp)
        {
            return cached.Record;
        }
        var keys = reader.GetFieldValue<byte[][]>(at + 3);
        var created = reader.GetFieldValue<DateTime[]>(at + 4);
        var expires = reader.GetFieldValue<DateTime?[]>(at + 5);
        var secrets = new WebHookSubscriptionSecret[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            secrets[i] = new WebHookSubscriptionSecret(_protector.Unprotect(keys[i]), new DateTimeOffset(created[i], TimeSpan.Zero),
                expires[i] is { } e ? new DateTimeOffset(e, TimeSpan.Zero) : null);
        }
        var metadataKeys = reader.GetFieldValue<string[]>(at + 8);
        var metadataValues = reader.GetFieldValue<string[]>(at + 9);
        var metadata = new Dictionary<string, string>(metadataKeys.Length, StringComparer.Ordinal);
        for (var i = 0; i < metadataKeys.Length; i++)
        {
            metadata[metadataKeys[i]] = metadataValues[i];
        }
        var record = new WebHookSubscription
        {
            Id = id,
            Tenant = reader.GetString(at + 1),
            Url = new Uri(reader.GetString(at + 2), UriKind.Absolute),
            Secrets = secrets,
            EventTypes = reader.GetFieldValue<string[]>(at + 6),
            Description = ReadOptionalText(reader, at + 7),
            Metadata = metadata,
            Status = (WebHookSubscriptionStatus)reader.GetInt16(at + 10),
            Verification = (WebHookIntentVerificationMode)reader.GetInt16(at + 11),
            VerifiedUrl = ReadOptionalText(reader, at + 12) is { } verified ? new Uri(verified, UriKind.Absolute) : null,
            PendingUrl = ReadOptionalText(reader, at + 13) is { } pending ? new Uri(pending, UriKind.Absolute) : null,
            StatusReason = ReadOptionalText(reader, at + 14),
            CreatedAt = ReadTime(reader, at + 15),
            UpdatedAt = ReadTime(reader, at + 16),
            FailingSince = ReadOptionalTime(reader, at + 17),
            Version = reader.GetInt64(at + 18),
        };
        Remember(record, stamp);
        return record;
    }
}
