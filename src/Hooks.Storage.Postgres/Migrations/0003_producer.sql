-- The producer's outbox: subscriptions with their normalized filters, messages, one delivery per message and target
-- subscription, and attempts. Ids sort as bytes (COLLATE "C"), whatever the database's collation, as the in-memory
-- store orders them.

-- A subscription; its secrets are Data Protection payloads (never the keys). last_sequence is the feed's counter,
-- bumped inside each append's transaction (row lock: commit order); stamp changes on every write of the record, so
-- a cached record is reused only while it is current.
CREATE TABLE hooks_subscriptions (
    id text COLLATE "C" NOT NULL PRIMARY KEY,
    tenant text COLLATE "C" NOT NULL,
    url text NOT NULL,
    secret_keys bytea[] NOT NULL,
    secret_created_at timestamptz[] NOT NULL,
    secret_expires_at timestamptz[] NOT NULL,
    event_types text[] NOT NULL,
    description text,
    metadata_keys text[] NOT NULL,
    metadata_values text[] NOT NULL,
    status smallint NOT NULL,
    verification smallint NOT NULL,
    verified_url text,
    pending_url text,
    status_reason text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    failing_since timestamptz,
    version bigint NOT NULL,
    stamp uuid NOT NULL,
    last_sequence bigint NOT NULL DEFAULT 0,
    purged_through bigint NOT NULL DEFAULT 0
);
CREATE INDEX hooks_subscriptions_tenant ON hooks_subscriptions (tenant, id);

-- Filters, one row each: exact names, prefixes ('order.' for 'order.*') and one 'all' row (value '') for an empty
-- filter or '*'. A publish looks up the rows whose value is the type, one of its prefixes or '', by (tenant, value).
CREATE TABLE hooks_subscription_filters (
    subscription_id text COLLATE "C" NOT NULL REFERENCES hooks_subscriptions (id) ON DELETE CASCADE,
    tenant text COLLATE "C" NOT NULL,
    kind text NOT NULL CHECK (kind IN ('exact', 'prefix', 'all')),
    value text COLLATE "C" NOT NULL,
    PRIMARY KEY (subscription_id, kind, value)
);
CREATE INDEX hooks_subscription_filters_fan_out ON hooks_subscription_filters (tenant, value);

-- Leasing takes these rows (FOR UPDATE SKIP LOCKED), not the subscription rows appends lock, to hold a
-- subscription's concurrency limit across dispatchers: the lessee counts the subscription's unexpired leases only
-- once it holds its gate, so two dispatchers never both fill the same room.
CREATE TABLE hooks_lease_gates (
    subscription_id text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES hooks_subscriptions (id) ON DELETE CASCADE,
    claim uuid,
    last_leased_at timestamptz NOT NULL DEFAULT '-infinity'
);
CREATE INDEX hooks_lease_gates_claim ON hooks_lease_gates (claim);

CREATE TABLE hooks_messages (
    sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL UNIQUE,
    tenant text COLLATE "C",
    event_type text NOT NULL,
    timestamp timestamptz NOT NULL,
    body bytea NOT NULL,
    trace_parent text,
    idempotency_key text
);
-- Keys are per tenant; a publish to every tenant (tenant NULL) has a namespace of its own ('' is no tenant id).
CREATE UNIQUE INDEX hooks_messages_idempotency ON hooks_messages ((coalesce(tenant, '')), idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX hooks_messages_timestamp ON hooks_messages (timestamp);

-- status: 0 pending, 1 succeeded, 2 failed, 3 skipped. Lease times are the database's clock (shifted by how far the
-- caller's clock is from its host's, so test clocks move them too). Deliveries and attempts are the rows every publish
-- and every attempt writes: no foreign keys (a check per row, inside the append's lock window) and few indexes; the
-- store deletes them with their message or subscription itself. Within a subscription, ids and sequence numbers are
-- given in the same order (both inside the append's lock on it), so listings page by the sequence index.
CREATE TABLE hooks_deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_sequence bigint NOT NULL,
    subscription_id text COLLATE "C" NOT NULL,
    sequence bigint NOT NULL,
    status smallint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_attempt_at timestamptz,
    lease_token uuid,
    lease_expires_at timestamptz,
    redeliver_after_lease boolean NOT NULL DEFAULT false,
    UNIQUE (subscription_id, sequence)
);
-- Due deliveries per subscription, oldest first (leasing, the next due time, the count).
CREATE INDEX hooks_deliveries_due ON hooks_deliveries (subscription_id, next_attempt_at, id) WHERE status = 0;
-- Running leases per subscription (the concurrency limit).
CREATE INDEX hooks_deliveries_leased ON hooks_deliveries (subscription_id, lease_expires_at) WHERE lease_expires_at IS NOT NULL;
-- A message's deliveries (redelivery, purge).
CREATE INDEX hooks_deliveries_message ON hooks_deliveries (message_sequence);

CREATE TABLE hooks_attempts (
    delivery_id bigint NOT NULL,
    ordinal integer NOT NULL,
    number integer NOT NULL,
    started_at timestamptz NOT NULL,
    duration_ticks bigint NOT NULL,
    outcome smallint NOT NULL,
    status_code integer,
    response_body text,
    error text,
    location text,
    PRIMARY KEY (delivery_id, ordinal)
);
