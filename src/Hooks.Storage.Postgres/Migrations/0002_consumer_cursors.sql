-- The consumer's catch-up cursors: per receiver and producer subscription, the sequence number of the last feed
-- event settled. Only ever moves forward.
CREATE TABLE hooks_consumer_cursors (
    receiver text NOT NULL,
    subscription text NOT NULL,
    sequence bigint NOT NULL,
    PRIMARY KEY (receiver, subscription)
);
