-- 017_outgoing_text.sql - the mail the help desk sent is stored with what
-- an agent reads in ticketctl ticket show: its Subject, From and text, as
-- the outbox sender rendered them (before, only the raw bytes, so ticket
-- show listed confirmations and notifications with empty bodies).
-- The old three-argument call still works: a daemon not yet restarted
-- after the upgrade records its mail without the texts.
DROP FUNCTION IF EXISTS outbox_sent(bigint, bytea, text);
