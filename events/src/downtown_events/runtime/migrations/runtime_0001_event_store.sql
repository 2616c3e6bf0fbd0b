-- The event store, the transactional outbox and consumers' tracking tables.

-- Every event ever written by this service in this town. (stream_id, version) is the
-- optimistic-concurrency guard: a second writer of the same version gets a unique
-- violation, never a lost update. position is global and increasing; it can have gaps
-- (rolled-back transactions) and is not a commit-order guarantee across streams.
-- data and metadata are json, not jsonb: kept exactly as written (the log is forever), and
-- cheaper to insert; nothing queries inside them, readers decode them in the service.
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id       text        NOT NULL,
    version         integer     NOT NULL CHECK (version >= 1),
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  smallint    NOT NULL,
    data            json        NOT NULL,
    metadata        json        NOT NULL DEFAULT '{}',
    recorded_at     timestamptz NOT NULL,
    CONSTRAINT events_stream_version UNIQUE (stream_id, version)
);

-- Positions of events not yet published to Kafka. Written in the same statement as
-- the events; the relay deletes a row once Kafka acknowledged the record.
CREATE TABLE outbox (
    position bigint PRIMARY KEY
);

-- What each consumer has applied, per stream: a redelivered or duplicated event has a
-- version <= the one recorded here and is skipped. Written in the consumer's effect
-- transaction.
CREATE TABLE tracking (
    consumer  text    NOT NULL,
    stream_id text    NOT NULL,
    version   integer NOT NULL,
    PRIMARY KEY (consumer, stream_id)
);

-- How far each consumer has read each partition (next offset to read). Used to report
-- lag and to line a projection rebuild up with the live projection before a swap.
CREATE TABLE tracking_offsets (
    consumer    text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (consumer, topic, partition)
);
