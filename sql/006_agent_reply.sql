-- 006_agent_reply.sql - agents answer by mail: an authenticated agent's
-- message to a ticket's reply address is stored as an agent reply, its
-- commands are applied, and the daemon relays the rest to the customer.

-- message_kind - an agent's message is 'agent' when the daemon found it
-- authenticated (SASL login, InternalHosts, aligned DKIM); a From header
-- naming an agent without that is an outside sender's, flagged later
CREATE OR REPLACE FUNCTION message_kind(meta jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN coalesce(meta->>'kind', 'customer') = 'customer'
                 AND coalesce((meta->>'agent_authenticated')::boolean, false)
                 AND EXISTS (SELECT 1 FROM agents a WHERE a.address = lower(meta->>'from_address'))
           THEN 'agent' ELSE coalesce(meta->>'kind', 'customer') END
$$;

-- agent_refuse - stop the whole transaction: the MTA answers 550 5.7.1
-- with this text (SQLSTATE TM001 tells the daemon it is a refusal)
CREATE FUNCTION agent_refuse(text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', $1 USING ERRCODE = 'TM001';
END $$;

-- agent_reply - the commands at the top of an agent's reply (#note,
-- #close, #pending, #solved, #assign ADDRESS, #take), then what is left
-- is relayed to the customer; returns {"relay": {...}} or {"discard": why}
CREATE OR REPLACE FUNCTION agent_reply(t tickets, message bigint, meta jsonb, kind text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    sender   text := lower(meta->>'from_address');
    agent    agents;
    q        queues;
    line     text;
    lines    text[];
    word     text;
    arg      text;
    body     text := '';
    in_head  boolean := true;
    is_note  boolean := false;
    new_status   text;
    new_assignee text;
    errors   text[] := '{}';
    cust     record;
    last_in  record;
    relay_id text;
BEGIN
    IF kind <> 'agent' THEN
        IF kind = 'customer' AND EXISTS (SELECT 1 FROM agents a WHERE a.address = sender) THEN
            UPDATE messages SET facts = facts || '{"forged_agent": true}' WHERE id = message;
            RETURN jsonb_build_object('forged_agent', true);
        END IF;
        RETURN '{}';
    END IF;
    SELECT * INTO agent FROM agents WHERE address = sender;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    IF NOT EXISTS (SELECT 1 FROM agent_queues WHERE agent_id = agent.id AND queue_id = q.id) THEN
        PERFORM agent_refuse(format('You are not an agent of %s, so you cannot answer ticket %s',
                                    q.address, t.number));
    END IF;

    -- Commands: lines starting with # at the top, before any other text.
    lines := regexp_split_to_array(coalesce(meta->>'reply_text', ''), E'\r?\n');
    FOREACH line IN ARRAY lines LOOP
        IF in_head AND btrim(line) = '' THEN
            CONTINUE;
        ELSIF in_head AND line ~ '^\s*#' THEN
            word := lower(substring(line FROM '^\s*#(\S*)'));
            arg := btrim(substring(line FROM '^\s*#\S*\s*(.*)$'));
            IF word = 'note' AND arg = '' THEN
                is_note := true;
            ELSIF word IN ('close', 'pending', 'solved') AND arg = '' THEN
                new_status := CASE word WHEN 'close' THEN 'closed' ELSE word END;
            ELSIF word = 'take' AND arg = '' THEN
                new_assignee := sender;
            ELSIF word = 'assign' AND EXISTS (SELECT 1 FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
                                              WHERE a.address = lower(arg) AND aq.queue_id = q.id) THEN
                new_assignee := lower(arg);
            ELSIF word = 'assign' THEN
                errors := errors || format('#assign %s: not an agent of %s', arg, q.address);
            ELSE
                errors := errors || format('%s: not a command (#note, #close, #pending, #solved, #assign ADDRESS, #take)', btrim(line));
            END IF;
        ELSE
            in_head := false;
            body := body || line || E'\n';
        END IF;
    END LOOP;
    body := rtrim(body, E'\n') || E'\n';

    -- A command not understood: nothing reaches the customer; the agent hears why.
    IF array_length(errors, 1) > 0 THEN
        UPDATE messages SET kind = 'note', facts = facts || jsonb_build_object('agent_errors', errors)
        WHERE id = message;
        PERFORM outbox_add(t, message, 'notice', sender, q.language,
            'Your message was not sent to the customer: ' || array_to_string(errors, '; ')
            || '. Correct it and send it again.');
        RETURN jsonb_build_object('discard', 'command not understood');
    END IF;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        UPDATE tickets SET status = new_status, updated_at = now(),
               closed_at = CASE WHEN new_status = 'closed' THEN now() END WHERE id = t.id;
        PERFORM ticket_event(t.id, sender, 'status',
                             jsonb_build_object('from', t.status, 'to', new_status, 'why', 'agent command'));
    END IF;
    IF new_assignee IS NOT NULL THEN
        UPDATE tickets SET assignee = new_assignee WHERE id = t.id;
        PERFORM ticket_event(t.id, sender, 'assign', jsonb_build_object('to', new_assignee));
    END IF;

    -- An internal note: stored, copied to the queue's other agents.
    IF is_note THEN
        UPDATE messages SET kind = 'note', reply_text = body WHERE id = message;
        PERFORM outbox_add(t, message, 'notification', a.address, q.language,
                           'Internal note by ' || coalesce(agent.name, sender))
        FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
        WHERE aq.queue_id = q.id AND a.id <> agent.id;
        RETURN jsonb_build_object('discard', 'note');
    END IF;
    IF btrim(body, E' \t\n') = '' THEN
        RETURN jsonb_build_object('discard', 'commands only');
    END IF;

    -- The answer: relayed to the customer and the CC participants.
    SELECT c.address, c.name INTO cust FROM contacts c WHERE c.id = t.customer_id;
    SELECT m.message_id, m.refs INTO last_in FROM messages m
    WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.kind = 'customer' AND m.message_id IS NOT NULL
    ORDER BY m.id DESC LIMIT 1;
    relay_id := 'tm.' || t.number || '.a' || message || '.' || substr(md5(random()::text), 1, 10)
                || '@' || split_part(q.address, '@', 2);
    UPDATE tickets SET first_response_at = coalesce(first_response_at, now()), updated_at = now(),
           status = CASE WHEN tickets.status = 'new' THEN 'open' ELSE tickets.status END
    WHERE id = t.id;
    UPDATE messages SET reply_text = body WHERE id = message;
    -- The relayed copy, so the customer's reply threads by its Message-ID.
    INSERT INTO messages (ticket_id, direction, kind, message_id, envelope_sender, envelope_recipients,
                          size, raw, digest, thread_rule, subject, from_address, from_name, body_text)
    SELECT t.id, 'out', 'agent', relay_id, q.address, ARRAY[cust.address], m.size, m.raw,
           encode(sha256(m.raw || convert_to(relay_id, 'UTF8')), 'hex'), 'outgoing', m.subject,
           q.address, agent.name, body
    FROM messages m WHERE m.id = message;
    RETURN jsonb_build_object('relay', jsonb_build_object(
        'message_id', relay_id,
        'from_name', coalesce(agent.name, split_part(sender, '@', 1)) || ' via ' || q.name,
        'from_address', q.address,
        'reply_to', ticket_reply_address(t.id),
        'ticket_number', t.number, 'ticket_subject', t.subject,
        'customer_name', cust.name,
        'recipients', (SELECT jsonb_agg(x) FROM (
            SELECT cust.address AS x WHERE cust.address IS NOT NULL
            UNION
            SELECT c.address FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
            WHERE p.ticket_id = t.id AND p.role = 'cc'
              AND NOT is_queue_address(c.address)
              AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.address = c.address)) r),
        'in_reply_to', last_in.message_id,
        'references', to_jsonb(array_remove(coalesce(last_in.refs, '{}') || last_in.message_id || relay_id, NULL)),
        'text', body));
END $$;
