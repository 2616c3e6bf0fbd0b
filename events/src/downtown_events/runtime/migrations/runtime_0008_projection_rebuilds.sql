-- depends: runtime_0007_mail_outbox
-- What every rebuild of one of the service's projections found (downtown_events.runtime
-- rebuild_records): the audit trail an association reads (GET /projections/rebuilds) to see
-- that a projection rebuilt from the log still equals the live one, or that it differed and
-- was forced. One row per run, written when it ends; a run that failed midway is written too
-- (matches false, note says why) when the database can still take it. Operational state,
-- not part of the event log; old rows may be pruned.
--
-- tables: {"<table>": {"live_rows": n, "live_checksum": "…", "rebuilt_rows": n,
--          "rebuilt_checksum": "…"}}, for each table the rebuild compared (none when it
--          failed before comparing).
CREATE TABLE IF NOT EXISTS projection_rebuilds (
    id           bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection   text             NOT NULL,
    started_at   timestamptz      NOT NULL,
    finished_at  timestamptz      NOT NULL,
    events_read  bigint           NOT NULL DEFAULT 0 CHECK (events_read >= 0),
    undecodable  bigint           NOT NULL DEFAULT 0 CHECK (undecodable >= 0),
    seconds      double precision NOT NULL DEFAULT 0 CHECK (seconds >= 0),
    tables       jsonb            NOT NULL DEFAULT '{}',
    matches      boolean          NOT NULL,
    swapped      boolean          NOT NULL,
    forced       boolean          NOT NULL DEFAULT false,
    note         text             NOT NULL DEFAULT ''
);
-- The route reads the newest first.
CREATE INDEX IF NOT EXISTS projection_rebuilds_newest ON projection_rebuilds (finished_at DESC, id DESC);
