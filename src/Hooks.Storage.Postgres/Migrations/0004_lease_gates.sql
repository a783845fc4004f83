-- Leasing no longer writes a claim into the gate rows: the gates a lease holds are passed from its first statement to
-- the next in a transaction-local setting. Without the claim index, the one write a lease makes to a gate
-- (last_leased_at, not indexed) is a HOT update, and the spare room on each page keeps it one: a busy subscription's
-- gate row no longer leaves a dead version and an index entry behind for every lease. The claim column stays: an
-- instance still on the previous version during a rolling deploy writes and reads it (without the index, a scan of
-- the gate rows, which are one per subscription).
DROP INDEX IF EXISTS hooks_lease_gates_claim;
ALTER TABLE hooks_lease_gates SET (fillfactor = 50);

-- Deliveries are a queue: every one is inserted, leased, recorded and (after retention) deleted, and each of those
-- leaves a dead row version whose index entries a lease's scan of the due index walks past until a vacuum removes
-- them. Vacuum them after 2 % of the table changed rather than the default 20 %, so a large outbox is not vacuumed
-- only after millions of deliveries; and the gate rows, rewritten by every lease, after a few hundred updates.
ALTER TABLE hooks_deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE hooks_lease_gates SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200);
