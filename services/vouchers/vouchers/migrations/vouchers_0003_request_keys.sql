-- depends: vouchers_0002_published_versions
-- What each Idempotency-Key of a redemption or refund was first used for. A voucher's stream
-- recognises a retried request by its id, but only on that voucher: the same key sent with
-- another code (another voucher, another stream) would redeem a second time under the same
-- id. A key claimed here for one request is refused for any other (HTTP 422). Operational
-- state, not part of the event log; rows older than 90 days are pruned.
CREATE TABLE request_keys (
    scope       text        NOT NULL,
    key         text        NOT NULL,
    fingerprint text        NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
