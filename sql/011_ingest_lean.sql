-- 011_ingest_lean.sql - fewer statements per stored message.
--
-- Measured with pg_stat_statements and track_functions while make bench
-- sends support mail, these were work that could be left out:
--  * every message row was written twice: INSERT, then an UPDATE of
--    its autoreply column, which copied the whole row and, on a full
--    page, all six index entries. The confirmation is now decided before
--    the INSERT, so the row is written once;
--  * a new ticket was updated (updated_at) right after its INSERT, and
--    read back at the end; a reply's ticket was updated twice;
--  * message_kind() ran twice, and is_queue_address() ran a query for an
--    absent X-Loop header, twice; the customer's language was updated
--    when the message named none;
--  * ingest_message() was a wrapper (010) around ingest_message_once():
--    one body again, which looks up a duplicate's relay instructions in
--    the same query that finds it;
--  * ticket_number_next() was a LANGUAGE sql function the planner cannot
--    inline, so it was parsed and planned at every new ticket;
--  * the statements inside were planned anew at each call: plpgsql's
--    cached plans stay custom plans when a generic one does not look
--    cheaper, and these statements take their values from meta. Their
--    generic plans are index scans (make bench shows them with 1,000,000
--    stored messages), so ingest_message() now forces them.
-- The stored message, its ticket, events and outgoing mail are the same
-- as before. The bodies below are those of 002 and 010 (ingest_message)
-- and 005 (ingest_after), changed as said.
--
-- Raw messages, texts and attachment content are compressed with lz4,
-- several times faster than pglz at about the same size for mail; rows
-- stored before keep pglz. A server built without lz4 keeps pglz.

DO $$
BEGIN
    ALTER TABLE messages ALTER COLUMN raw SET COMPRESSION lz4,
                         ALTER COLUMN body_text SET COMPRESSION lz4,
                         ALTER COLUMN reply_text SET COMPRESSION lz4,
                         ALTER COLUMN html SET COMPRESSION lz4;
    ALTER TABLE blobs ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: stored mail stays compressed with pglz';
END $$;

-- The signatures that changed (the bodies: sql/functions/ingest.sql).
DROP FUNCTION IF EXISTS ingest_after(tickets, bigint, jsonb, boolean, text);
DROP FUNCTION IF EXISTS ingest_message(jsonb, bytea, bytea);
DROP FUNCTION IF EXISTS ingest_message_once(jsonb, bytea, bytea);
