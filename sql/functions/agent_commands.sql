-- agent_commands.sql - who hears of a ticket (each agent's notify
-- setting), and the commands at the top of an authenticated agent's mail:
-- each checked first, so that a mail with one bad command changes
-- nothing, then done, each leaving an event. agent_reply() calls
-- agent_commands() with the commands mail_commands() (parser/reply_strip.c)
-- read into meta->commands.

-- ticket_watchers - the agents to tell of news on ticket t, but not
-- author: an unassigned ticket's (or one whose assignee left the queue)
-- go to the queue's agents with notify 'assigned' or 'all'; an assigned
-- one's to the assignee (unless 'none') and the agents following the
-- queue ('all')
CREATE OR REPLACE FUNCTION ticket_watchers(t tickets, author text) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT a.address FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
    WHERE aq.queue_id = t.queue_id AND a.address <> coalesce(lower(author), '')
      AND (a.notify = 'all'
           OR (a.notify = 'assigned'
               AND (a.address = t.assignee
                    OR NOT EXISTS (SELECT 1 FROM agents b JOIN agent_queues bq ON bq.agent_id = b.id
                                   WHERE b.address = t.assignee AND bq.queue_id = t.queue_id))))
    ORDER BY a.address
$$;

-- ticket_current - the ticket a ticket was merged into (#merge), or itself
CREATE OR REPLACE FUNCTION ticket_current(ticket bigint) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    next  bigint;
BEGIN
    -- ticket_merge() points earlier merges at the newest ticket: one step
    -- is the rule, the bound only guards against a hand-made cycle.
    FOR i IN 1..8 LOOP
        SELECT t.merged_into INTO next FROM tickets t WHERE t.id = ticket;
        EXIT WHEN next IS NULL;
        ticket := next;
    END LOOP;
    RETURN ticket;
END $$;

-- ticket_merge - move ticket src into dst: its messages, events and
-- outgoing mail; its participants become dst's CC participants; src
-- stays, closed, pointing at dst, so its number and reply addresses lead there
CREATE OR REPLACE FUNCTION ticket_merge(src tickets, dst tickets, actor text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET ticket_id = dst.id WHERE ticket_id = src.id;
    UPDATE events SET ticket_id = dst.id WHERE ticket_id = src.id;
    UPDATE outbox SET ticket_id = dst.id WHERE ticket_id = src.id;
    INSERT INTO ticket_participants (ticket_id, contact_id, role, added_by)
        SELECT dst.id, p.contact_id, 'cc', coalesce(p.added_by, format('%s (#merge %s)', actor, src.number))
        FROM ticket_participants p
        WHERE p.ticket_id = src.id AND p.contact_id IS DISTINCT FROM dst.customer_id
    ON CONFLICT DO NOTHING;
    DELETE FROM ticket_participants WHERE ticket_id = src.id;
    UPDATE tickets SET merged_into = dst.id WHERE merged_into = src.id;
    UPDATE tickets SET merged_into = dst.id, status = 'closed', closed_at = now(), updated_at = now()
    WHERE id = src.id;
    UPDATE tickets SET updated_at = now(),
           first_response_at = least(first_response_at, src.first_response_at),
           last_customer_at = greatest(last_customer_at, src.last_customer_at)
    WHERE id = dst.id;
    PERFORM ticket_event(dst.id, actor, 'merge', jsonb_build_object('from', src.number));
    PERFORM ticket_event(src.id, actor, 'merged', jsonb_build_object('into', dst.number));
END $$;

-- mail_address_valid - an address a command may add: a dot-atom local
-- part and a domain of labels, nothing that could leave an envelope or
-- a header field
CREATE OR REPLACE FUNCTION mail_address_valid(addr text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(length(addr) <= 254
        AND addr ~ '^[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$', false)
$$;

-- canned_find - the canned answer NAME for ticket t in language lang:
-- the queue's, then the default one, as templates are chosen
CREATE OR REPLACE FUNCTION canned_find(t tickets, name text, lang text) RETURNS canned
LANGUAGE sql STABLE AS $$
    SELECT cn.* FROM canned cn JOIN queues q ON q.id = t.queue_id
    WHERE cn.name = lower(canned_find.name) AND (cn.queue_id = q.id OR cn.queue_id IS NULL)
    ORDER BY (cn.language = lang) DESC, (cn.queue_id IS NOT NULL) DESC,
             (cn.language = q.language) DESC, (cn.language = 'en') DESC
    LIMIT 1
$$;

-- html_escape - text as HTML text
CREATE OR REPLACE FUNCTION html_escape(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace(replace(replace(v, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'),
                   '''', '&#39;')
$$;

-- canned_render - a canned answer's text with its {{fields}} replaced
-- from vals (template syntax, checked by ticketctl canned set); with
-- html, the values are escaped
CREATE OR REPLACE FUNCTION canned_render(body text, vals jsonb, html boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k  text;
    v  text;
BEGIN
    FOR k, v IN SELECT * FROM jsonb_each_text(vals) LOOP
        v := coalesce(v, '');
        IF html THEN
            v := html_escape(v);
        END IF;
        body := regexp_replace(body, '\{\{\s*' || k || '\s*\}\}', replace(v, '\', '\\'), 'g');
    END LOOP;
    RETURN body;
END $$;

-- agent_command_check - what is wrong with one command of agent on
-- ticket t (answer: the text after the commands), or NULL
CREATE OR REPLACE FUNCTION agent_command_check(t tickets, agent agents, name text, arg text,
                                               answer text, lang text, delims text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    q       queues;
    op      text := lower(split_part(arg, ' ', 1));
    addr    text := lower(btrim(substr(arg, length(split_part(arg, ' ', 1)) + 1)));
    target  tickets;
    role    text;
BEGIN
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    CASE name
    WHEN 'list', 'new' THEN
        RETURN format('#%s goes in a mail to the queue address %s, not in a reply to a ticket', name, q.address);
    WHEN 'assign' THEN
        IF NOT EXISTS (SELECT 1 FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
                       WHERE a.address = lower(arg) AND aq.queue_id = q.id) THEN
            RETURN format('#assign %s: not an agent of %s', arg, q.address);
        END IF;
    WHEN 'cc' THEN
        IF op NOT IN ('add', 'remove') OR addr = '' THEN
            RETURN format('#cc %s: write #cc add ADDRESS or #cc remove ADDRESS', arg);
        ELSIF NOT mail_address_valid(addr) THEN
            RETURN format('#cc %s: "%s" is not a mail address', arg, addr);
        END IF;
        SELECT p.role INTO role FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
        WHERE p.ticket_id = t.id AND c.address = addr;
        IF role = 'customer' THEN
            RETURN format('#cc %s: %s is the customer of ticket %s', arg, addr, t.number);
        ELSIF op = 'remove' AND role IS NULL THEN
            RETURN format('#cc %s: %s is not a CC participant of ticket %s', arg, addr, t.number);
        ELSIF op = 'add' AND EXISTS (SELECT 1 FROM agents a WHERE a.address = addr) THEN
            RETURN format('#cc %s: %s is an agent; agents get notifications, not the answers', arg, addr);
        ELSIF op = 'add' AND is_queue_address(addr, delims) THEN
            RETURN format('#cc %s: %s is a support address', arg, addr);
        END IF;
    WHEN 'merge' THEN
        SELECT * INTO target FROM tickets
        WHERE id = ticket_current((SELECT x.id FROM tickets x WHERE x.number = ltrim(arg, '#')));
        -- Another queue's ticket is answered as a missing one: an agent
        -- learns nothing of the queues they are not in.
        IF target.id IS NULL OR target.queue_id <> t.queue_id THEN
            RETURN format('#merge %s: there is no ticket %s in %s', arg, ltrim(arg, '#'), q.address);
        ELSIF target.id = t.id THEN
            RETURN format('#merge %s: that is this ticket', arg);
        END IF;
    WHEN 'spam' THEN
        IF btrim(answer, E' \t\r\n') <> '' THEN
            RETURN '#spam: nothing is sent to a sender of spam; send #spam without an answer';
        END IF;
    WHEN 'notspam' THEN
        IF t.status <> 'spam' THEN
            RETURN format('#notspam: ticket %s is not marked as spam', t.number);
        END IF;
    WHEN 'canned' THEN
        IF (canned_find(t, arg, lang)).id IS NULL THEN
            RETURN format('#canned %s: there is no canned answer %s for %s (ticketctl canned list)',
                          arg, lower(arg), q.address);
        END IF;
    ELSE
        NULL;
    END CASE;
    RETURN NULL;
END $$;

-- agent_command_do - do one checked command of agent (named sender) on
-- ticket t, leaving an event; returns the text a #canned puts in the
-- answer, '' for the others. A #merge makes ticket_current(t) the target.
-- A status goes through ticket_status_change() (meta: its limits).
CREATE OR REPLACE FUNCTION agent_command_do(t tickets, message bigint, agent agents, name text,
                                            arg text, lang text, meta jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    sender  text := agent.address;
    op      text := lower(split_part(arg, ' ', 1));
    addr    text := lower(btrim(substr(arg, length(split_part(arg, ' ', 1)) + 1)));
    target  tickets;
    cn      canned;
    to_s    text;
BEGIN
    CASE name
    WHEN 'note' THEN
        PERFORM ticket_event(t.id, sender, 'note', jsonb_build_object('message', message));
    WHEN 'close', 'pending', 'solved', 'spam', 'notspam' THEN
        to_s := CASE name WHEN 'close' THEN 'closed' WHEN 'notspam' THEN 'open' ELSE name END;
        PERFORM ticket_status_change(t, to_s, sender, '#' || name, meta->'limits',
                                     meta->>'recipient_delimiter');
    WHEN 'take', 'assign' THEN
        to_s := CASE name WHEN 'take' THEN sender ELSE lower(arg) END;
        UPDATE tickets SET assignee = to_s, updated_at = now() WHERE id = t.id;
        PERFORM ticket_event(t.id, sender, 'assign', jsonb_build_object('from', t.assignee, 'to', to_s));
    WHEN 'cc' THEN
        IF op = 'add' THEN
            INSERT INTO ticket_participants (ticket_id, contact_id, role, added_by)
            VALUES (t.id, contact_id(addr, NULL), 'cc', sender) ON CONFLICT DO NOTHING;
        ELSE
            DELETE FROM ticket_participants p USING contacts c
            WHERE p.ticket_id = t.id AND p.contact_id = c.id AND c.address = addr AND p.role = 'cc';
        END IF;
        PERFORM ticket_event(t.id, sender, 'participant',
                             jsonb_build_object(op, addr, 'role', 'cc', 'by', 'mail'));
    WHEN 'merge' THEN
        SELECT * INTO target FROM tickets
        WHERE id = ticket_current((SELECT x.id FROM tickets x WHERE x.number = ltrim(arg, '#')));
        PERFORM ticket_merge(t, target, sender);
    WHEN 'canned' THEN
        cn := canned_find(t, arg, lang);
        PERFORM ticket_event(t.id, sender, 'canned',
                             jsonb_build_object('name', cn.name, 'language', cn.language));
        RETURN rtrim(canned_render(cn.text_body, canned_values(t, agent), false), E'\n') || E'\n\n';
    END CASE;
    RETURN '';
END $$;

-- canned_values - the fields of a canned answer on ticket t by agent
CREATE OR REPLACE FUNCTION canned_values(t tickets, agent agents) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'ticket_number', t.number, 'ticket_subject', t.subject,
        'customer_name', coalesce(c.name, c.address), 'customer_address', c.address,
        'agent_name', coalesce(agent.name, split_part(agent.address, '@', 1)),
        'agent_address', agent.address, 'queue_name', q.name, 'queue_address', q.address)
    FROM queues q LEFT JOIN contacts c ON c.id = t.customer_id
    WHERE q.id = t.queue_id
$$;

-- canned_html - the HTML a #canned NAME puts in an HTML answer: the
-- canned answer's HTML (ticketctl canned set --html), else its text
-- escaped, its fields filled
CREATE OR REPLACE FUNCTION canned_html(t tickets, agent agents, name text, lang text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT '<div class="canned">'
           || CASE WHEN cn.html_body IS NOT NULL THEN canned_render(cn.html_body, canned_values(t, agent), true)
                   ELSE replace(html_escape(rtrim(canned_render(cn.text_body, canned_values(t, agent), false), E'\n')),
                                E'\n', E'<br>\n') END
           || E'</div>\n'
    FROM canned_find(t, name, lang) cn
$$;

-- agent_commands - check every command of an agent's mail (meta->commands)
-- on ticket t, then, when none is wrong, do them in order: a #merge
-- first, the others then on the ticket merged into. Returns {errors}
-- when one is wrong (nothing done), else {ticket: the ticket id after
-- them, note, canned and canned_html: the canned answers' text and
-- HTML}.
CREATE OR REPLACE FUNCTION agent_commands(t tickets, message bigint, meta jsonb, agent agents,
                                          answer text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    cmds    jsonb := coalesce(meta->'commands'->'list', '[]');
    c       jsonb;
    lang    text;
    errors  text[] := ARRAY(SELECT jsonb_array_elements_text(coalesce(meta->'commands'->'errors', '[]')));
    canned_text  text := '';
    canned_htm   text := '';
BEGIN
    SELECT coalesce(ct.language, q.language) INTO lang
    FROM queues q LEFT JOIN contacts ct ON ct.id = t.customer_id WHERE q.id = t.queue_id;
    FOR c IN SELECT * FROM jsonb_array_elements(cmds) LOOP
        errors := errors || agent_command_check(t, agent, c->>'name', c->>'argument', answer, lang,
                                                meta->>'recipient_delimiter');
    END LOOP;
    IF (SELECT count(*) FROM jsonb_array_elements(cmds) x WHERE x->>'name' = 'merge') > 1 THEN
        errors := errors || '#merge: one ticket can be merged into one other'::text;
    END IF;
    IF cmds @> '[{"name": "spam"}]' AND cmds @> '[{"name": "canned"}]' THEN
        errors := errors || '#spam: nothing is sent to a sender of spam; send #spam without #canned'::text;
    END IF;
    errors := array_remove(errors, NULL);
    IF array_length(errors, 1) > 0 THEN
        PERFORM ticket_event(t.id, agent.address, 'commands refused',
                             jsonb_build_object('message', message, 'errors', to_jsonb(errors)));
        RETURN jsonb_build_object('errors', to_jsonb(errors));
    END IF;
    FOR c IN SELECT * FROM jsonb_array_elements(cmds) x WHERE x->>'name' = 'merge' LOOP
        PERFORM agent_command_do(t, message, agent, 'merge', c->>'argument', lang, meta);
        SELECT * INTO t FROM tickets WHERE id = ticket_current(t.id);
    END LOOP;
    FOR c IN SELECT * FROM jsonb_array_elements(cmds) x WHERE x->>'name' <> 'merge' LOOP
        canned_text := canned_text || agent_command_do(t, message, agent, c->>'name', c->>'argument', lang, meta);
        IF c->>'name' = 'canned' THEN
            canned_htm := canned_htm || canned_html(t, agent, c->>'argument', lang);
        END IF;
        SELECT * INTO t FROM tickets WHERE id = t.id;
    END LOOP;
    RETURN jsonb_build_object('ticket', t.id, 'canned', canned_text, 'canned_html', canned_htm,
        'note', cmds @> '[{"name": "note"}]');
END $$;
