-- 005_outbox.sql - agents, templates, the outbox of outgoing mail, and the
-- decision whether a message may be answered automatically (RFC 3834).
--
-- Outgoing mail is written to the outbox in the transaction that stores
-- the message causing it, so it is sent if and only if that committed.
-- The daemon's outbox sender renders and submits it later.

CREATE TABLE agents (
    id          serial PRIMARY KEY,
    address     text NOT NULL UNIQUE CHECK (address = lower(address) AND address LIKE '_%@_%'),
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE agent_queues (
    agent_id    integer NOT NULL REFERENCES agents ON DELETE CASCADE,
    queue_id    integer NOT NULL REFERENCES queues ON DELETE CASCADE,
    PRIMARY KEY (agent_id, queue_id)
);
CREATE FUNCTION agents_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticket_milter_agents', '');
    RETURN NULL;
END $$;
CREATE TRIGGER agents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agents
    FOR EACH STATEMENT EXECUTE FUNCTION agents_notify();
CREATE TRIGGER agent_queues_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agent_queues
    FOR EACH STATEMENT EXECUTE FUNCTION agents_notify();

-- Who gets a confirmation: senders that prove their domain, all, or none.
ALTER TABLE queues
    ADD COLUMN confirm  text NOT NULL DEFAULT 'authenticated'
        CHECK (confirm IN ('authenticated', 'always', 'never')),
    ADD COLUMN language text NOT NULL DEFAULT 'en';

-- A permanent bounce stops automatic mail to an address for a while.
ALTER TABLE contacts ADD COLUMN bounced_at timestamptz;

-- Why no automatic answer was sent to a message ('sent' when one was).
ALTER TABLE messages ADD COLUMN autoreply text;

CREATE TABLE templates (
    id          serial PRIMARY KEY,
    queue_id    integer REFERENCES queues ON DELETE CASCADE,	-- NULL: every queue
    kind        text NOT NULL CHECK (kind IN ('confirm', 'notify', 'notice')),
    language    text NOT NULL,
    text_body   text NOT NULL,
    html_body   text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_key ON templates ((coalesce(queue_id, 0)), kind, language);

INSERT INTO templates (queue_id, kind, language, text_body) VALUES
(NULL, 'confirm', 'en',
'Dear {{customer_name}},

thank you for your message. We have opened ticket {{ticket_number}}
for it and will answer as soon as we can:

  {{ticket_subject}}

To add to this request, reply to this mail and keep {{ticket_tag}}
in the subject.

{{queue_name}}
'),
(NULL, 'confirm', 'de',
'Guten Tag {{customer_name}},

vielen Dank für Ihre Nachricht. Wir haben dafür das Ticket
{{ticket_number}} eröffnet und antworten so bald wie möglich:

  {{ticket_subject}}

Wenn Sie etwas ergänzen möchten, antworten Sie einfach auf diese
Nachricht und lassen {{ticket_tag}} im Betreff stehen.

{{queue_name}}
'),
(NULL, 'notify', 'en',
'{{event}} in {{queue_name}}: ticket {{ticket_number}}
From: {{customer_name}} <{{customer_address}}>
Subject: {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Reply to this mail to answer the customer.
'),
(NULL, 'notice', 'en',
'{{event}}

Ticket {{ticket_number}}: {{ticket_subject}}
');

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets,
    cause_id        bigint REFERENCES messages,	-- the message it answers
    kind            text NOT NULL CHECK (kind IN ('confirmation', 'notification', 'notice')),
    notice          text,			-- what a notice or notification says first
    recipient       text NOT NULL,		-- one envelope recipient
    message_id      text NOT NULL UNIQUE,	-- chosen now, so replies can thread
    language        text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id, created_at);

-- Senders wake at once for new or retried mail.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticket_milter_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_changed AFTER INSERT OR UPDATE OF next_attempt_at, status ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- is_system_address - an address no automatic mail should go to
CREATE FUNCTION is_system_address(addr text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT lower(addr) ~ '^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|abuse|root|daemon|nobody)([+.-][^@]*)?@'
$$;

-- is_queue_address - one of our support addresses, or a reply address of one
CREATE FUNCTION is_queue_address(addr text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM queues q
                   WHERE q.address = lower(addr)
                      OR (lower(addr) LIKE split_part(q.address, '@', 1) || '+%'
                          AND split_part(lower(addr), '@', 2) = split_part(q.address, '@', 2)))
$$;

-- autoreply_refusal - why a message must not get a confirmation, or NULL.
-- Loops and backscatter (RFC 3834): never answer automatic, list, bulk or
-- spam mail, bounces, null senders, system or own addresses, agents,
-- unauthenticated senders (per queue), hard-bounced addresses, or past
-- the rate limits (meta->'limits').
CREATE FUNCTION autoreply_refusal(meta jsonb, t tickets, q queues, rcpt text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    f       jsonb := coalesce(meta->'facts', '{}');
    lim     jsonb := coalesce(meta->'limits', '{}');
BEGIN
    IF q.confirm = 'never' THEN RETURN 'queue-confirms-never'; END IF;
    IF coalesce(meta->>'kind', 'customer') <> 'customer' THEN RETURN meta->>'kind'; END IF;
    IF (f->>'is_auto_submitted')::int = 1 THEN RETURN 'auto-submitted'; END IF;
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
    IF (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id
        AND o.created_at > now() - interval '1 hour') >= coalesce((lim->>'per_ticket_hour')::int, 20) THEN
        RETURN 'rate-limit-ticket-hour';
    END IF;
    RETURN NULL;
END $$;

-- outbox_add - queue one outgoing mail; its Message-ID is chosen now
CREATE FUNCTION outbox_add(t tickets, cause bigint, kind text, rcpt text, lang text,
                           notice text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o_id    bigint := nextval('outbox_id_seq');
    domain  text := (SELECT split_part(q.address, '@', 2) FROM queues q WHERE q.id = t.queue_id);
BEGIN
    INSERT INTO outbox (id, ticket_id, cause_id, kind, recipient, message_id, language, notice)
    VALUES (o_id, t.id, cause, kind, rcpt,
            'tm.' || t.number || '.' || o_id || '.' || substr(md5(random()::text), 1, 10) || '@' || domain,
            lang, notice);
    RETURN o_id;
END $$;

-- agent_reply - what an agent's message does (later migrations: relay it
-- to the customer, commands); returns members for ingest_message's result
CREATE FUNCTION agent_reply(t tickets, message bigint, meta jsonb, kind text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;

-- ingest_after - the confirmation and the agents' notifications a stored
-- message causes; the decision about the confirmation is kept on the message
CREATE OR REPLACE FUNCTION ingest_after(ticket tickets, message bigint, meta jsonb,
                                        created boolean, rule text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t        tickets := ticket;
    q        queues;
    kind     text := message_kind(meta);
    rcpt     text := lower(meta->>'from_address');
    refusal  text;
    lang     text;
    notified integer := 0;
    bounced  bigint;
BEGIN
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    -- A permanent bounce: no automatic mail to that address for a while.
    IF kind = 'bounce' AND meta->'facts'->>'bounce_status' LIKE '5.%'
       AND meta->'facts'->>'bounce_failed_recipient' IS NOT NULL THEN
        bounced := contact_id(meta->'facts'->>'bounce_failed_recipient', NULL);
        UPDATE contacts SET bounced_at = now() WHERE id = bounced;
    END IF;

    IF created THEN
        refusal := autoreply_refusal(meta, t, q, rcpt);
    ELSE
        refusal := 'follow-up';
    END IF;
    -- The customer's language: known before, else the message's, else the queue's.
    UPDATE contacts SET language = meta->>'language'
    WHERE address = rcpt AND language IS NULL AND meta->>'language' ~ '^[a-z]{2,3}$';
    IF refusal IS NULL THEN
        SELECT c.language INTO lang FROM contacts c WHERE c.address = rcpt;
        PERFORM outbox_add(t, message, 'confirmation', rcpt, coalesce(lang, q.language));
    END IF;
    UPDATE messages SET autoreply = coalesce(refusal, 'sent') WHERE id = message;

    -- The queue's agents hear of new tickets and customer replies, but not
    -- of automatic mail, and never of their own mail.
    IF kind = 'customer' AND NOT coalesce(is_queue_address(meta->'facts'->>'x_loop'), false) THEN
        WITH added AS (
            SELECT outbox_add(t, message, 'notification', a.address, q.language)
            FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
            WHERE aq.queue_id = q.id AND a.address <> coalesce(rcpt, '')
        ) SELECT count(*) INTO notified FROM added;
    END IF;
    RETURN jsonb_build_object('autoreply', coalesce(refusal, 'sent'), 'notified', notified)
           || agent_reply(t, message, meta, kind);
END $$;

-- outbox_mail - everything the sender needs to render one outgoing mail
CREATE FUNCTION outbox_mail(o_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', o.id, 'kind', o.kind, 'recipient', o.recipient, 'notice', o.notice,
        'message_id', o.message_id, 'language', o.language, 'attempts', o.attempts,
        'created_at', o.created_at,
        'queue_address', q.address, 'queue_name', q.name,
        'reply_address', ticket_reply_address(t.id),
        'ticket_number', t.number, 'ticket_subject', t.subject,
        'customer_address', c.address, 'customer_name', coalesce(c.name, c.address),
        'cause_message_id', m.message_id, 'cause_refs', to_jsonb(m.refs),
        'cause_kind', CASE WHEN m.id = (SELECT min(id) FROM messages WHERE ticket_id = t.id)
                           THEN 'new' ELSE 'reply' END,
        'cause_from_name', m.from_name, 'cause_from_address', m.from_address,
        'customer_text', coalesce(nullif(m.reply_text, ''), m.body_text, ''),
        'attachments', (SELECT coalesce(jsonb_agg(jsonb_build_object('filename', a.filename,
                            'content_type', a.content_type, 'size', a.size) ORDER BY a.position), '[]')
                        FROM attachments a WHERE a.msg_id = m.id),
        'template', (SELECT jsonb_build_object('text', tp.text_body, 'html', tp.html_body,
                                               'language', tp.language)
                     FROM templates tp
                     WHERE tp.kind = CASE o.kind WHEN 'confirmation' THEN 'confirm'
                                                 WHEN 'notice' THEN 'notice' ELSE 'notify' END
                       AND (tp.queue_id = q.id OR tp.queue_id IS NULL)
                     ORDER BY (tp.language = o.language) DESC, (tp.queue_id IS NOT NULL) DESC,
                              (tp.language = q.language) DESC, (tp.language = 'en') DESC
                     LIMIT 1))
    FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN queues q ON q.id = t.queue_id
    LEFT JOIN contacts c ON c.id = t.customer_id
    LEFT JOIN messages m ON m.id = o.cause_id
    WHERE o.id = o_id
$$;

-- outbox_sent - record a sent mail, also as an outgoing message of its
-- ticket, so that a reply to it threads by its Message-ID
CREATE FUNCTION outbox_sent(o_id bigint, raw bytea, sender text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
    WHERE id = o_id RETURNING * INTO o;
    INSERT INTO messages (ticket_id, direction, kind, message_id, envelope_sender,
                          envelope_recipients, size, raw, digest, thread_rule, subject)
    VALUES (o.ticket_id, 'out', CASE o.kind WHEN 'confirmation' THEN 'auto-reply' ELSE 'system' END,
            o.message_id, sender, ARRAY[o.recipient], length(raw), raw,
            encode(sha256(raw), 'hex'), 'outgoing', o.kind);
END $$;

-- outbox_failed - a failed attempt: retry later, the delay doubling up to
-- an hour, or give up
CREATE FUNCTION outbox_failed(o_id bigint, error text, permanent boolean, max_attempts integer,
                              first_delay integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET attempts = attempts + 1, last_error = error,
        status = CASE WHEN permanent OR attempts + 1 >= max_attempts THEN 'failed' ELSE 'pending' END,
        next_attempt_at = now() + least(interval '1 hour',
                                        make_interval(secs => first_delay * power(2, least(attempts, 20))))
    WHERE id = o_id RETURNING * INTO o;
    RETURN o.status;
END $$;
