-- depends: runtime_0001_event_store
-- Proof-of-delivery photos, stripped of their metadata (no place, no phone, no time but the
-- delivery's): written in the transaction that appends the job's DeliveryJobDelivered and
-- DeliveryProofRecorded, whose photo_sha256 names the row. Kept out of the event log, since
-- they are large and personal; the association looks at one when a delivery is disputed.
CREATE TABLE dispatch_proof_photos (
    sha256   text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    job_id   uuid        NOT NULL,
    jpeg     bytea       NOT NULL,
    taken_at timestamptz NOT NULL
);
CREATE INDEX dispatch_proof_photos_job ON dispatch_proof_photos (job_id);
