-- Events a consumer received before an earlier version of their stream (a version that
-- skips ahead, e.g. after partitions were added and a stream's events moved partition).
-- They wait here, with the whole record, until the missing versions are applied, and are
-- then applied in the same transaction. Counted by a metric and shown on /healthz/ready
-- when one waits too long: never silently dropped.
CREATE TABLE parked_events (
    consumer     text        NOT NULL,
    stream_id    text        NOT NULL,
    version      integer     NOT NULL,
    topic        text        NOT NULL,
    "partition"  integer     NOT NULL,
    "offset"     bigint      NOT NULL,
    key          bytea,
    value        bytea,
    header_names text[]      NOT NULL,
    header_values bytea[]    NOT NULL,
    parked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_id, version)
);
