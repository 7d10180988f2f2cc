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

-- report_tickets - one row per ticket with the times the reports need.
-- first_response_at: the ticket's own, else its first agent message;
-- solved_at: the last change to solved or closed, from the event log.
CREATE OR REPLACE VIEW report_tickets AS
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
CREATE OR REPLACE VIEW report_messages AS
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
CREATE OR REPLACE FUNCTION report_figures(group_by text, since timestamptz)
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
