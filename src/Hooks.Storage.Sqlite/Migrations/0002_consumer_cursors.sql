-- The consumer's catch-up cursors: per receiver and producer subscription, the sequence number of the last feed
-- event settled. Only ever moves forward.
CREATE TABLE hooks_consumer_cursors (
    receiver TEXT NOT NULL,
    subscription TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    PRIMARY KEY (receiver, subscription)
) WITHOUT ROWID;
