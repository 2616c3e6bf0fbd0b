-- depends: runtime_0003_store_feed
-- Brute-force throttling (guessing voucher codes, sign-in links): hits per bucket and fixed
-- time window, shared by every API replica of the service. Not part of the event log:
-- operational state, pruned after a day.
CREATE TABLE throttle_hits (
    bucket       text        NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer     NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
