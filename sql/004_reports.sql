-- 004_reports.sql - what ticketctl stats and report read, as views an
-- admin can also query with psql; retired queues; refreshing a stored
-- message's parsed content (ticketctl message replay).

-- A retired queue keeps its tickets but takes no more mail: the daemon
-- loads only the active addresses (ticketctl queue remove --keep-tickets).
ALTER TABLE queues ADD COLUMN retired_at timestamptz;

-- report_tickets - one row per ticket with the times the reports need.
-- first_response_at: the ticket's own, else its first agent message;
-- solved_at: the last change to solved or closed, from the event log.
CREATE VIEW report_tickets AS
SELECT t.id AS ticket_id, t.number, t.queue_id, q.address AS queue, t.status,
       t.assignee, t.created_at, t.closed_at,
       coalesce(t.first_response_at,
                (SELECT min(m.received_at) FROM messages m
                 WHERE m.ticket_id = t.id AND m.kind = 'agent')) AS first_response_at,
       (SELECT max(e.at) FROM events e
        WHERE e.ticket_id = t.id AND e.action = 'status'
          AND e.detail->>'to' IN ('solved', 'closed')) AS solved_at
FROM tickets t JOIN queues q ON q.id = t.queue_id;

-- report_messages - one row per stored message, with its ticket's queue
CREATE VIEW report_messages AS
SELECT m.id AS message_id, m.ticket_id, t.queue_id, q.address AS queue, t.assignee,
       m.direction, m.kind, m.received_at, m.size,
       jsonb_array_length(coalesce(m.facts->'bounds_hit', '[]')) > 0 AS bounds_hit
FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id;

-- report_figures - per group of tickets (by 'queue' or by 'assignee'),
-- since a time: tickets created and solved in the period, customer
-- messages and agent replies received in the period, the first-response
-- median and 90th percentile in seconds (tickets created in the period
-- that got an answer), and the open backlog now, by age. Tickets record
-- their assignee as text; unassigned tickets form the group NULL.
CREATE FUNCTION report_figures(group_by text, since timestamptz)
RETURNS TABLE (grp text, created bigint, solved bigint, customer_messages bigint,
               replies bigint, first_response_median_s double precision,
               first_response_p90_s double precision, open bigint, open_under_1d bigint,
               open_1d_to_7d bigint, open_over_7d bigint)
LANGUAGE sql STABLE AS $$
    WITH t AS (SELECT r.*, CASE group_by WHEN 'queue' THEN r.queue ELSE r.assignee END AS grp,
                      extract(epoch FROM r.first_response_at - r.created_at) AS response_s,
                      r.status NOT IN ('solved', 'closed') AS is_open,
                      now() - r.created_at AS age
               FROM report_tickets r),
         m AS (SELECT CASE group_by WHEN 'queue' THEN rm.queue ELSE rm.assignee END AS grp,
                      count(*) FILTER (WHERE rm.direction = 'in' AND rm.kind = 'customer') AS customer_messages,
                      count(*) FILTER (WHERE rm.kind = 'agent') AS replies
               FROM report_messages rm WHERE rm.received_at >= since GROUP BY 1)
    SELECT t.grp,
           count(*) FILTER (WHERE t.created_at >= since),
           count(*) FILTER (WHERE t.solved_at >= since),
           coalesce(max(m.customer_messages), 0),
           coalesce(max(m.replies), 0),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY t.response_s)
               FILTER (WHERE t.created_at >= since AND t.response_s IS NOT NULL),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY t.response_s)
               FILTER (WHERE t.created_at >= since AND t.response_s IS NOT NULL),
           count(*) FILTER (WHERE t.is_open),
           count(*) FILTER (WHERE t.is_open AND t.age < interval '1 day'),
           count(*) FILTER (WHERE t.is_open AND t.age >= interval '1 day' AND t.age < interval '7 days'),
           count(*) FILTER (WHERE t.is_open AND t.age >= interval '7 days')
    FROM t LEFT JOIN m ON m.grp IS NOT DISTINCT FROM t.grp
    GROUP BY t.grp
