-- The consumer's idempotency store: one row per message id a receiver claimed or handled.
-- until_ms: Unix milliseconds; a claim's lease end, or how long a handled id is remembered.
CREATE TABLE hooks_consumer_idempotency (
    key TEXT NOT NULL PRIMARY KEY,
    handled INTEGER NOT NULL,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX ix_hooks_consumer_idempotency_until ON hooks_consumer_idempotency (until_ms);
