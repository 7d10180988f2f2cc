-- 013_trust.sql - what a stranger can learn decides where a message is
-- filed, never who receives the answers.
--
-- A ticket number, a Message-ID, a Thread-Index or the customer's address
-- in From can be known or forged by anyone. Until now a message threaded
-- by them made everyone on its To and Cc a participant of the ticket, so
-- a stranger who forged From, quoted [#N] and added himself in Cc got every
-- later answer. Now:
--  * only a proven message adds participants: the first message of a
--    ticket, an authenticated agent's, or one whose sender passes DMARC
--    (or aligned DKIM/SPF: meta->sender_authenticated) and already takes
--    part. Any other follow-up is marked unproven (facts.unproven), and
--    the addresses it names that do not take part are recorded
--    (facts.asks_to_add) and shown to the agents, who decide;
--  * of two stored messages with one Message-ID, the earliest wins
--    (In-Reply-To, References, Thread-Index), and a message whose
--    Message-ID is stored in the queue with other content joins the
--    ticket of the earliest (rule reused-message-id, facts
--    reused_message_id): a client that sends again with a new Date no
--    longer opens a second ticket that steals the conversation;
--  * headers the sender writes (X-Loop, Auto-Submitted) never hide a
--    message from the agents: only our own mail coming back (our X-Loop
--    with our Message-ID in In-Reply-To/References) and bounces of mail we
--    sent stay quiet;
--  * a bounce stops automatic mail to an address only when it refers to a
--    Message-ID we sent to that address: a forged DSN cannot silence
--    someone else;
--  * an out-of-office reply the parser recognises (facts.is_auto_reply)
--    gets no confirmation;
--  * AutoMailPerTicketHour (meta->limits->per_ticket_hour) bounds the
--    agents' notifications of a ticket too: a confirmation only ever goes
--    to a new ticket, so it never triggered before.
-- The bodies are those of 011 (ingest_message, ingest_after), 005
-- (autoreply_refusal) and 002 (thread_find), changed as said.

-- thread_find - the ticket a message belongs to by evidence, strongest
-- first; returns the ticket (or NULL), the rule, and a ticket to link a
-- new one to (a stranger's subject tag). Of several stored messages with
-- one Message-ID or Thread-Index root, the earliest counts.
CREATE OR REPLACE FUNCTION thread_find(meta jsonb, OUT ticket bigint, OUT rule text, OUT linked bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    token   text;
    n       bigint;
    sender  text := lower(coalesce(meta->>'from_address', meta->>'envelope_sender'));
BEGIN
    -- 1. A reply address whose MAC holds.
    FOR token IN SELECT jsonb_array_elements_text(coalesce(meta->'tokens', '[]')) LOOP
        ticket := ticket_by_token(token);
        IF ticket IS NOT NULL THEN
            rule := 'reply-token';
            RETURN;
        END IF;
    END LOOP;
    -- 2. In-Reply-To, then References newest first, naming a message we hold.
    SELECT m.ticket_id, r.n INTO ticket, n
    FROM jsonb_array_elements_text(coalesce(meta->'thread_ids', '[]')) WITH ORDINALITY r(id, n)
    JOIN messages m ON m.message_id = r.id
    ORDER BY r.n, m.id LIMIT 1;
    IF ticket IS NOT NULL THEN
        rule := CASE WHEN n = 1 AND meta->>'in_reply_to' IS NOT NULL THEN 'in-reply-to' ELSE 'references' END;
        RETURN;
    END IF;
    -- 3. Outlook's conversation (Thread-Index root).
    IF meta->>'thread_root' IS NOT NULL THEN
        SELECT m.ticket_id INTO ticket FROM messages m
        WHERE m.thread_root = meta->>'thread_root' ORDER BY m.id LIMIT 1;
        IF ticket IS NOT NULL THEN
            rule := 'thread-index';
            RETURN;
        END IF;
    END IF;
    -- 4. The subject tag, only from someone who takes part in that ticket.
    IF meta->>'ticket_tag' IS NOT NULL THEN
        SELECT t.id INTO n FROM tickets t WHERE t.number = meta->>'ticket_tag';
        IF n IS NOT NULL THEN
            IF EXISTS (SELECT 1 FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
                       WHERE p.ticket_id = n AND c.address = sender) THEN
                ticket := n;
                rule := 'subject-tag';
            ELSE
                linked := n;
                rule := 'new-stranger-tag';
            END IF;
            RETURN;
        END IF;
    END IF;
    rule := 'new';
END $$;

-- reused_message_ticket - the ticket of the earliest incoming message of
-- the queue with this Message-ID, or NULL
CREATE FUNCTION reused_message_ticket(message_id text, queue integer) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT m.ticket_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
    WHERE m.message_id = $1 AND m.direction = 'in' AND t.queue_id = $2
    ORDER BY m.id LIMIT 1
$$;

-- is_our_mail_back - the message refers to mail we sent (a Message-ID of
-- our outbox in In-Reply-To, References or a bounce's original id)
CREATE FUNCTION is_our_mail_back(meta jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM outbox o
                   WHERE o.message_id IN (SELECT jsonb_array_elements_text(coalesce(meta->'thread_ids', '[]'))
                                          UNION ALL
                                          SELECT meta->'facts'->>'bounce_original_message_id'))
$$;

-- notify_refusal - why the agents are not told of a stored message, or
-- NULL: an agent's own mail, our own mail coming back (our X-Loop with
-- our Message-ID referred to), a bounce of our own mail, or the ticket's
-- rate limit. What the sender writes alone (X-Loop, Auto-Submitted,
-- Precedence) never hides a message.
CREATE FUNCTION notify_refusal(meta jsonb, t tickets, kind text, sender text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF kind NOT IN ('customer', 'auto-reply', 'bounce') THEN
        RETURN kind;
    END IF;
    IF EXISTS (SELECT 1 FROM agents a WHERE a.address = sender) THEN
        RETURN 'agent-address';
    END IF;
    IF (kind = 'bounce' OR is_queue_address(meta->'facts'->>'x_loop')) AND is_our_mail_back(meta) THEN
        RETURN CASE kind WHEN 'bounce' THEN 'bounce-of-our-mail' ELSE 'own-mail-back' END;
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id
        AND o.created_at > now() - interval '1 hour')
       >= coalesce((meta->'limits'->>'per_ticket_hour')::int, 20) THEN
        RETURN 'rate-limit-ticket-hour';
    END IF;
    RETURN NULL;
END $$;

-- autoreply_refusal - why a message must not get a confirmation, or NULL.
-- Loops and backscatter (RFC 3834): never answer automatic, list, bulk or
-- spam mail, out-of-office replies, bounces, null senders, system or own
-- addresses, agents, unauthenticated senders (per queue), hard-bounced
-- addresses, or past the rate limits (meta->'limits').
CREATE OR REPLACE FUNCTION autoreply_refusal(meta jsonb, t tickets, q queues, rcpt text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    f       jsonb := coalesce(meta->'facts', '{}');
    lim     jsonb := coalesce(meta->'limits', '{}');
BEGIN
    IF q.confirm = 'never' THEN RETURN 'queue-confirms-never'; END IF;
    IF coalesce(meta->>'kind', 'customer') <> 'customer' THEN RETURN meta->>'kind'; END IF;
    IF (f->>'is_auto_submitted')::int = 1 THEN RETURN 'auto-submitted'; END IF;
    IF (f->>'is_auto_reply')::int = 1 THEN RETURN 'auto-reply'; END IF;
    IF lower(f->>'precedence') IN ('bulk', 'list', 'junk') THEN RETURN 'precedence-' || lower(f->>'precedence'); END IF;
    IF f->>'list_id' IS NOT NULL OR (f->>'is_bulk')::int = 1 THEN RETURN 'mailing-list'; END IF;
    IF (f->>'is_spam')::int = 1 THEN RETURN 'spam'; END IF;
    IF f->>'x_auto_response_suppress' ~* '(^|[ ,;])(all|autoreply|oof)($|[ ,;])' THEN
        RETURN 'x-auto-response-suppress';
    END IF;
    IF (f->>'is_bounce')::int = 1 THEN RETURN 'bounce'; END IF;
    IF coalesce(meta->>'envelope_sender', '') = '' THEN RETURN 'null-sender'; END IF;
    IF is_queue_address(f->>'x_loop') THEN RETURN 'own-loop-header'; END IF;
    IF rcpt IS NULL THEN RETURN 'no-sender-address'; END IF;
    IF is_system_address(rcpt) THEN RETURN 'system-sender'; END IF;
    IF is_queue_address(rcpt) THEN RETURN 'own-address'; END IF;
    IF EXISTS (SELECT 1 FROM agents a WHERE a.address = rcpt) THEN RETURN 'agent'; END IF;
    IF q.confirm = 'authenticated' AND NOT coalesce((meta->>'sender_authenticated')::boolean, false) THEN
        RETURN 'sender-not-authenticated';
    END IF;
    IF EXISTS (SELECT 1 FROM contacts c WHERE c.address = rcpt AND c.bounced_at >
               now() - make_interval(secs => coalesce((lim->>'bounce_hold_seconds')::double precision, 0))) THEN
        RETURN 'address-bounced';
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.recipient = rcpt AND o.kind = 'confirmation'
        AND o.created_at > now() - interval '1 hour') >= coalesce((lim->>'per_address_hour')::int, 5) THEN
        RETURN 'rate-limit-address-hour';
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.recipient = rcpt AND o.kind = 'confirmation'
        AND o.created_at > now() - interval '1 day') >= coalesce((lim->>'per_address_day')::int, 20) THEN
        RETURN 'rate-limit-address-day';
    END IF;
    RETURN NULL;
END $$;

-- ingest_after - the agents' notifications and the confirmation (decided
-- by ingest_message() before the message was stored: refusal, NULL
-- to send one) a stored message causes, in the same transaction; facts
-- are the stored message's (the parser's and the trust flags)
DROP FUNCTION ingest_after(tickets, queues, bigint, jsonb, text, text);
CREATE FUNCTION ingest_after(t tickets, q queues, message bigint, meta jsonb,
                             kind text, refusal text, f jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    rcpt     text := lower(meta->>'from_address');
    lang     text;
    notified integer := 0;
    quiet    text;
    event    text;
BEGIN
    -- A permanent bounce of mail we sent to that address: no automatic
    -- mail to it for a while. A bounce naming other mail changes nothing.
    IF kind = 'bounce' AND f->>'bounce_status' LIKE '5.%'
       AND EXISTS (SELECT 1 FROM outbox o
                   WHERE o.message_id = f->>'bounce_original_message_id'
                     AND o.recipient = lower(f->>'bounce_failed_recipient')) THEN
        UPDATE contacts SET bounced_at = now()
        WHERE id = contact_id(f->>'bounce_failed_recipient', NULL);
    END IF;
    -- The customer's language: known before, else the message's, else the queue's.
    IF meta->>'language' ~ '^[a-z]{2,3}$' THEN
        UPDATE contacts SET language = meta->>'language' WHERE address = rcpt AND language IS NULL;
    END IF;
    IF refusal IS NULL THEN
        SELECT c.language INTO lang FROM contacts c WHERE c.address = rcpt;
        PERFORM outbox_add(t, message, 'confirmation', rcpt, coalesce(lang, q.language));
    END IF;

    -- The queue's agents hear of every message but their own and our own
    -- coming back; an unproven one says so, with whom it asks to add.
    quiet := notify_refusal(meta, t, kind, rcpt);
    IF quiet IS NULL THEN
        event := CASE kind WHEN 'customer' THEN 'Reply' ELSE initcap(kind) END;
        IF f ? 'asks_to_add' THEN
            event := format('%s from an unproven sender, who asks to add %s (ticketctl ticket cc %s add ADDRESS)',
                            event, (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(f->'asks_to_add') x),
                            t.number);
        ELSIF f ? 'unproven' THEN
            event := event || ' from an unproven sender';
        ELSIF kind = 'customer' THEN
            event := NULL;
        END IF;
        WITH added AS (
            SELECT outbox_add(t, message, 'notification', a.address, q.language, event)
            FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
            WHERE aq.queue_id = q.id AND a.address <> coalesce(rcpt, '')
        ) SELECT count(*) INTO notified FROM added;
    END IF;
    RETURN jsonb_build_object('autoreply', coalesce(refusal, 'sent'), 'notified', notified)
           || CASE WHEN quiet IS NULL THEN '{}' ELSE jsonb_build_object('not_notified', quiet) END
           || agent_reply(t, message, meta, kind);
END $$;

-- proven_sender - may this message change who takes part in ticket t: an
-- authenticated agent's, or a proven sender (DMARC, aligned DKIM/SPF)
-- who already takes part
CREATE FUNCTION proven_sender(meta jsonb, t tickets, kind text, sender text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT kind = 'agent'
        OR (coalesce((meta->>'sender_authenticated')::boolean, false)
            AND EXISTS (SELECT 1 FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
                        WHERE p.ticket_id = t.id AND c.address = sender))
$$;

-- named_participants - the To and Cc addresses of a message that are not
-- support addresses, lower case, each once
CREATE FUNCTION named_participants(meta jsonb)
RETURNS TABLE (address text, name text) LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (lower(x->>'address')) lower(x->>'address'), x->>'name'
    FROM jsonb_array_elements(coalesce(meta->'to', '[]') || coalesce(meta->'cc', '[]')) x
    WHERE x->>'address' IS NOT NULL AND NOT is_queue_address(x->>'address')
$$;

-- ingest_message - store one received message in the right ticket, once
-- (meta as described in 002); an agent's reply keeps its relay
-- instructions, so that a duplicate of it is relayed again (010)
CREATE OR REPLACE FUNCTION ingest_message(meta jsonb, raw bytea, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    q         queues;
    t         tickets;
    found_t   record;
    m_id      bigint;
    rule      text;
    created   boolean := false;
    reopen    boolean;
    reused    boolean := false;
    refusal   text;
    sender    text := lower(coalesce(meta->>'from_address', nullif(meta->>'envelope_sender', '')));
    actor     text := coalesce(sender, 'unknown');
    customer  bigint;
    kind      text := message_kind(meta);
    m_facts   jsonb := coalesce(meta->'facts', '{}');
    asks      jsonb;
    a         jsonb;
    pos       integer := 0;
    result    jsonb;
BEGIN
    -- Deliveries of the same message wait for each other here.
    PERFORM pg_advisory_xact_lock(hashtextextended(
        coalesce(meta->>'message_id', '') || ' ' || (meta->>'digest'), 7431));
    SELECT m.id, tk.number, m.thread_rule, m.facts->'relay' AS relay INTO found_t
    FROM messages m JOIN tickets tk ON tk.id = m.ticket_id
    WHERE coalesce(m.message_id, '') = coalesce(meta->>'message_id', '')
      AND m.digest = meta->>'digest';
    IF FOUND THEN
        RETURN jsonb_build_object('ticket', found_t.number, 'message', found_t.id,
                                  'rule', found_t.thread_rule, 'created', false, 'duplicate', true)
               || CASE WHEN found_t.relay IS NULL THEN '{}' ELSE jsonb_build_object('relay', found_t.relay) END;
    END IF;

    SELECT * INTO q FROM queues WHERE address = lower(meta->'queues'->>0);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no queue for %', meta->'queues'->>0 USING ERRCODE = 'no_data_found';
    END IF;

    -- A Message-ID the queue holds with other content: the earliest's ticket.
    found_t := NULL;
    IF meta->>'message_id' IS NOT NULL THEN
        SELECT reused_message_ticket(meta->>'message_id', q.id) AS ticket,
               'reused-message-id'::text AS rule, NULL::bigint AS linked INTO found_t;
        reused := found_t.ticket IS NOT NULL;
    END IF;
    IF NOT reused THEN
        SELECT * INTO found_t FROM thread_find(meta);
    END IF;
    rule := found_t.rule;
    IF found_t.ticket IS NOT NULL THEN
        SELECT * INTO t FROM tickets WHERE id = found_t.ticket FOR UPDATE;
        -- A closed ticket takes replies for a while, then a new one starts;
        -- a message sent again never starts one.
        IF t.status = 'closed' AND NOT reused AND t.closed_at < now() - make_interval(secs => coalesce((meta->>'reopen_seconds')::double precision, 0)) THEN
            found_t.linked := t.id;
            rule := 'new-after-closed';
            t := NULL;
        END IF;
    END IF;

    IF sender IS NOT NULL THEN
        customer := contact_id(sender, meta->>'from_name');
    END IF;
    IF t.id IS NULL THEN
        INSERT INTO tickets (number, queue_id, subject, customer_id, linked_ticket_id, last_customer_at)
        VALUES (ticket_number_next(meta->>'number_format'), q.id,
                coalesce(nullif(meta->>'subject_normalized', ''), meta->>'subject', ''),
                customer, found_t.linked, now())
        RETURNING * INTO t;
        created := true;
        INSERT INTO events (ticket_id, actor, action, detail)
        VALUES (t.id, actor, 'created', jsonb_build_object('rule', rule, 'linked_ticket', found_t.linked));
        IF customer IS NOT NULL THEN
            INSERT INTO ticket_participants VALUES (t.id, customer, 'customer');
        END IF;
    ELSE
        reopen := kind = 'customer' AND t.status IN ('pending', 'solved', 'closed')
                  AND NOT (t.status = 'closed' AND t.closed_at < now() - make_interval(secs => coalesce((meta->>'reopen_seconds')::double precision, 0)));
        IF reopen THEN
            INSERT INTO events (ticket_id, actor, action, detail)
            VALUES (t.id, actor, 'status', jsonb_build_object('from', t.status, 'to', 'open', 'why', 'customer reply'));
        END IF;
        UPDATE tickets SET updated_at = now(),
                           last_customer_at = CASE WHEN kind = 'customer' THEN now() ELSE last_customer_at END,
                           status = CASE WHEN reopen THEN 'open' ELSE status END,
                           closed_at = CASE WHEN reopen THEN NULL ELSE closed_at END
        WHERE id = t.id RETURNING * INTO t;
        -- The ticket's queue, which the notifications go to.
        IF t.queue_id <> q.id THEN
            SELECT * INTO q FROM queues WHERE id = t.queue_id;
        END IF;
    END IF;

    -- Everyone a proven message names on To and Cc takes part; an unproven
    -- follow-up's names are kept for the agents to decide.
    IF created OR proven_sender(meta, t, kind, sender) THEN
        INSERT INTO ticket_participants
            SELECT t.id, contact_id(n.address, n.name), 'cc' FROM named_participants(meta) n
        ON CONFLICT DO NOTHING;
    ELSE
        SELECT jsonb_agg(n.address ORDER BY n.address) INTO asks FROM named_participants(meta) n
        WHERE NOT EXISTS (SELECT 1 FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
                          WHERE p.ticket_id = t.id AND c.address = n.address)
          AND NOT EXISTS (SELECT 1 FROM agents ag WHERE ag.address = n.address);
        m_facts := m_facts || jsonb_build_object('unproven', true)
                 || CASE WHEN asks IS NULL THEN '{}' ELSE jsonb_build_object('asks_to_add', asks) END;
    END IF;
    IF reused THEN
        m_facts := m_facts || jsonb_build_object('reused_message_id', true);
    END IF;

    IF created THEN
        refusal := autoreply_refusal(meta, t, q, lower(meta->>'from_address'));
    ELSE
        refusal := 'follow-up';
    END IF;
    INSERT INTO messages (ticket_id, kind, message_id, in_reply_to, refs, thread_index, thread_root,
                          subject, from_address, from_name, to_addresses, cc_addresses, sent_at,
                          envelope_sender, envelope_recipients, client_ip, client_name, helo,
                          mta_queue_id, size, raw, body_text, reply_text, html, digest,
                          thread_rule, other_queues, auth, facts, autoreply)
    VALUES (t.id, kind, meta->>'message_id', meta->>'in_reply_to',
            ARRAY(SELECT jsonb_array_elements_text(coalesce(meta->'references', '[]'))),
            meta->>'thread_index', meta->>'thread_root', meta->>'subject',
            meta->>'from_address', meta->>'from_name', coalesce(meta->'to', '[]'),
            coalesce(meta->'cc', '[]'), tm_timestamptz(meta->>'date'),
            coalesce(meta->>'envelope_sender', ''),
            ARRAY(SELECT jsonb_array_elements_text(meta->'envelope_recipients')),
            (meta->>'client_ip')::inet, meta->>'client_name', meta->>'helo',
            meta->>'mta_queue_id', length(raw), raw, meta->>'text', meta->>'reply_text',
            meta->>'html', meta->>'digest', rule,
            ARRAY(SELECT lower(x) FROM jsonb_array_elements_text(meta->'queues') WITH ORDINALITY o(x, n) WHERE n > 1),
            meta->'auth', m_facts, coalesce(refusal, 'sent'))
    RETURNING id INTO m_id;

    -- Attachment content is stored once per SHA-256.
    FOR a IN SELECT * FROM jsonb_array_elements(coalesce(meta->'attachments', '[]')) LOOP
        INSERT INTO blobs (sha256, size, content)
        VALUES (a->>'sha256', (a->>'size')::bigint,
                substring(blob_data FROM (a->>'offset')::integer + 1 FOR (a->>'size')::integer))
        ON CONFLICT (sha256) DO NOTHING;
        INSERT INTO attachments (msg_id, position, filename, content_type, disposition,
                                 content_id, origin, size, truncated, sha256)
        VALUES (m_id, pos, a->>'filename', a->>'content_type', a->>'disposition',
                a->>'content_id', a->>'origin', (a->>'size')::bigint,
                coalesce((a->>'truncated')::boolean, false), a->>'sha256');
        pos := pos + 1;
    END LOOP;

    IF NOT created THEN
        INSERT INTO events (ticket_id, actor, action, detail)
        VALUES (t.id, actor, 'message', jsonb_build_object('message', m_id, 'rule', rule, 'kind', kind)
                || CASE WHEN m_facts ? 'unproven' THEN '{"unproven": true}'::jsonb ELSE '{}' END);
    END IF;
    result := jsonb_build_object('ticket', t.number, 'message', m_id, 'rule', rule,
                                 'created', created, 'duplicate', false)
              || ingest_after(t, q, m_id, meta, kind, refusal, m_facts);
    IF result ? 'relay' THEN
        UPDATE messages SET facts = facts || jsonb_build_object('relay', result->'relay')
        WHERE id = m_id;
    END IF;
    RETURN result;
END $$;
