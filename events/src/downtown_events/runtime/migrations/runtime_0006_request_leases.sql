-- depends: runtime_0005_published_version
-- One request per Idempotency-Key at a time, across API replicas: a lease row, taken and
-- given back by one short statement each, so that no pooled connection is held while the
-- request runs. A lease whose holder died (SIGKILL, a lost node) expires by itself.
-- Operational state, not part of the event log.
CREATE TABLE request_leases (
    lease      text        PRIMARY KEY,
    holder     uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);
