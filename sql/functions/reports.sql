-- reports.sql - what ticketctl stats and report read, as views an admin
-- can also query with psql.

-- message_auth - the SPF, DKIM and DMARC results stored in messages.auth
-- (README.md, "Who really sent it") as columns
CREATE OR REPLACE VIEW message_auth AS
SELECT m.id,
       m.ticket_id,
       m.message_id,
       m.received_at,
       m.auth #>> '{spf,result}'              AS spf,
       m.auth #>> '{spf,scope}'               AS spf_scope,
       m.auth #>> '{spf,domain}'              AS spf_domain,
       ARRAY(SELECT s->>'domain' FROM jsonb_array_elements(
                 CASE jsonb_typeof(m.auth->'dkim') WHEN 'array' THEN m.auth->'dkim' ELSE '[]' END) s
             WHERE s->>'result' = 'pass')    AS dkim_pass_domains,
       m.auth #>> '{dmarc,result}'            AS dmarc,
       m.auth #>> '{dmarc,from_domain}'       AS from_domain,
       m.auth #>> '{dmarc,policy}'            AS dmarc_policy,
       m.auth #>> '{dmarc,disposition}'       AS dmarc_disposition,
       -- the daemon's verdict (policy_sender_authenticated()), stored at ingest
       coalesce((m.auth->>'sender_authenticated')::boolean, false)
                                              AS sender_authenticated
FROM messages m;

-- agent_answer - a stored message is an agent's answer that reached a
-- customer: the agent's own mail, as received, that was relayed. Its
-- relayed copy (direction 'out') is the same answer and does not count
-- again; a note, an answer held back (a command not understood, commands
-- only) and a forged agent's mail never count.
CREATE OR REPLACE FUNCTION agent_answer(direction text, kind text, facts jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT direction = 'in' AND kind = 'agent' AND coalesce(facts ? 'relay', false)
$$;

-- report_tickets - one row per ticket with the times the reports need.
-- first_customer_at: the ticket's first message from the customer;
-- first_response_at and first_response_by: the first agent answer that
-- reached the customer after it, and the agent who wrote it;
-- solved_at: the last change to solved or closed, from the event log.
CREATE OR REPLACE VIEW report_tickets AS
SELECT t.id AS ticket_id, t.number, t.queue_id, q.address AS queue, t.status,
       t.assignee, t.created_at, t.closed_at,
       fa.received_at AS first_response_at,
       (SELECT max(e.at) FROM events e
        WHERE e.ticket_id = t.id AND e.action = 'status'
          AND e.detail->>'to' IN ('solved', 'closed')) AS solved_at,
       fc.at AS first_customer_at,
       fa.author AS first_response_by
FROM tickets t JOIN queues q ON q.id = t.queue_id
LEFT JOIN LATERAL (SELECT min(m.received_at) AS at FROM messages m
                   WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.kind = 'customer') fc ON true
LEFT JOIN LATERAL (SELECT m.received_at, lower(m.from_address) AS author FROM messages m
                   WHERE m.ticket_id = t.id AND agent_answer(m.direction, m.kind, m.facts)
                     AND m.received_at >= fc.at
                   ORDER BY m.received_at, m.id LIMIT 1) fa ON true;

-- report_messages - one row per stored message, with its ticket's queue;
-- answer: an agent answer that reached a customer (agent_answer()),
-- author: the agent who wrote it
CREATE OR REPLACE VIEW report_messages AS
SELECT m.id AS message_id, m.ticket_id, t.queue_id, q.address AS queue, t.assignee,
       m.direction, m.kind, m.received_at, m.size,
       jsonb_array_length(coalesce(m.facts->'bounds_hit', '[]')) > 0 AS bounds_hit,
       agent_answer(m.direction, m.kind, m.facts) AS answer,
       CASE WHEN agent_answer(m.direction, m.kind, m.facts) THEN lower(m.from_address) END AS author
FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id;

-- report_figures - per group (by 'queue', or by agent: 'assignee'), since
-- a time: tickets created and solved in the period, customer messages
-- received in the period, agent answers that reached a customer in the
-- period (each once), the first-response median and 90th percentile in
-- seconds (tickets created in the period that got an answer: from the
-- customer's first message to the first answer), and the open backlog
-- now, by age. By agent, tickets, customer messages and the backlog count
-- for the ticket's assignee (unassigned tickets form the group NULL);
-- answers and first responses for the agent who wrote them.
CREATE OR REPLACE FUNCTION report_figures(group_by text, since timestamptz)
RETURNS TABLE (grp text, created bigint, solved bigint, customer_messages bigint,
               replies bigint, first_response_median_s double precision,
               first_response_p90_s double precision, open bigint, open_under_1d bigint,
               open_1d_to_7d bigint, open_over_7d bigint)
LANGUAGE sql STABLE AS $$
    WITH t AS (SELECT r.*, CASE group_by WHEN 'queue' THEN r.queue ELSE r.assignee END AS grp,
                      CASE group_by WHEN 'queue' THEN r.queue ELSE r.first_response_by END AS responder,
                      extract(epoch FROM r.first_response_at - r.first_customer_at) AS response_s,
                      r.status NOT IN ('solved', 'closed') AS is_open,
                      now() - r.created_at AS age
               FROM report_tickets r),
         tg AS (SELECT t.grp,
                       count(*) FILTER (WHERE t.created_at >= since) AS created,
                       count(*) FILTER (WHERE t.solved_at >= since) AS solved,
                       count(*) FILTER (WHERE t.is_open) AS open,
                       count(*) FILTER (WHERE t.is_open AND t.age < interval '1 day') AS open_under_1d,
                       count(*) FILTER (WHERE t.is_open AND t.age >= interval '1 day'
                                          AND t.age < interval '7 days') AS open_1d_to_7d,
                       count(*) FILTER (WHERE t.is_open AND t.age >= interval '7 days') AS open_over_7d
                FROM t GROUP BY t.grp),
         fr AS (SELECT t.responder AS grp,
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.response_s) AS median_s,
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY t.response_s) AS p90_s
                FROM t WHERE t.created_at >= since AND t.response_s IS NOT NULL GROUP BY 1),
         cm AS (SELECT CASE group_by WHEN 'queue' THEN rm.queue ELSE rm.assignee END AS grp,
                       count(*) AS n
                FROM report_messages rm
                WHERE rm.received_at >= since AND rm.direction = 'in' AND rm.kind = 'customer'
                GROUP BY 1),
         an AS (SELECT CASE group_by WHEN 'queue' THEN rm.queue ELSE rm.author END AS grp,
                       count(*) AS n
                FROM report_messages rm WHERE rm.received_at >= since AND rm.answer GROUP BY 1),
         g AS (SELECT tg.grp FROM tg UNION SELECT fr.grp FROM fr
               UNION SELECT cm.grp FROM cm UNION SELECT an.grp FROM an)
    SELECT g.grp, coalesce(tg.created, 0), coalesce(tg.solved, 0), coalesce(cm.n, 0),
           coalesce(an.n, 0), fr.median_s, fr.p90_s, coalesce(tg.open, 0),
           coalesce(tg.open_under_1d, 0), coalesce(tg.open_1d_to_7d, 0), coalesce(tg.open_over_7d, 0)
    FROM g LEFT JOIN tg ON tg.grp IS NOT DISTINCT FROM g.grp
           LEFT JOIN fr ON fr.grp IS NOT DISTINCT FROM g.grp
           LEFT JOIN cm ON cm.grp IS NOT DISTINCT FROM g.grp
           LEFT JOIN an ON an.grp IS NOT DISTINCT FROM g.grp
$$;
