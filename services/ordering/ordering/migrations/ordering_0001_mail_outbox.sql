-- depends: runtime_0007_mail_outbox
-- The mail outbox moved to the runtime kit (runtime_0007_mail_outbox, issue 16), which every
-- service that sends mail shares. This migration made ordering's table first; it stays, empty,
-- so a database that applied it and one that did not end alike, and so its id stays known.
SELECT 1;