$$;

-- message_refresh - replace a stored message's parsed content with a new
-- parse of its original (ticketctl message replay). meta is what
-- milter/core/ingest.c builds for the message. It changes the text, reply
-- text, HTML, facts and attachments only: never the ticket, the raw
-- bytes or what deduplicates (Message-ID, digest). It returns the
-- message's ticket, which of its parts changed, and where thread_find()
-- would put the message now, asked as if this message were not stored
-- yet.
CREATE FUNCTION message_refresh(msg bigint, meta jsonb, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    m        messages;
    probe    record;
    now_t    text;
    a        jsonb;
    pos      integer := 0;
    changed  text[] := '{}';
BEGIN
    SELECT * INTO m FROM messages WHERE id = msg FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no message %', msg USING ERRCODE = 'no_data_found';
    END IF;
    IF m.body_text IS DISTINCT FROM meta->>'text' THEN changed := changed || 'text'::text; END IF;
    IF m.reply_text IS DISTINCT FROM meta->>'reply_text' THEN changed := changed || 'reply_text'::text; END IF;
    IF m.html IS DISTINCT FROM meta->>'html' THEN changed := changed || 'html'::text; END IF;
    IF m.facts IS DISTINCT FROM coalesce(meta->'facts', '{}') THEN changed := changed || 'facts'::text; END IF;
    IF ARRAY(SELECT x.sha256 || ' ' || coalesce(x.filename, '') FROM attachments x
             WHERE x.msg_id = msg ORDER BY x.position)
       IS DISTINCT FROM
       ARRAY(SELECT (e->>'sha256') || ' ' || coalesce(e->>'filename', '')
             FROM jsonb_array_elements(coalesce(meta->'attachments', '[]')) e) THEN
        changed := changed || 'attachments'::text;
    END IF;
    UPDATE messages SET body_text = meta->>'text', reply_text = meta->>'reply_text',
                        html = meta->>'html', facts = coalesce(meta->'facts', '{}')
    WHERE id = msg;
    DELETE FROM attachments WHERE msg_id = msg;
    FOR a IN SELECT * FROM jsonb_array_elements(coalesce(meta->'attachments', '[]')) LOOP
        INSERT INTO blobs (sha256, size, content)
        VALUES (a->>'sha256', (a->>'size')::bigint,
                substring(blob_data FROM (a->>'offset')::integer + 1 FOR (a->>'size')::integer))
        ON CONFLICT (sha256) DO NOTHING;
        INSERT INTO attachments (msg_id, position, filename, content_type, disposition,
                                 content_id, origin, size, truncated, sha256)
        VALUES (msg, pos, a->>'filename', a->>'content_type', a->>'disposition',
                a->>'content_id', a->>'origin', (a->>'size')::bigint,
                coalesce((a->>'truncated')::boolean, false), a->>'sha256');
        pos := pos + 1;
    END LOOP;

    -- Threading, as if the message came now: hide it from thread_find()
    -- in a subtransaction that is always rolled back.
    BEGIN
        UPDATE messages SET message_id = '<replay-' || msg || '>', thread_root = NULL WHERE id = msg;
        SELECT * INTO probe FROM thread_find(meta);
        RAISE EXCEPTION 'probe done' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    SELECT t.number INTO now_t FROM tickets t WHERE t.id = probe.ticket;
    RETURN jsonb_build_object(
        'message', msg,
        'ticket', (SELECT t.number FROM tickets t WHERE t.id = m.ticket_id),
        'rule', m.thread_rule,
        'attachments', pos,
        'changed', to_jsonb(changed),
        'threading_now', jsonb_build_object('ticket', now_t, 'rule', probe.rule,
            'linked_ticket', (SELECT t.number FROM tickets t WHERE t.id = probe.linked)));
END $$;
