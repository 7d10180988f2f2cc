-- 015_outbox_wake.sql - storing a message no longer NOTIFYs the senders.
--
-- A transaction that sent NOTIFY takes PostgreSQL's global notification
-- lock at commit and holds it until its commit record is flushed, so
-- such transactions commit one after the other, never in a group. With
-- fsync on, 20 connections inserting outbox rows (pgbench, 2 cores)
-- committed 230 to 1000 times a second with the statement trigger of 005
-- and 1650 to 3100 times without it (COMMIT 18 to 81 ms against 4 to 9 ms
-- on average; with synchronous_commit off still 2470 against 3700): every
-- ingest that queued a confirmation or notification paid it, and so did
-- every mail sent (outbox_sent and outbox_failed update status and
-- next_attempt_at).
--
-- Now the daemon that stored a message wakes its own sender threads in
-- process after the commit (outbox_wake()), other daemons find the mail
-- within OutboxPoll, and the notification is kept for what makes a mail
-- due sooner by hand (ticketctl outbox retry): one row trigger, which
-- fires for no insert and for no attempt the senders record.
DROP TRIGGER outbox_changed ON outbox;
CREATE TRIGGER outbox_due_sooner AFTER UPDATE OF next_attempt_at, status ON outbox
    FOR EACH ROW
    WHEN (NEW.status = 'pending'
          AND (OLD.status <> 'pending' OR NEW.next_attempt_at < OLD.next_attempt_at))
    EXECUTE FUNCTION outbox_notify();
