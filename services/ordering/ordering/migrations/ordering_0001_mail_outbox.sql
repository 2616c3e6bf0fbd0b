-- depends: runtime_0005_published_version
-- The mail outbox: every e-mail an order event calls for, written by the notifier consumer in
-- the same transaction as its tracking row, so a redelivered event adds nothing (the message
-- id is made of the event's id and the recipient's role: ON CONFLICT DO NOTHING). The sender
-- (a scheduled job: one round at a time across replicas, under the job runner's advisory lock)
-- claims a row just before handing the message to the SMTP server and marks it sent when the
-- server has taken it; a row found claimed when a round begins (its sender died in between) is
-- never sent again blindly but marked 'uncertain' for an operator. Operational state, not part
-- of the event log; sent rows may be pruned.
--
--   pending    waiting to be sent (next_attempt_at: not before then, after a temporary failure)
--   sending    claimed by a sender (claim_id) that is handing it to the server right now
--   sent       the server accepted it (finished_at)
--   refused    the server refused it for good (5xx, a bad address): last_error says why
--   expired    not sent within the sender's patience (two days): last_error says what failed
--   uncertain  claimed, then its sender died before it could mark the outcome: maybe sent once,
--              maybe not at all; never sent twice
CREATE TABLE mail_outbox (
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
    last_error      text
);
-- What the sender looks for: pending rows that are due, and claims left behind.
CREATE INDEX mail_outbox_open ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
