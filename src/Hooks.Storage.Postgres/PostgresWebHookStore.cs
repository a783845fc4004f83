using System.Collections.Concurrent;
using Hooks.Security;
using Npgsql;
using NpgsqlTypes;

namespace Hooks.Storage.Postgres;

/// <summary>
/// The producer's <see cref="IWebHookStore"/> in PostgreSQL, shared by every instance of the app (migration
/// <c>0003_producer.sql</c>). Each operation is one transaction, mostly one round trip (a statement with data-modifying
/// CTEs, or an <see cref="NpgsqlBatch"/>).
/// </summary>
/// <remarks>
/// <para>
/// Append: one statement locks the target subscriptions in id order (no deadlock between appends), inserts the
/// message, bumps each target's <c>last_sequence</c> and inserts the deliveries with those numbers. The row lock is
/// held to commit, so a subscription's numbers are given in commit order and a feed reader never passes a number that
/// commits later.
/// </para>
/// <para>
/// Leasing: a subscription's unexpired leases are counted only while the lessee holds the subscription's row in
/// <c>hooks_lease_gates</c> (taken <c>FOR UPDATE SKIP LOCKED</c> by one statement, the count made by the next, whose
/// snapshot sees every lease committed before the gate was taken), so dispatchers racing for one subscription never
/// exceed its limit together. Deliveries whose lease expired are taken <c>FOR UPDATE SKIP LOCKED</c> too.
/// </para>
/// <para>
/// Clocks: lease expiry is the database's clock (<c>now()</c>), shifted by how far the caller's <c>now</c> is from
/// this host's clock. A dispatcher passes its host's clock, so the shift is nil and hosts whose clocks disagree never
/// take each other's leases early; a test clock moved forward moves the lease clock with it.
/// </para>
/// <para>
/// Subscriptions: secrets are kept as <see cref="WebHookSecretProtector"/> payloads. Each write gives the row a new
/// <c>stamp</c>; records are cached by id and stamp, so a lease of an unchanged subscription hands out the same record
/// (and secret objects), decrypted once.
/// </para>
/// </remarks>
internal sealed partial class PostgresWebHookStore : IWebHookStore
{
    private const int MaxCachedSubscriptions = 10_000;

    private readonly PostgresDatabase _database;
    private readonly WebHookSecretProtector _protector;
    private readonly TimeProvider _hostClock;
    private readonly ConcurrentDictionary<string, (Guid Stamp, WebHookSubscription Record)> _subscriptions = new(StringComparer.Ordinal);

    public PostgresWebHookStore(PostgresDatabase database, WebHookSecretProtector protector)
        : this(database, protector, TimeProvider.System)
    {
    }

    /// <param name="database">The database.</param>
    /// <param name="protector">Encrypts secrets at rest.</param>
    /// <param name="hostClock">This host's real clock, which the <c>now</c> callers pass is compared with (tests give hosts clocks that disagree).</param>
    internal PostgresWebHookStore(PostgresDatabase database, WebHookSecretProtector protector, TimeProvider hostClock)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(hostClock);
        _database = database;
        _protector = protector;
        _hostClock = hostClock;
    }

    // How far the caller's clock is from this host's: added to the database's clock for lease times.
    private TimeSpan ShiftOf(DateTimeOffset now) => now - _hostClock.GetUtcNow();

    private static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };

    private static NpgsqlParameter<DateTimeOffset> P(DateTimeOffset value) => new() { TypedValue = value.ToUniversalTime() };

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static NpgsqlParameter Text(string? value) => Nullable(value, NpgsqlDbType.Text);

    private static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static DateTimeOffset ReadTime(NpgsqlDataReader reader, int ordinal) =>
        new(reader.GetFieldValue<DateTime>(ordinal), TimeSpan.Zero);

    private static DateTimeOffset? ReadOptionalTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    private static string? ReadOptionalText(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    // Messages as handed out: the columns of `m`, in this order.
    private const string MessageColumns = "m.sequence, m.id, m.tenant, m.event_type, m.timestamp, m.body, m.trace_parent";

    private const int MessageColumnCount = 7;

    private static WebHookMessage ReadMessage(NpgsqlDataReader reader, int at) => new()
    {
        Sequence = reader.GetInt64(at),
        Id = reader.GetString(at + 1),
        Tenant = ReadOptionalText(reader, at + 2),
        EventType = reader.GetString(at + 3),
        Timestamp = ReadTime(reader, at + 4),
        Body = reader.GetFieldValue<byte[]>(at + 5),
        TraceParent = ReadOptionalText(reader, at + 6),
    };
}
