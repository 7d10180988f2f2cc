-- 017_reused_plan.sql - reused_message_ticket() in plpgsql.
--
-- 013 wrote it as a LANGUAGE sql function, which the planner cannot
-- inline (its body has FROM, ORDER BY and LIMIT): called from
-- ingest_message() for every message with a Message-ID, it was parsed and
-- planned again at each call (see 009). Measured with pg_stat_statements
-- (track = all) while make bench stored support mail with durable
-- PostgreSQL: its lookup took 2.6 ms of the 14 ms that ingest_message()
-- took per message, almost all of it planning. plpgsql keeps the plan for
-- the session. The body is 013's.

CREATE OR REPLACE FUNCTION reused_message_ticket(message_id text, queue integer) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT m.ticket_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
            WHERE m.message_id = $1 AND m.direction = 'in' AND t.queue_id = $2
            ORDER BY m.id LIMIT 1);
END $$;
