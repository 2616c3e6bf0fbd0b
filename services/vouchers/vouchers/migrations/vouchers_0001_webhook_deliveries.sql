-- depends: runtime_0004_throttle
-- Payment-provider callbacks already taken, by signature: a callback replayed (the same
-- signed request sent again) is refused instead of confirming anything twice. Operational
-- state, not part of the event log; rows older than a day are pruned.
CREATE TABLE webhook_deliveries (
    signature   text        PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now()
);
