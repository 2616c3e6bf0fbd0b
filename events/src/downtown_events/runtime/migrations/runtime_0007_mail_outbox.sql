-- depends: runtime_0006_request_leases
-- The mail outbox (downtown_events.runtime.mail_outbox): every e-mail a service's events call
-- for, written by its notifier consumer in the same transaction as its tracking row, so a
-- redelivered event adds nothing (the message id is made of the event's id and the
-- recipient's role: ON CONFLICT DO NOTHING). The sender (a scheduled job: one round at a time
-- across replicas, under the job runner's advisory lock) claims a row just before handing the
-- message to the SMTP server and marks it sent when the server has taken it. E-mails go at
-- least once (docs/decisions.md § 28): a claim found open when a round begins (its sender
-- died or was cancelled mid-send), or a DATA that got no answer, puts the mail back to
-- 'pending', sent again after a pause with the same Message-ID header; resends counts how
-- often; after the sender's limit it ends 'uncertain' for an operator. Operational state, not
-- part of the event log; sent rows may be pruned.
--
-- Ordering had this table first (ordering_0001_mail_outbox, ordering_0002_mail_resends, now
-- empty): in its databases the table is there already, in the same shape, and nothing here
-- changes it (IF NOT EXISTS); every other service's database gets it new.
--
--   pending    waiting to be sent (next_attempt_at: not before then), also after an unknown
--              outcome (resends > 0; the row keeps the stale claim_id until a new claim, so a
--              sender still waiting for the server's answer can mark the mail sent)
--   sending    claimed by a sender (claim_id) that is handing it to the server right now
--   sent       the server accepted it, at least once: with resends > 0 maybe twice, or more
--   refused    the server refused it for good (5xx, a bad address): last_error says why
--   expired    not sent within the sender's patience (two days): last_error says what failed
--   uncertain  the outcome was still unknown after the last resend allowed: maybe sent, maybe
--              lost, for an operator to check and requeue
CREATE TABLE IF NOT EXISTS mail_outbox (
    message_id      text        PRIMARY KEY,
    about           text        NOT NULL,
    to_address      text        NOT NULL,
    to_name         text        NOT NULL DEFAULT '',
    reply_to        text,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    language        text        NOT NULL,
    attachments     jsonb       NOT NULL DEFAULT '[]',
    queued_at       timestamptz NOT NULL DEFAULT now(),
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'refused', 'expired', 'uncertain')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claim_id        uuid,
    claimed_at      timestamptz,
    finished_at     timestamptz,
    last_error      text,
    resends         integer     NOT NULL DEFAULT 0 CHECK (resends >= 0)
);
-- What the sender looks for: pending rows that are due, and claims left behind.
CREATE INDEX IF NOT EXISTS mail_outbox_open ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
-- An ordering database that had ordering_0001 but not yet ordering_0002 gets its resends here.
ALTER TABLE mail_outbox ADD COLUMN IF NOT EXISTS resends integer NOT NULL DEFAULT 0 CHECK (resends >= 0);
