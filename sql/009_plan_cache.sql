-- 009_plan_cache.sql - the small helpers of the ingest path, in plpgsql.
--
-- A LANGUAGE sql function that the planner cannot inline (its body has a
-- subquery, or is an INSERT) is parsed and planned again at every call
-- from plpgsql; plpgsql keeps its plans for the session. Measured with
-- track_functions under load: is_queue_address() and message_kind() took
-- about 0.3 ms a call (three and two calls per message), ticket_event()
-- as much, together more than a quarter of ingest_message(). The bodies
-- are those of 005 and 006 (message_kind) and 002 (ticket_event).

CREATE OR REPLACE FUNCTION is_queue_address(addr text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM queues q
                   WHERE q.address = lower(addr)
                      OR (lower(addr) LIKE split_part(q.address, '@', 1) || '+%'
                          AND split_part(lower(addr), '@', 2) = split_part(q.address, '@', 2)));
END $$;

CREATE OR REPLACE FUNCTION message_kind(meta jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN CASE WHEN coalesce(meta->>'kind', 'customer') = 'customer'
                 AND coalesce((meta->>'agent_authenticated')::boolean, false)
                 AND EXISTS (SELECT 1 FROM agents a WHERE a.address = lower(meta->>'from_address'))
           THEN 'agent' ELSE coalesce(meta->>'kind', 'customer') END;
END $$;

CREATE OR REPLACE FUNCTION ticket_event(ticket bigint, actor text, action text, detail jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (ticket_id, actor, action, detail)
    VALUES (ticket, actor, action, coalesce(detail, '{}'));
END $$;
