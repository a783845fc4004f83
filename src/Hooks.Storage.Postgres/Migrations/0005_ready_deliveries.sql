-- Leasing looks for a subscription's oldest due deliveries that nobody holds. The due index held every pending
-- delivery, leased ones included, so each lease walked past every delivery in flight and visited its row to see the
-- lease, twice (to claim the gate, then to take the rows): 72 rows each time with three dispatchers (measured with
-- auto_explain), and more as dispatchers are added. The ready index holds only the pending deliveries nobody leased;
-- a lease takes a delivery out of it (the lease's update already wrote new index entries), a retry or a released
-- lease puts it back. A lease that expired (its dispatcher died) is found through the leased index instead.
-- Instances of the previous version still lease correctly during a rolling deploy, but their lease queries have no
-- index of their own any more and read the subscription's settled deliveries too: keep the overlap short.
CREATE INDEX hooks_deliveries_ready ON hooks_deliveries (subscription_id, next_attempt_at, id) WHERE status = 0 AND lease_expires_at IS NULL;
DROP INDEX hooks_deliveries_due;
