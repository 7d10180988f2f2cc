-- api.sql - what ticket-api(8) changes: one function a writing request, so
-- that each change is one transaction with its events, through the same
-- functions as an agent's command by mail and ticketctl.

-- api_ticket_lock - the ticket of a key's queues (NULL: every queue),
-- locked; all NULL when the key has no such ticket. TM409 for a ticket
-- merged into another or erased: nothing may change it.
CREATE OR REPLACE FUNCTION api_ticket_lock(t_number text, key_queues text[]) RETURNS tickets
LANGUAGE plpgsql AS $$
DECLARE
    t   tickets;
BEGIN
    SELECT tk.* INTO t FROM tickets tk JOIN queues qq ON qq.id = tk.queue_id
    WHERE tk.number = t_number AND (key_queues IS NULL OR qq.address = ANY(key_queues))
    FOR UPDATE OF tk;
    IF t.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % was merged into ticket %: change that one', t.number,
              (SELECT m.number FROM tickets m WHERE m.id = t.merged_into) USING ERRCODE = 'TM409';
    ELSIF t.erased_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % was erased', t.number USING ERRCODE = 'TM409';
    END IF;
    RETURN t;
END $$;

-- api_agent - the agent of queue q a request names; TM422 when it names
-- no agent of q (a key writes for the agents of its queues only)
CREATE OR REPLACE FUNCTION api_agent(q queues, agent_addr text) RETURNS agents
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a   agents;
BEGIN
    SELECT ag.* INTO a FROM agents ag JOIN agent_queues aq ON aq.agent_id = ag.id
    WHERE ag.address = lower(agent_addr) AND aq.queue_id = q.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'agent: % is not an agent of %', lower(agent_addr), q.address USING ERRCODE = 'TM422';
    END IF;
    RETURN a;
END $$;

