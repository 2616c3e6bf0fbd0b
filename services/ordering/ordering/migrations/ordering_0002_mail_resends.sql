-- depends: ordering_0001_mail_outbox
-- The mail outbox's resends column moved with the table to the runtime kit
-- (runtime_0007_mail_outbox, issue 16; decisions.md § 28 says what it counts). This migration
-- added it to ordering's table first; it stays, empty, for the databases that applied it.
SELECT 1;
