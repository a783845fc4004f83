-- The producer's outbox: subscriptions, messages, deliveries, attempts, idempotency keys.
-- Times are UTC ticks (100 ns since 0001-01-01), so a DateTimeOffset comes back exactly as it was stored.

-- sid: a number never reused (AUTOINCREMENT), so a subscription deleted and created again under its id is another row
-- and caches keyed by (sid, version) never mistake one for the other. last_sequence: the feed's counter, incremented
-- inside each append's transaction (commit order, no gaps). purged_through: the highest feed number retention removed.
-- secrets: each secret protected with Data Protection (WebHookSecretProtector), never the key itself.
CREATE TABLE hooks_subscriptions (
    sid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    url TEXT NOT NULL,
    secrets BLOB NOT NULL,
    event_types TEXT NOT NULL,
    description TEXT,
    metadata TEXT NOT NULL,
    status INTEGER NOT NULL,
    verification INTEGER NOT NULL,
    verified_url TEXT,
    pending_url TEXT,
    status_reason TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    failing_since INTEGER,
    last_sequence INTEGER NOT NULL DEFAULT 0,
    purged_through INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX ix_hooks_subscriptions_tenant ON hooks_subscriptions (tenant, id);

-- Normalized filters: kind 0 = exact name, 1 = prefix ('order.*' stored as 'order.'), 2 = every type (an empty
-- filter or '*'). Fan-out selects targets from these rows inside the append.
CREATE TABLE hooks_subscription_filters (
    sid INTEGER NOT NULL REFERENCES hooks_subscriptions (sid) ON DELETE CASCADE,
    tenant TEXT NOT NULL,
    kind INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sid, kind, value)
) WITHOUT ROWID;

CREATE INDEX ix_hooks_subscription_filters_fanout ON hooks_subscription_filters (tenant, value, kind);
CREATE INDEX ix_hooks_subscription_filters_kind ON hooks_subscription_filters (kind, tenant);

-- seq: the store's position of the message (WebHookMessage.Sequence). tenant NULL: published to every tenant.
CREATE TABLE hooks_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant TEXT,
    event_type TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    body BLOB NOT NULL,
    trace_parent TEXT
);

CREATE INDEX ix_hooks_messages_timestamp ON hooks_messages (timestamp);

-- Per tenant ('' for a publish to every tenant, which no tenant id can be).
CREATE TABLE hooks_idempotency_keys (
    tenant TEXT NOT NULL,
    key TEXT NOT NULL,
    message INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    deliveries INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;

CREATE INDEX ix_hooks_idempotency_keys_message ON hooks_idempotency_keys (message);

-- status: 0 pending, 1 succeeded, 2 failed, 3 skipped. due_at: when the next attempt is due (NextAttemptAt).
-- ready_at: when it may be leased: due_at, or the lease's end while a lease runs (an expired lease makes it due again).
-- due_again: a redelivery was asked for while an attempt ran; one more attempt follows its result.
CREATE TABLE hooks_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message INTEGER NOT NULL,
    sid INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    status INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    ready_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    lease_token BLOB,
    lease_until INTEGER,
    due_again INTEGER NOT NULL DEFAULT 0
);

-- The feed and the listings (ids and sequences grow together within a subscription).
CREATE UNIQUE INDEX ix_hooks_deliveries_feed ON hooks_deliveries (sid, sequence);
-- Due leasing and the next due time, per subscription (oldest first): a dead subscription's backlog is never walked.
CREATE INDEX ix_hooks_deliveries_due ON hooks_deliveries (sid, ready_at) WHERE status = 0;
-- Running leases per subscription (the per-subscription limit).
CREATE INDEX ix_hooks_deliveries_leased ON hooks_deliveries (sid, lease_until) WHERE lease_until IS NOT NULL;
-- A message's deliveries (redelivery, retention).
CREATE INDEX ix_hooks_deliveries_message ON hooks_deliveries (message);

CREATE TABLE hooks_attempts (
    delivery INTEGER NOT NULL,
    number INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    outcome INTEGER NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    error TEXT,
    location TEXT
);

CREATE INDEX ix_hooks_attempts_delivery ON hooks_attempts (delivery);