-- api_message_add - store what an agent wrote through the API as a
-- message of ticket t (kind agent or note), with its attachments (files:
-- [{filename, content_type, content_base64}], checked by ticket-api);
-- raw is a short record until the outbox sends the answer (outbox_sent())
CREATE OR REPLACE FUNCTION api_message_add(t tickets, q queues, a agents, m_kind text, body text,
                                           body_html text, files jsonb, actor text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    m_id   bigint;
    f      jsonb;
    bytes  bytea;
    sha    text;
    pos    integer := 0;
    record bytea := convert_to(format(E'From: %s\r\nSubject: %s\r\nX-Ticket-Api: %s\r\n\r\n%s',
                                      a.address, m_kind, actor, replace(body, E'\n', E'\r\n')), 'UTF8');
BEGIN
    INSERT INTO messages (ticket_id, direction, kind, envelope_sender, envelope_recipients, size, raw,
                          digest, thread_rule, subject, from_address, from_name, body_text,
                          reply_text, html, sent_at, language)
    VALUES (t.id, CASE WHEN m_kind = 'note' THEN 'in' ELSE 'out' END, m_kind, q.address, '{}',
            length(record), record, encode(sha256(record || convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'),
            'api', t.subject, a.address, a.name, body, body, body_html, now(), q.language)
    RETURNING id INTO m_id;
    FOR f IN SELECT * FROM jsonb_array_elements(coalesce(files, '[]')) LOOP
        bytes := decode(f->>'content_base64', 'base64');
        sha := encode(sha256(bytes), 'hex');
        PERFORM blob_keep(sha, length(bytes), bytes);
        INSERT INTO attachments (msg_id, position, filename, content_type, disposition, origin, size, sha256)
        VALUES (m_id, pos, f->>'filename', coalesce(f->>'content_type', 'application/octet-stream'),
                'attachment', 'api', length(bytes), sha);
        pos := pos + 1;
    END LOOP;
    RETURN m_id;
END $$;

-- api_answer - an agent's answer on ticket t (locked), as agent_reply()
-- relays a mailed one: to the customer and the CC participants (at most
-- max_rcpt), each a mail of the outbox (kind answer, from the queue,
-- threaded after the customer's last message); the customer's mail has
-- the stored message's Message-ID. The agents who follow the ticket hear
-- of it. Returns the message's id.
CREATE OR REPLACE FUNCTION api_answer(t tickets, a agents, body text, body_html text, files jsonb,
                                      actor text, delims text, max_rcpt integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    q       queues;
    cust    contacts;
    last_in record;
    m_id    bigint;
    o_id    bigint;
    rcpts   text[];
BEGIN
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    SELECT * INTO cust FROM contacts WHERE id = t.customer_id;
    IF cust.address IS NULL THEN
        RAISE EXCEPTION 'ticket % has no customer address to answer', t.number USING ERRCODE = 'TM409';
    END IF;
    SELECT m.message_id, m.refs INTO last_in FROM messages m
    WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.kind = 'customer' AND m.message_id IS NOT NULL
    ORDER BY m.id DESC LIMIT 1;
    SELECT array_agg(c.address ORDER BY c.id) INTO rcpts
    FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
    WHERE p.ticket_id = t.id AND p.role = 'cc' AND c.address <> cust.address
      AND NOT is_queue_address(c.address, delims)
      AND NOT EXISTS (SELECT 1 FROM agents ag WHERE ag.address = c.address);
    rcpts := (ARRAY[cust.address] || coalesce(rcpts, '{}'))[1:greatest(max_rcpt, 1)];
    m_id := api_message_add(t, q, a, 'agent', rtrim(regexp_replace(body, E'\r\n', E'\n', 'g'), E'\n') || E'\n',
                            body_html, files, actor);
    FOR i IN 1..array_length(rcpts, 1) LOOP
        o_id := outbox_add(t, m_id, 'answer', rcpts[i], coalesce(cust.language, q.language));
        IF i = 1 THEN
            UPDATE messages SET message_id = (SELECT o.message_id FROM outbox o WHERE o.id = o_id),
                   in_reply_to = last_in.message_id, refs = coalesce(last_in.refs, '{}'),
                   envelope_recipients = rcpts, to_addresses = to_jsonb(rcpts[1:1]),
                   cc_addresses = to_jsonb(coalesce(rcpts[2:], '{}'))
            WHERE id = m_id;
        END IF;
    END LOOP;
    UPDATE tickets SET first_response_at = coalesce(first_response_at, now()), updated_at = now(),
           status = CASE WHEN tickets.status = 'new' THEN 'open' ELSE tickets.status END
    WHERE id = t.id;
    PERFORM ticket_event(t.id, actor, 'answer', jsonb_build_object('message', m_id, 'agent', a.address));
    PERFORM outbox_add(t, m_id, 'notification', w, q.language,
                       event_text(q.language, 'answer', coalesce(a.name, a.address)))
    FROM ticket_watchers(t, a.address) w;
    -- ticket-api sends no mail itself: wake the daemons' senders.
    PERFORM pg_notify('ticket_milter_outbox', '');
    RETURN m_id;
END $$;

-- api_ticket_reply - POST /v1/tickets/{number}/replies: agent's answer
-- (api_answer()) on a ticket of the key's queues; NULL when the key has
-- no such ticket, else {"message": ID}. Refusals: api_ticket_lock(),
-- api_agent().
CREATE OR REPLACE FUNCTION api_ticket_reply(t_number text, key_queues text[], agent_addr text, body text,
                                            body_html text, files jsonb, actor text, delims text,
                                            max_rcpt integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t   tickets := api_ticket_lock(t_number, key_queues);
    q   queues;
BEGIN
    IF t.id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    RETURN jsonb_build_object('message',
        api_answer(t, api_agent(q, agent_addr), body, body_html, files, actor, delims, max_rcpt));
END $$;

-- api_ticket_note - POST /v1/tickets/{number}/notes: an internal note,
-- never mailed to the customer, as an agent's #note: stored (kind note),
-- an event, and the agents who follow the ticket hear of it. NULL when
-- the key has no such ticket, else {"message": ID}.
CREATE OR REPLACE FUNCTION api_ticket_note(t_number text, key_queues text[], agent_addr text, body text,
                                           actor text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t   tickets := api_ticket_lock(t_number, key_queues);
    q   queues;
    a   agents;
    m_id bigint;
BEGIN
    IF t.id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    a := api_agent(q, agent_addr);
    m_id := api_message_add(t, q, a, 'note', rtrim(regexp_replace(body, E'\r\n', E'\n', 'g'), E'\n') || E'\n',
                            NULL, NULL, actor);
    UPDATE tickets SET updated_at = now() WHERE id = t.id;
    PERFORM ticket_event(t.id, actor, 'note', jsonb_build_object('message', m_id, 'agent', a.address));
    PERFORM outbox_add(t, m_id, 'notification', w, q.language,
                       event_text(q.language, 'note', coalesce(a.name, a.address)))
    FROM ticket_watchers(t, a.address) w;
    PERFORM pg_notify('ticket_milter_outbox', '');
    RETURN jsonb_build_object('message', m_id);
END $$;

-- api_ticket_open - POST /v1/tickets: a ticket of queue queue_addr (one
-- of the key's) for the customer, opened by an agent as "#new ADDRESS"
-- does: checked as queue_command_refusal() checks it, taken by the agent,
-- its text mailed to the customer (api_answer()). NULL when this region
-- has no such queue of the key, else {"number": NUMBER, "message": ID}.
CREATE OR REPLACE FUNCTION api_ticket_open(queue_addr text, key_queues text[], customer text,
                                           t_subject text, agent_addr text, body text, actor text,
                                           delims text, max_rcpt integer, number_format text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    q    queues;
    a    agents;
    t    tickets;
    why  text;
    m_id bigint;
BEGIN
    SELECT * INTO q FROM queues WHERE address = lower(queue_addr) AND retired_at IS NULL
      AND (key_queues IS NULL OR address = ANY(key_queues));
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- Without an agent: the queue's only one.
    IF agent_addr IS NULL AND (SELECT count(*) FROM agent_queues aq WHERE aq.queue_id = q.id) <> 1 THEN
        RAISE EXCEPTION 'agent: required: % has more than one agent (or none)', q.address
              USING ERRCODE = 'TM422';
    END IF;
    a := api_agent(q, coalesce(agent_addr, (SELECT ag.address FROM agents ag JOIN agent_queues aq
                                       ON aq.agent_id = ag.id WHERE aq.queue_id = q.id)));
    why := queue_command_refusal(q, jsonb_build_object('reply_text', body, 'recipient_delimiter', delims),
                                 jsonb_build_object('name', 'new', 'argument', customer, 'body_start', 0));
    IF why IS NOT NULL THEN
        RAISE EXCEPTION 'customer: %', replace(why, '#new ', '') USING ERRCODE = 'TM422';
    END IF;
    INSERT INTO tickets (number, queue_id, subject, customer_id, last_customer_at, assignee)
    VALUES (ticket_number_next(number_format), q.id, t_subject, contact_id(lower(customer), NULL), NULL,
            a.address)
    RETURNING * INTO t;
    PERFORM ticket_event(t.id, actor, 'created', jsonb_build_object('rule', 'api-new', 'agent', a.address));
    PERFORM ticket_event(t.id, actor, 'assign', jsonb_build_object('from', NULL, 'to', a.address));
    INSERT INTO ticket_participants VALUES (t.id, t.customer_id, 'customer');
    m_id := api_answer(t, a, body, NULL, NULL, actor, delims, max_rcpt);
    RETURN jsonb_build_object('number', t.number, 'message', m_id);
END $$;

-- api_ticket_update - PATCH /v1/tickets/{number}: the status (through
-- ticket_status_change(), so closing mails the customer as always) and,
-- when set_assignee, the assignee (an agent of the ticket's queue, or NULL
-- to unassign) of a ticket of the key's queues (NULL: every queue).
-- Returns false when the key has no such ticket. Refusals: TM409 for a
-- ticket merged into another or erased, TM422 for an assignee who is no
-- agent of the queue; their text is for the client.
CREATE OR REPLACE FUNCTION api_ticket_update(t_number text, key_queues text[], new_status text,
                                             set_assignee boolean, new_assignee text, actor text,
                                             limits jsonb, delims text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    t   tickets := api_ticket_lock(t_number, key_queues);
    q   queues;
    who text := lower(new_assignee);
BEGIN
    IF t.id IS NULL THEN
        RETURN false;
    END IF;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    IF set_assignee AND who IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
            WHERE a.address = who AND aq.queue_id = q.id) THEN
        RAISE EXCEPTION 'assignee: % is not an agent of %', who, q.address USING ERRCODE = 'TM422';
    END IF;
    IF set_assignee AND t.assignee IS DISTINCT FROM who THEN
        UPDATE tickets SET assignee = who, updated_at = now() WHERE id = t.id;
        PERFORM ticket_event(t.id, actor, 'assign', jsonb_build_object('from', t.assignee, 'to', who));
    END IF;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        PERFORM ticket_status_change(t, new_status, actor, NULL, limits, delims);
        -- ticket-api sends no mail itself: wake the daemons' senders.
        IF EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.created_at = now()) THEN
            PERFORM pg_notify('ticket_milter_outbox', '');
        END IF;
    END IF;
    RETURN true;
END $$;
