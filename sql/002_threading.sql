-- 002_threading.sql - contacts, participants, threading facts on messages,
-- attachments stored once per SHA-256, an event log, reply tokens, and the
-- ingest function that threads each message into the right ticket once.

CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    address     text NOT NULL UNIQUE CHECK (address = lower(address)),
    name        text,
    language    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO contacts (address)
    SELECT DISTINCT customer FROM tickets WHERE customer IS NOT NULL;

ALTER TABLE tickets
    ADD COLUMN customer_id       bigint REFERENCES contacts,
    ADD COLUMN assignee          text,
    -- keys the MAC of the ticket's reply address; 122 random bits
    ADD COLUMN secret            bytea NOT NULL DEFAULT uuid_send(gen_random_uuid()),
    ADD COLUMN linked_ticket_id  bigint REFERENCES tickets,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN last_customer_at  timestamptz,
    ADD COLUMN closed_at         timestamptz;
UPDATE tickets t SET customer_id = c.id FROM contacts c WHERE c.address = t.customer;
ALTER TABLE tickets DROP COLUMN customer;
CREATE INDEX tickets_customer ON tickets (customer_id);

CREATE TABLE ticket_participants (
    ticket_id   bigint NOT NULL REFERENCES tickets,
    contact_id  bigint NOT NULL REFERENCES contacts,
    role        text NOT NULL CHECK (role IN ('customer', 'cc')),
    PRIMARY KEY (ticket_id, contact_id)
);
INSERT INTO ticket_participants SELECT id, customer_id, 'customer'
    FROM tickets WHERE customer_id IS NOT NULL;

ALTER TABLE messages
    ADD COLUMN kind          text NOT NULL DEFAULT 'customer'
        CHECK (kind IN ('customer', 'agent', 'note', 'auto-reply', 'bounce', 'system')),
    ADD COLUMN in_reply_to   text,
    ADD COLUMN refs          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN thread_index  text,
    ADD COLUMN thread_root   text,		-- Outlook conversation: hex of its first 22 bytes
    ADD COLUMN to_addresses  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN cc_addresses  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN sent_at       timestamptz,	-- the Date header
    ADD COLUMN body_text     text,
    ADD COLUMN reply_text    text,
    ADD COLUMN html          text,
    ADD COLUMN digest        text,		-- SHA-256 without trace headers
    ADD COLUMN thread_rule   text,		-- which rule put it in its ticket
    ADD COLUMN other_queues  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN auth          jsonb,		-- SPF, DKIM, DMARC results
    ADD COLUMN facts         jsonb NOT NULL DEFAULT '{}';	-- loop, bounce, parser bounds
UPDATE messages SET digest = encode(sha256(raw), 'hex'), thread_rule = 'new';
ALTER TABLE messages ALTER COLUMN digest SET NOT NULL;
-- Exactly once: the same Message-ID with the same content is one message.
CREATE UNIQUE INDEX messages_once ON messages ((coalesce(message_id, '')), digest);
CREATE INDEX messages_thread_root ON messages (thread_root) WHERE thread_root IS NOT NULL;

CREATE TABLE blobs (
    sha256      text PRIMARY KEY,
    size        bigint NOT NULL,
    content     bytea NOT NULL
);

CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    msg_id       bigint NOT NULL REFERENCES messages,
    position     integer NOT NULL,
    filename     text,
    content_type text NOT NULL,
    disposition  text,
    content_id   text,
    origin       text NOT NULL,
    size         bigint NOT NULL,
    truncated    boolean NOT NULL DEFAULT false,
    sha256       text NOT NULL REFERENCES blobs
);
CREATE INDEX attachments_msg ON attachments (msg_id);

CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ticket ON events (ticket_id);
INSERT INTO events (ticket_id, at, actor, action)
    SELECT id, created_at, 'ticket-milter', 'created' FROM tickets;

