-- queue_mail.sql - an authenticated agent's mail to the queue address
-- itself is a command mail: #list answers with the agent's open tickets
-- and the unassigned ones, #new ADDRESS opens a ticket for that customer
-- (the rest of the mail is its first answer, relayed as any answer). The
-- daily digest (ticketctl digest send) is the same list. Their answers
-- belong to no ticket: outbox notices of a queue (024_queue_mail.sql).

-- outbox_add_queue - queue a notice of queue q that belongs to no ticket
CREATE OR REPLACE FUNCTION outbox_add_queue(q queues, rcpt text, lang text, subject text, notice text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o_id    bigint := nextval('outbox_id_seq');
BEGIN
    INSERT INTO outbox (id, queue_id, kind, recipient, message_id, language, notice, subject)
    VALUES (o_id, q.id, 'notice', rcpt,
            'tm.q' || q.id || '.' || o_id || '.' || substr(md5(random()::text), 1, 10)
            || '@' || split_part(q.address, '@', 2),
            lang, notice, subject);
    RETURN o_id;
END $$;

-- age_words - an age as an agent reads it in a list: 5m, 3h, 2d
CREATE OR REPLACE FUNCTION age_words(age interval) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN age < interval '1 hour' THEN greatest(floor(extract(epoch FROM age) / 60), 0)::bigint || 'm'
                WHEN age < interval '2 days' THEN floor(extract(epoch FROM age) / 3600)::bigint || 'h'
                ELSE floor(extract(epoch FROM age) / 86400)::bigint || 'd' END
$$;

-- one_line - a value a sender wrote, as one line of a list (line breaks
-- and other control characters become a space): no fake entries
CREATE OR REPLACE FUNCTION one_line(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(coalesce(v, ''), '[[:cntrl:]]+', ' ', 'g')
$$;

-- list_more - the line that ends a list cut at lim of total: how many
-- more, and where to see them ('' when none was cut)
CREATE OR REPLACE FUNCTION list_more(total bigint, lim integer, hint text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN total > lim THEN format(E'\nand %s more (%s)\n', total - lim, hint) ELSE '' END
$$;

-- agent_spam_list - the tickets of the agent's queues set aside as spam
-- in the last 7 days (by the site's filter or an agent), newest first,
-- at most lim, so that nothing the filter took goes unseen: '' when none
CREATE OR REPLACE FUNCTION agent_spam_list(agent agents, delims text, lim integer) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT t.id, t.number, t.subject, c.address AS customer,
               row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS n
        FROM tickets t
        JOIN agent_queues aq ON aq.queue_id = t.queue_id AND aq.agent_id = agent.id
        LEFT JOIN contacts c ON c.id = t.customer_id
        WHERE t.status = 'spam' AND t.updated_at > now() - interval '7 days')
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM l) THEN ''
                ELSE format(E'\nSet aside as spam in the last 7 days: %s (answer one with #notspam if it is not).\n',
                            (SELECT count(*) FROM l))
                     || (SELECT string_agg(format(E'\n#%s %s\n  from %s; reply: %s\n', l.number, one_line(l.subject),
                                                  coalesce(l.customer, '(unknown)'),
                                                  ticket_reply_address(l.id, delims)), '' ORDER BY l.n)
                         FROM l WHERE l.n <= lim)
                     || list_more((SELECT count(*) FROM l), lim, 'ticketctl ticket list --status spam')
           END
$$;

-- agent_ticket_list - the agent's open tickets and the unassigned ones of
-- the agent's queues (new, open, pending), newest first, at most lim of
-- them, then how many more, then the spam of the last days
-- (agent_spam_list()); delims: RecipientDelimiter, for the reply
-- addresses
CREATE OR REPLACE FUNCTION agent_ticket_list(agent agents, delims text, lim integer) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT t.id, t.number, t.subject, t.status, t.assignee, t.created_at,
               c.address AS customer, c.name AS customer_name,
               row_number() OVER (ORDER BY t.created_at DESC, t.id DESC) AS n
        FROM tickets t
        JOIN agent_queues aq ON aq.queue_id = t.queue_id AND aq.agent_id = agent.id
        LEFT JOIN contacts c ON c.id = t.customer_id
        WHERE t.status IN ('new', 'open', 'pending')
          AND (t.assignee = agent.address OR t.assignee IS NULL))
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM l)
                THEN E'You have no open tickets, and none is waiting unassigned.\n'
                ELSE format(E'Your open tickets and the unassigned ones: %s, newest first.\n', (SELECT count(*) FROM l))
                     || (SELECT string_agg(format(E'\n#%s %s\n  %s, %s, %s old; customer: %s\n  reply: %s\n',
                                 l.number, one_line(l.subject), l.status,
                                 CASE WHEN l.assignee IS NULL THEN 'unassigned' ELSE 'yours' END,
                                 age_words(now() - l.created_at),
                                 CASE WHEN l.customer_name IS NULL OR l.customer_name = ''
                                      THEN coalesce(l.customer, '(unknown)')
                                      ELSE format('%s <%s>', one_line(l.customer_name), l.customer) END,
                                 ticket_reply_address(l.id, delims)), '' ORDER BY l.n)
                         FROM l WHERE l.n <= lim)
                     || list_more((SELECT count(*) FROM l), lim, 'ticketctl ticket list shows them all')
           END
           || agent_spam_list(agent, delims, lim)
