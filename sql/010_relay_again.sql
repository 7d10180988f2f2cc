-- 010_relay_again.sql - an agent's reply that was stored but not relayed
-- is relayed when the MTA brings it again.
--
-- The daemon relays an agent's reply after ingest_message() has stored it.
-- If rewriting the message fails then, or the MTA cannot queue it, the MTA
-- retries the same message later, which was answered as a duplicate: the
-- customer never got the answer. Now the relay instructions are kept with
-- the stored reply (facts->'relay'), and a duplicate of it gets them
-- again. An agent's reply thus reaches the customer at least once, as all
-- outgoing mail here; a second copy carries the same Message-ID.

ALTER FUNCTION ingest_message(jsonb, bytea, bytea) RENAME TO ingest_message_once;

CREATE FUNCTION ingest_message(meta jsonb, raw bytea, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    result  jsonb := ingest_message_once(meta, raw, blob_data);
    msg     bigint := (result->>'message')::bigint;
BEGIN
    IF result ? 'relay' THEN
        UPDATE messages SET facts = facts || jsonb_build_object('relay', result->'relay')
        WHERE id = msg;
    ELSIF coalesce((result->>'duplicate')::boolean, false) THEN
        result := result || coalesce((SELECT jsonb_build_object('relay', m.facts->'relay')
                                      FROM messages m WHERE m.id = msg AND m.facts ? 'relay'), '{}');
    END IF;
    RETURN result;
END $$;
