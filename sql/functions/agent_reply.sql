-- agent_reply.sql - an agent's mail: the proof that it is the agent's,
-- its commands (#note, #close, ...), the answer relayed to the customer,
-- the notice when it is not, and the flags ticketctl shows.

-- agent_proven - the message carries a proof that it is this agent's:
-- a SASL login bound to the agent, an InternalHosts client, or a DKIM
-- signature vouching for the From mailbox; never with a duplicate header
CREATE OR REPLACE FUNCTION agent_proven(agent integer, meta jsonb) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    proof  jsonb := coalesce(meta->'agent_proof', '{}');
BEGIN
    IF coalesce((proof->>'duplicate_header')::boolean, false) THEN
        RETURN false;
    END IF;
    RETURN coalesce((proof->>'internal_host')::boolean, false)
        OR coalesce((proof->>'dkim')::boolean, false)
        OR EXISTS (SELECT 1 FROM agent_logins l
                   WHERE l.agent_id = agent AND l.login = proof->>'sasl_login');
END $$;

-- message_kind - 'agent' for a proven agent's message; an agent's
-- automatic reply (X-Autoreply, an out-of-office subject) is
-- 'auto-reply'; otherwise the kind the daemon saw (customer,
-- auto-reply, bounce). A From naming an agent without proof stays
-- 'customer' and is flagged by agent_reply().
CREATE OR REPLACE FUNCTION message_kind(meta jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    kind   text := coalesce(meta->>'kind', 'customer');
    agent  integer;
BEGIN
    IF kind <> 'customer' OR meta->>'from_address' IS NULL THEN
        RETURN kind;
    END IF;
    SELECT a.id INTO agent FROM agents a WHERE a.address = lower(meta->>'from_address');
    IF agent IS NULL THEN
        RETURN kind;
    ELSIF coalesce((meta->'facts'->>'is_auto_reply')::integer, 0) <> 0 THEN
        RETURN 'auto-reply';
    ELSIF agent_proven(agent, meta) THEN
        RETURN 'agent';
    END IF;
    RETURN kind;
END $$;

-- agent_refuse - stop the whole transaction: the MTA answers 550 5.7.1
-- with this text (SQLSTATE TM001 tells the daemon it is a refusal)
CREATE OR REPLACE FUNCTION agent_refuse(text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', $1 USING ERRCODE = 'TM001';
END $$;

-- agent_unproven_why - in words, why a message from an agent's address
-- did not count as the agent's
CREATE OR REPLACE FUNCTION agent_unproven_why(agent agents, meta jsonb) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN coalesce((meta->'agent_proof'->>'duplicate_header')::boolean, false)
        THEN 'it had a second From (or another header that must appear once), which proves nothing'
        WHEN meta->'agent_proof'->>'sasl_login' IS NOT NULL
        THEN format('it was sent with the SMTP login "%s", which is not a login of %s',
                    meta->'agent_proof'->>'sasl_login', agent.address)
        ELSE format('it was sent without an SMTP login, from %s, which is not an internal host, '
                    'and no DKIM signature of %s covering From verified',
                    coalesce(meta->>'client_ip', 'an unknown client'), split_part(agent.address, '@', 2))
    END
$$;

-- agent_unproven - flag a message from an agent's address without proof;
-- tell the agent (rate-limited), unless the message is automatic mail
CREATE OR REPLACE FUNCTION agent_unproven(t tickets, message bigint, agent agents, meta jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    why      text := agent_unproven_why(agent, meta);
    notice   text := 'none';
    lang     text;
BEGIN
    IF coalesce((meta->'facts'->>'suppress_autoreply')::integer, 0) <> 0 THEN
        notice := 'automatic mail';
    ELSIF EXISTS (SELECT 1 FROM outbox o
                  WHERE o.recipient = agent.address AND o.ticket_id = t.id AND o.kind = 'notice'
                    AND o.notice LIKE 'Not relayed:%' AND o.created_at > now() - interval '1 hour') THEN
        notice := 'rate-limited: one per ticket an hour';
    ELSIF (SELECT count(*) FROM outbox o
           WHERE o.recipient = agent.address AND o.kind = 'notice'
             AND o.notice LIKE 'Not relayed:%' AND o.created_at > now() - interval '1 hour') >= 5 THEN
        notice := 'rate-limited: five an hour';
    ELSE
        SELECT q.language INTO lang FROM queues q WHERE q.id = t.queue_id;
        PERFORM outbox_add(t, message, 'notice', agent.address, coalesce(lang, 'en'),
            format('Not relayed: a message from your address %s to ticket %s was stored, but it was '
                   'NOT sent to the customer, because %s. To answer customers, send through your '
                   'mail server with SMTP authentication under a login bound to your address (the '
                   'administrator: ticketctl agent login %s add LOGIN), or from an internal host, or '
                   'with a DKIM signature of %s; then send the answer again. If you did not write '
                   'it, someone used your address: tell the administrator.',
                   agent.address, t.number, why, agent.address, split_part(agent.address, '@', 2)));
        notice := 'sent';
    END IF;
    UPDATE messages SET facts = facts || jsonb_build_object('forged_agent', true,
           'agent_unproven', jsonb_build_object('why', why, 'notice', notice))
    WHERE id = message;
    RETURN jsonb_build_object('forged_agent', true);
END $$;

-- agent_reply - the commands at the top of an agent's reply (parsed by
-- the daemon, mail_commands() in parser/reply_strip.c, into
-- meta->commands; done by agent_commands()), then what is left is relayed to the customer and the CC participants, at most
-- max_recipients of them; returns {"relay": {...}} or {"discard": why}.
-- Mail from an agent's address that is not the agent's (kind not
-- 'agent') is flagged here: unproven, or the agent's automatic reply.
CREATE OR REPLACE FUNCTION agent_reply(t tickets, message bigint, meta jsonb, kind text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    sender   text := lower(meta->>'from_address');
    agent    agents;
    q        queues;
    c        jsonb;
    body     text := coalesce(meta->>'reply_text', '');
    answer_html text := meta->>'reply_html';
    is_note  boolean := false;
    done     jsonb;
    cust     record;
    last_in  record;
    relay_id text;
    rcpts    text[];
    max_rcpt integer := greatest(coalesce((meta->>'max_recipients')::integer, 50), 1);
    left_out text[];
    copy_id  bigint;
BEGIN
    IF kind <> 'agent' THEN
        IF kind NOT IN ('customer', 'auto-reply') OR sender IS NULL THEN
            RETURN '{}';
        END IF;
        SELECT * INTO agent FROM agents WHERE address = sender;
        IF NOT FOUND THEN
            RETURN '{}';
        ELSIF kind = 'auto-reply' THEN
            -- An out-of-office answer to a notification: kept, never relayed.
            UPDATE messages SET facts = facts || '{"agent_auto_reply": true}' WHERE id = message;
            RETURN jsonb_build_object('agent_auto_reply', true);
        END IF;
        RETURN agent_unproven(t, message, agent, meta);
    END IF;
    SELECT * INTO agent FROM agents WHERE address = sender;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    IF NOT EXISTS (SELECT 1 FROM agent_queues WHERE agent_id = agent.id AND queue_id = q.id) THEN
        PERFORM agent_refuse(format('You are not an agent of %s, so you cannot answer ticket %s',
                                    q.address, t.number));
    END IF;

    -- Commands: the lines starting with # at the top, as the parser read
    -- them (meta->commands: list, errors, body_start); the rest is the
    -- answer. agent_commands() checks them all before it does any.
    body := substr(body, coalesce((meta->'commands'->>'body_start')::integer, 0) + 1);
    IF meta ? 'commands' THEN
        done := agent_commands(t, message, meta, agent, body);
        -- One command not understood: none done, nothing reaches the customer; the agent hears why.
        IF done ? 'errors' THEN
            UPDATE messages SET kind = 'note', facts = facts || jsonb_build_object('agent_errors', done->'errors')
            WHERE id = message;
            PERFORM outbox_add(t, message, 'notice', sender, q.language,
                'Your message was not sent to the customer and none of its commands was done: '
                || (SELECT string_agg(x, '; ') FROM jsonb_array_elements_text(done->'errors') x)
                || '. Correct it and send it again.');
            RETURN jsonb_build_object('discard', 'command not understood');
        END IF;
        SELECT * INTO t FROM tickets WHERE id = (done->>'ticket')::bigint;
        is_note := (done->>'note')::boolean;
        body := (done->>'canned') || body;
        -- In an HTML answer the canned answers open the body too.
        IF answer_html IS NOT NULL AND done->>'canned_html' <> '' THEN
            answer_html := CASE WHEN answer_html ~* '<body[^>]*>'
                                THEN regexp_replace(answer_html, '(<body[^>]*>)',
                                                    '\1' || replace(done->>'canned_html', '\', '\\'), 'i')
                                ELSE (done->>'canned_html') || answer_html END;
        END IF;
    END IF;
    body := rtrim(regexp_replace(body, E'\r\n', E'\n', 'g'), E'\n') || E'\n';

    -- An internal note: stored, copied to the agents who follow the ticket.
    IF is_note THEN
        UPDATE messages SET kind = 'note', reply_text = body WHERE id = message;
        PERFORM outbox_add(t, message, 'notification', w, q.language,
                           event_text(q.language, 'note', coalesce(agent.name, sender)))
        FROM ticket_watchers(t, sender) w;
        RETURN jsonb_build_object('discard', 'note');
    END IF;
    IF btrim(body, E' \t\n') = '' THEN
        RETURN jsonb_build_object('discard', 'commands only');
    END IF;

    -- The answer: relayed to the customer and the CC participants, the
    -- customer first, then the CC participants we have known longest.
    SELECT c.address, c.name INTO cust FROM contacts c WHERE c.id = t.customer_id;
    SELECT m.message_id, m.refs INTO last_in FROM messages m
    WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.kind = 'customer' AND m.message_id IS NOT NULL
    ORDER BY m.id DESC LIMIT 1;
    SELECT array_agg(r.x ORDER BY r.o, r.id) INTO rcpts FROM (
        SELECT cust.address AS x, 0 AS o, 0::bigint AS id WHERE cust.address IS NOT NULL
        UNION ALL
        SELECT c.address, 1, c.id FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
        WHERE p.ticket_id = t.id AND p.role = 'cc'
          AND c.address IS DISTINCT FROM cust.address
          AND NOT is_queue_address(c.address, meta->>'recipient_delimiter')
          AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.address = c.address)) r;
    IF coalesce(array_length(rcpts, 1), 0) > max_rcpt THEN
        left_out := rcpts[max_rcpt + 1:];
        rcpts := rcpts[1:max_rcpt];
        UPDATE messages SET facts = facts || jsonb_build_object('recipients_capped',
               jsonb_build_object('limit', max_rcpt, 'left_out', to_jsonb(left_out)))
        WHERE id = message;
        PERFORM outbox_add(t, message, 'notice', sender, q.language,
            format('Your answer to ticket %s was sent to %s recipients, the most one answer may '
                   'reach (MaximumRecipients), with the customer first; not to these %s: %s%s. '
                   'If they should hear from you, write to them directly; to remove participants: '
                   'ticketctl ticket cc %s remove ADDRESS.',
                   t.number, max_rcpt, array_length(left_out, 1),
                   array_to_string(left_out[1:20], ', '),
                   CASE WHEN array_length(left_out, 1) > 20
                        THEN format(' and %s more', array_length(left_out, 1) - 20) ELSE '' END,
                   t.number));
    END IF;
    relay_id := 'tm.' || t.number || '.a' || message || '.' || substr(md5(random()::text), 1, 10)
                || '@' || split_part(q.address, '@', 2);
    UPDATE tickets SET first_response_at = coalesce(first_response_at, now()), updated_at = now(),
           status = CASE WHEN tickets.status = 'new' THEN 'open' ELSE tickets.status END
    WHERE id = t.id;
    UPDATE messages SET reply_text = body WHERE id = message;
    -- The relayed copy, so the customer's reply threads by its Message-ID;
    -- with the HTML as relayed and the attachments (the same blobs).
    INSERT INTO messages (ticket_id, direction, kind, message_id, envelope_sender, envelope_recipients,
                          size, raw, digest, thread_rule, subject, from_address, from_name, body_text,
                          html)
    SELECT t.id, 'out', 'agent', relay_id, q.address, coalesce(rcpts, '{}'), m.size, m.raw,
           encode(sha256(m.raw || convert_to(relay_id, 'UTF8')), 'hex'), 'outgoing', m.subject,
           q.address, agent.name, body, answer_html
    FROM messages m WHERE m.id = message
    RETURNING id INTO copy_id;
    INSERT INTO attachments (msg_id, position, filename, content_type, disposition, content_id,
                             origin, size, truncated, sha256)
    SELECT copy_id, a.position, a.filename, a.content_type, a.disposition, a.content_id, a.origin,
           a.size, a.truncated, a.sha256
    FROM attachments a WHERE a.msg_id = message;
    -- The agents who follow the ticket hear of a colleague's answer.
    PERFORM outbox_add(t, message, 'notification', w, q.language,
                       event_text(q.language, 'answer', coalesce(agent.name, sender)))
    FROM ticket_watchers(t, sender) w;
    RETURN jsonb_build_object('relay', jsonb_build_object(
        'message_id', relay_id,
        'from_name', coalesce(agent.name, split_part(sender, '@', 1)) || ' via ' || q.name,
        'from_address', q.address,
        'reply_to', ticket_reply_address(t.id, meta->>'recipient_delimiter'),
        'ticket_number', t.number, 'ticket_subject', t.subject,
        'customer_name', cust.name,
        'recipients', to_jsonb(rcpts),
        'in_reply_to', last_in.message_id,
        'references', to_jsonb(array_remove(coalesce(last_in.refs, '{}') || last_in.message_id || relay_id, NULL)),
        'text', body, 'html', answer_html));
END $$;

-- 016_trust_flags.sql - ticketctl ticket show and message show name the
-- trust flags of 013 too: a follow-up from an unproven sender, whom it
-- asks to add, and a Message-ID sent again with other content.
-- The bodies are those of 014, with three more lines.

-- message_flags - what an agent should know of a stored message, as words
-- (ticketctl ticket show, message show)
CREATE OR REPLACE FUNCTION message_flags(facts jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN coalesce((facts->>'forged_agent')::boolean, false) THEN 'forged-agent' END,
        CASE WHEN coalesce((facts->>'agent_auto_reply')::boolean, false) THEN 'agent-auto-reply' END,
        CASE WHEN facts ? 'recipients_capped' THEN 'recipients-capped' END,
        CASE WHEN coalesce((facts->>'unproven')::boolean, false) THEN 'unproven' END,
        CASE WHEN facts ? 'asks_to_add' THEN 'asks-to-add' END,
        CASE WHEN coalesce((facts->>'reused_message_id')::boolean, false) THEN 'reused-message-id' END], NULL)
$$;

-- message_flags_text - the same, explained, one line each ('' when none)
CREATE OR REPLACE FUNCTION message_flags_text(facts jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(E'\n',
        CASE WHEN coalesce((facts->>'forged_agent')::boolean, false)
             THEN format('NOT RELAYED: from an agent''s address without proof (%s); agent notice: %s',
                         coalesce(facts->'agent_unproven'->>'why', 'not authenticated'),
                         coalesce(facts->'agent_unproven'->>'notice', '-')) END,
        CASE WHEN coalesce((facts->>'agent_auto_reply')::boolean, false)
             THEN 'NOT RELAYED: the agent''s automatic reply' END,
        CASE WHEN facts ? 'recipients_capped'
             THEN format('RELAYED TO %s ONLY (MaximumRecipients); not to: %s',
                         facts->'recipients_capped'->>'limit',
                         (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(facts->'recipients_capped'->'left_out') x)) END,
        CASE WHEN coalesce((facts->>'unproven')::boolean, false)
             THEN 'UNPROVEN SENDER: filed here, but it adds nobody to the ticket' END,
        CASE WHEN facts ? 'asks_to_add'
             THEN format('ASKS TO ADD: %s (ticketctl ticket cc NUMBER add ADDRESS)',
                         (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(facts->'asks_to_add') x)) END,
        CASE WHEN coalesce((facts->>'reused_message_id')::boolean, false)
             THEN 'REUSED MESSAGE-ID: an earlier message has this Message-ID with other content' END)
$$;