-- tm_hmac_sha256 - RFC 2104 HMAC with SHA-256, from core functions only
CREATE FUNCTION tm_hmac_sha256(key bytea, msg bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    k     bytea;
    ipad  bytea;
    opad  bytea;
BEGIN
    IF length(key) > 64 THEN
        key := sha256(key);
    END IF;
    k := key || decode(repeat('00', 64 - length(key)), 'hex');
    ipad := k;
    opad := k;
    FOR i IN 0..63 LOOP
        ipad := set_byte(ipad, i, get_byte(k, i) # 54);	-- 0x36
        opad := set_byte(opad, i, get_byte(k, i) # 92);	-- 0x5c
    END LOOP;
    RETURN sha256(opad || sha256(ipad || msg));
END $$;

-- ticket_token - NUMBER-MAC, the extension of a ticket's reply address
CREATE FUNCTION ticket_token(number text, secret bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT number || '-' ||
           substr(encode(tm_hmac_sha256(secret, convert_to(number, 'UTF8')), 'hex'), 1, 12)
$$;

-- ticket_reply_address - queue+NUMBER-MAC@domain for one ticket
CREATE FUNCTION ticket_reply_address(ticket bigint) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
    SELECT split_part(q.address, '@', 1) || '+' || ticket_token(t.number, t.secret)
           || '@' || split_part(q.address, '@', 2)
    FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = ticket
$$;

-- ticket_by_token - the ticket a reply-address extension names, if its MAC holds
CREATE FUNCTION ticket_by_token(token text) RETURNS bigint
LANGUAGE sql STABLE STRICT AS $$
    SELECT t.id FROM tickets t
    WHERE t.number = substring(token FROM '^(.*)-[0-9a-f]{12}$')
      AND ticket_token(t.number, t.secret) = lower(token)
$$;

-- contact_id - the contact for an address, created on first sight
CREATE FUNCTION contact_id(addr text, display_name text) RETURNS bigint
LANGUAGE sql AS $$
    INSERT INTO contacts (address, name) VALUES (lower(addr), display_name)
    ON CONFLICT (address) DO UPDATE SET name = coalesce(contacts.name, EXCLUDED.name)
    RETURNING id
$$;

-- ticket_number_next - a new ticket number in the configured format:
-- {seq} the sequence, {yyyy} {mm} {dd} today's date
CREATE FUNCTION ticket_number_next(format text) RETURNS text
LANGUAGE sql AS $$
    SELECT replace(replace(replace(replace(coalesce(format, '{seq}'),
           '{yyyy}', to_char(now(), 'YYYY')), '{mm}', to_char(now(), 'MM')),
           '{dd}', to_char(now(), 'DD')), '{seq}', nextval('ticket_number_seq')::text)
$$;

-- tm_timestamptz - a timestamp from text, NULL when it is not one (a Date
-- header the parser read must never make a message unstorable)
CREATE FUNCTION tm_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- ticket_event - append to a ticket's event log
CREATE FUNCTION ticket_event(ticket bigint, actor text, action text, detail jsonb)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO events (ticket_id, actor, action, detail)
    VALUES (ticket, actor, action, coalesce(detail, '{}'))
$$;

-- thread_find - the ticket a message belongs to by evidence, strongest
-- first; returns the ticket (or NULL), the rule, and a ticket to link a
-- new one to (a stranger's subject tag)
CREATE FUNCTION thread_find(meta jsonb, OUT ticket bigint, OUT rule text, OUT linked bigint)
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
    ORDER BY r.n, m.id DESC LIMIT 1;
    IF ticket IS NOT NULL THEN
        rule := CASE WHEN n = 1 AND meta->>'in_reply_to' IS NOT NULL THEN 'in-reply-to' ELSE 'references' END;
        RETURN;
    END IF;
    -- 3. Outlook's conversation (Thread-Index root).
    IF meta->>'thread_root' IS NOT NULL THEN
        SELECT m.ticket_id INTO ticket FROM messages m
        WHERE m.thread_root = meta->>'thread_root' ORDER BY m.id DESC LIMIT 1;
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

-- message_kind - what the message is: the parser's view (customer,
-- auto-reply, bounce); later migrations recognize agents
CREATE FUNCTION message_kind(meta jsonb) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT coalesce(meta->>'kind', 'customer') $$;

-- ingest_after - what else a stored message causes, in the same
-- transaction (later migrations replace it: outgoing mail); returns
-- members merged into ingest_message()'s result
CREATE FUNCTION ingest_after(ticket tickets, message bigint, meta jsonb,
                             created boolean, rule text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;

DROP FUNCTION ingest_message(jsonb, bytea);

-- ingest_message - store one received message in the right ticket, once.
-- meta (built by milter/core/ingest.c): queues, tokens, envelope_sender,
-- envelope_recipients, message_id, in_reply_to, references, thread_ids,
-- thread_index, thread_root, ticket_tag, subject, from_address, from_name,
-- to, cc, date, kind, digest, text, reply_text, html, attachments (offset
-- and size into blobs, sha256, name, ...), facts, auth, client_ip,
-- client_name, helo, mta_queue_id, reopen_seconds, number_format.
-- Returns {"ticket", "message", "rule", "created", "duplicate"}.
CREATE FUNCTION ingest_message(meta jsonb, raw bytea, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    q         queues;
    t         tickets;
    found_t   record;
    m_id      bigint;
    rule      text;
    created   boolean := false;
    sender    text := lower(coalesce(meta->>'from_address', nullif(meta->>'envelope_sender', '')));
    customer  bigint;
    kind      text := message_kind(meta);
    a         jsonb;
    pos       integer := 0;
BEGIN
    -- Deliveries of the same message wait for each other here.
    PERFORM pg_advisory_xact_lock(hashtextextended(
        coalesce(meta->>'message_id', '') || ' ' || (meta->>'digest'), 7431));
    SELECT m.id, tk.number, m.thread_rule INTO found_t FROM messages m JOIN tickets tk ON tk.id = m.ticket_id
    WHERE coalesce(m.message_id, '') = coalesce(meta->>'message_id', '')
      AND m.digest = meta->>'digest';
    IF FOUND THEN
        RETURN jsonb_build_object('ticket', found_t.number, 'message', found_t.id,
                                  'rule', found_t.thread_rule, 'created', false, 'duplicate', true);
    END IF;

    SELECT * INTO q FROM queues WHERE address = lower(meta->'queues'->>0);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no queue for %', meta->'queues'->>0 USING ERRCODE = 'no_data_found';
    END IF;

    SELECT * INTO found_t FROM thread_find(meta);
    rule := found_t.rule;
    IF found_t.ticket IS NOT NULL THEN
        SELECT * INTO t FROM tickets WHERE id = found_t.ticket FOR UPDATE;
        -- A closed ticket takes replies for a while, then a new one starts.
        IF t.status = 'closed' AND t.closed_at < now() - make_interval(secs => coalesce((meta->>'reopen_seconds')::double precision, 0)) THEN
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
        PERFORM ticket_event(t.id, coalesce(sender, 'unknown'), 'created',
                             jsonb_build_object('rule', rule, 'linked_ticket', found_t.linked));
        IF customer IS NOT NULL THEN
            INSERT INTO ticket_participants VALUES (t.id, customer, 'customer');
        END IF;
    ELSIF kind = 'customer' THEN
        IF t.status IN ('pending', 'solved', 'closed') THEN
            PERFORM ticket_event(t.id, coalesce(sender, 'unknown'), 'status',
                                 jsonb_build_object('from', t.status, 'to', 'open', 'why', 'customer reply'));
            UPDATE tickets SET status = 'open', closed_at = NULL WHERE id = t.id;
        END IF;
        UPDATE tickets SET last_customer_at = now() WHERE id = t.id;
    END IF;
    UPDATE tickets SET updated_at = now() WHERE id = t.id;

    -- Everyone on To and Cc who is not a support address takes part.
    INSERT INTO ticket_participants
        SELECT DISTINCT t.id, contact_id(x->>'address', x->>'name'), 'cc'
        FROM jsonb_array_elements(coalesce(meta->'to', '[]') || coalesce(meta->'cc', '[]')) x
        WHERE x->>'address' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM queues qq
                          WHERE qq.address = lower(x->>'address')
                             OR lower(x->>'address') LIKE split_part(qq.address, '@', 1) || '+%@' || split_part(qq.address, '@', 2))
    ON CONFLICT DO NOTHING;

    INSERT INTO messages (ticket_id, kind, message_id, in_reply_to, refs, thread_index, thread_root,
                          subject, from_address, from_name, to_addresses, cc_addresses, sent_at,
                          envelope_sender, envelope_recipients, client_ip, client_name, helo,
                          mta_queue_id, size, raw, body_text, reply_text, html, digest,
                          thread_rule, other_queues, auth, facts)
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
            meta->'auth', coalesce(meta->'facts', '{}'))
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
        PERFORM ticket_event(t.id, coalesce(sender, 'unknown'), 'message',
                             jsonb_build_object('message', m_id, 'rule', rule, 'kind', kind));
    END IF;
    SELECT * INTO t FROM tickets WHERE id = t.id;
    RETURN jsonb_build_object('ticket', t.number, 'message', m_id, 'rule', rule,
                              'created', created, 'duplicate', false)
           || ingest_after(t, m_id, meta, created, rule);
END $$;