$$;

-- queue_command_line - the command of an agent's mail to the queue
-- address, as the parser read it (meta->commands: the first command, or
-- the first line it did not understand): {name, argument, line,
-- body_start (the characters of reply_text before the text)} or {error};
-- NULL for any other mail (not an authenticated agent's, sent to a
-- ticket's reply address, or no "#" line at its top)
CREATE OR REPLACE FUNCTION queue_command_line(meta jsonb, kind text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    cmds   jsonb := meta->'commands';
    first  jsonb := meta->'commands'->'list'->0;
BEGIN
    IF kind <> 'agent' OR jsonb_array_length(coalesce(meta->'tokens', '[]')) > 0
       OR jsonb_typeof(cmds) IS DISTINCT FROM 'object' THEN
        RETURN NULL;
    ELSIF jsonb_array_length(coalesce(cmds->'errors', '[]')) > 0 THEN
        RETURN jsonb_build_object('error', cmds->'errors'->>0);
    END IF;
    RETURN jsonb_build_object('name', first->>'name', 'argument', coalesce(first->>'argument', ''),
                              'line', btrim('#' || (first->>'name') || ' ' || coalesce(first->>'argument', '')),
                              'body_start', cmds->'body_start');
END $$;

-- queue_command_refusal - why a command mail cannot be done, or NULL
CREATE OR REPLACE FUNCTION queue_command_refusal(q queues, meta jsonb, cmd jsonb) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    arg     text := cmd->>'argument';
    addr    text := lower(substring(cmd->>'argument' FROM '^<?([^<>]*)>?$'));
    rest    text;
BEGIN
    IF cmd ? 'error' THEN
        RETURN cmd->>'error';
    ELSIF cmd->>'name' = 'list' THEN
        RETURN NULL;
    ELSIF cmd->>'name' <> 'new' THEN
        RETURN format('%s: not a command for the queue address (#list, #new ADDRESS; the commands of '
                      'a ticket go in a reply to it)', left(cmd->>'line', 80));
    END IF;
    -- One address, nothing else: never a list of recipients.
    IF arg = '' THEN
        RETURN '#new needs the customer''s address: #new customer@example.org';
    ELSIF addr IS NULL OR length(addr) > 254
          OR addr !~ '^[^[:space:][:cntrl:]@,;:<>()"\\]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' THEN
        RETURN format('#new takes one address, e.g. #new customer@example.org (it was given %s characters: %s)',
                      length(arg), left(arg, 60) || CASE WHEN length(arg) > 60 THEN '...' ELSE '' END);
    ELSIF is_queue_address(addr, meta->>'recipient_delimiter') THEN
        RETURN format('#new %s: that is a support address of this help desk, not a customer (it would loop)', addr);
    ELSIF is_system_address(addr) THEN
        RETURN format('#new %s: that is a system address (postmaster, MAILER-DAEMON, no-reply, ...), '
                      'which no help desk mail may go to', addr);
    ELSIF EXISTS (SELECT 1 FROM agents a WHERE a.address = addr) THEN
        RETURN format('#new %s: that is an agent, not a customer', addr);
    END IF;
    rest := substr(coalesce(meta->>'reply_text', ''), (cmd->>'body_start')::integer + 1);
    IF btrim(rest, E' \t\r\n') = '' THEN
        RETURN format('#new %s: write the text for the customer below the #new line', addr);
    END IF;
    RETURN NULL;
END $$;

-- queue_command - what ingest_message() does with an agent's mail to the
-- queue address: NULL, it is no command mail; {answer: RESULT}, the mail
-- is answered here (#list, or a command refused: the agent hears why) and
-- RESULT is what ingest_message() returns, nothing stored; or {new:
-- ADDRESS, commands: ...}, a ticket for ADDRESS is opened with the mail as
-- its first answer (the commands replace the parser's: #take, and the
-- answer after the #new line). An agent of another queue is refused (550).
CREATE OR REPLACE FUNCTION queue_command(q queues, meta jsonb, kind text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    cmd     jsonb := queue_command_line(meta, kind);
    sender  text := lower(meta->>'from_address');
    agent   agents;
    why     text;
    rule    text;
BEGIN
    IF cmd IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO agent FROM agents WHERE address = sender;
    IF NOT EXISTS (SELECT 1 FROM agent_queues WHERE agent_id = agent.id AND queue_id = q.id) THEN
        PERFORM agent_refuse(format('You are not an agent of %s, so you cannot send it commands', q.address));
    END IF;
    why := queue_command_refusal(q, meta, cmd);
    IF why IS NULL AND cmd->>'name' = 'new' THEN
        RETURN jsonb_build_object('new', lower(substring(cmd->>'argument' FROM '^<?([^<>]*)>?$')),
            'commands', jsonb_build_object('list', '[{"name": "take", "argument": ""}]'::jsonb,
                                           'errors', '[]'::jsonb, 'body_start', cmd->'body_start'));
    ELSIF why IS NULL THEN
        rule := 'agent-list';
        PERFORM outbox_add_queue(q, sender, q.language, 'Your open tickets',
                                 agent_ticket_list(agent, meta->>'recipient_delimiter', 30));
    ELSE
        rule := 'agent-command-refused';
        PERFORM outbox_add_queue(q, sender, q.language, format('Your mail to %s: nothing done', q.address),
            format(E'Your mail to %s was not made a ticket, and nothing was done: %s.\n\n'
                   || E'Mail to the queue address starts with one of these lines:\n'
                   || E'#list            your open tickets and the unassigned ones\n'
                   || E'#new ADDRESS     a new ticket for that customer; the text below the line is sent to them\n',
                   q.address, why));
    END IF;
    RETURN jsonb_build_object('answer', jsonb_build_object('ticket', NULL, 'message', NULL, 'rule', rule,
        'created', false, 'duplicate', false, 'discard', 'command mail to the queue: ' || rule,
        'queued', true));
END $$;

-- digest_send - queue the daily list (agent_ticket_list()) for each agent
-- who chose --digest daily and got none in the last 20 hours, from the
-- agent's first queue; returns the agents, each once
CREATE OR REPLACE FUNCTION digest_send(delims text, lim integer) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    a   agents;
    q   queues;
BEGIN
    FOR a IN SELECT * FROM agents
             WHERE digest = 'daily' AND (digest_sent_at IS NULL OR digest_sent_at < now() - interval '20 hours')
             ORDER BY address FOR UPDATE SKIP LOCKED LOOP
        SELECT qq.* INTO q FROM queues qq JOIN agent_queues aq ON aq.queue_id = qq.id
        WHERE aq.agent_id = a.id AND qq.retired_at IS NULL ORDER BY qq.id LIMIT 1;
        CONTINUE WHEN NOT FOUND;
        PERFORM outbox_add_queue(q, a.address, q.language, 'Your open tickets today',
                                 agent_ticket_list(a, delims, lim));
        UPDATE agents SET digest_sent_at = now() WHERE id = a.id;
        RETURN NEXT a.address;
    END LOOP;
    PERFORM pg_notify('ticket_milter_outbox', '');
END $$;
