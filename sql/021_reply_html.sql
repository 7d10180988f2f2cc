-- 021_reply_html.sql - an answer keeps its form.
--
-- An agent's HTML answer reaches the customer as HTML, without the quoted
-- history and the command lines: the daemon cuts them (parser/html_sanitize.c)
-- and the database keeps the result beside the sanitized HTML as sent,
-- for the relayed copy and the agents' copy of a note. The attachments of
-- a relayed answer are listed for its relayed copy too (same blobs).
ALTER TABLE messages ADD COLUMN reply_html text;

DO $$
BEGIN
    ALTER TABLE messages ALTER COLUMN reply_html SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: reply_html stays compressed with pglz';
END $$;
