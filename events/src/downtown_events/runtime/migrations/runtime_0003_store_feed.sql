-- depends: runtime_0002_parked_events
-- The service's own store as a feed, for projections of private events (never on Kafka).
--
-- tx_id is the writing transaction's id. Positions come from a sequence and commit out of
-- order, so "everything after position p" may still grow below p; but every transaction
-- with an id below pg_snapshot_xmin(pg_current_snapshot()) has ended, so the events of
-- those transactions, ordered by (tx_id, position), are final: a feed that reads only
-- them, and remembers the last (tx_id, position) it read, misses nothing.
ALTER TABLE events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_in_commit_order ON events (tx_id, position);

-- How far each store-fed consumer has read (the feed's cursor).
CREATE TABLE store_checkpoints (
    consumer text   PRIMARY KEY,
    tx_id    xid8   NOT NULL,
    position bigint NOT NULL
);

-- What a store-fed consumer could not decode or apply. Kept here rather than on the
-- dead-letter topic: a private event must not leave the service, not even as a dead letter.
CREATE TABLE store_dead_letters (
    consumer  text        NOT NULL,
    position  bigint      NOT NULL,
    reason    text        NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, position)
);
