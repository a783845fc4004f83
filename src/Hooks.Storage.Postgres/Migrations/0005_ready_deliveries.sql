-- Leasing looks for a subscription's oldest due deliveries that nobody holds. The due index held every pending
-- delivery, leased ones included, so each lease walked past every delivery in flight (and visited its row to see the
-- lease) twice, once to claim the gate and once to take the rows: with three dispatchers holding up to 32 leases
-- each, a few hundred buffer visits per lease request, the most of any statement. The ready index holds only the
-- pending deliveries nobody leased; a lease takes a delivery out of it (the lease's update already wrote new index
-- entries), a retry or a released lease puts it back. A lease that expired (its dispatcher died) is found through
-- the leased index instead. Instances of the previous version still lease correctly during a rolling deploy, through
-- the (subscription_id, sequence) index, reading the subscription's whole history: keep the overlap short.
CREATE INDEX hooks_deliveries_ready ON hooks_deliveries (subscription_id, next_attempt_at, id) WHERE status = 0 AND lease_expires_at IS NULL;
DROP INDEX hooks_deliveries_due;
