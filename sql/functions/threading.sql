-- threading.sql - where a message belongs: reply tokens (the MAC in a
-- ticket's reply address), thread_find() with its rules strongest first,
-- and the ticket of a reused Message-ID.

-- ticket_token - NUMBER-MAC, the extension of a ticket's reply address
CREATE OR REPLACE FUNCTION ticket_token(number text, secret bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT number || '-' ||
           substr(encode(tm_hmac_sha256(secret, convert_to(number, 'UTF8')), 'hex'), 1, 12)
$$;

-- ticket_reply_address - queue+NUMBER-MAC@domain for one ticket, with the
-- first of the RecipientDelimiter characters delims
CREATE OR REPLACE FUNCTION ticket_reply_address(ticket bigint, delims text) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
    SELECT split_part(q.address, '@', 1) || left(delims, 1) || ticket_token(t.number, t.secret)
           || '@' || split_part(q.address, '@', 2)
    FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.id = ticket
$$;

-- ticket_by_token - the ticket a reply-address extension names, if its MAC holds
CREATE OR REPLACE FUNCTION ticket_by_token(token text) RETURNS bigint
LANGUAGE sql STABLE STRICT AS $$
    SELECT t.id FROM tickets t
    WHERE t.number = substring(token FROM '^(.*)-[0-9a-f]{12}$')
      AND ticket_token(t.number, t.secret) = lower(token)
$$;

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
-- first (a merged ticket's number and reply address lead to the ticket
-- it was merged into); returns the ticket (or NULL), the rule, and a ticket to link a
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
        ticket := ticket_current(ticket_by_token(token));
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
        SELECT ticket_current(t.id) INTO n FROM tickets t WHERE t.number = meta->>'ticket_tag';
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
-- the queue with this Message-ID, or NULL. In plpgsql, which keeps the
-- plan for the session: as a LANGUAGE sql function, which the planner
-- cannot inline (FROM, ORDER BY, LIMIT), it was planned again at every
-- message, 2.6 of the 14 ms of ingest_message() with durable PostgreSQL.
CREATE OR REPLACE FUNCTION reused_message_ticket(message_id text, queue integer) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT m.ticket_id FROM messages m JOIN tickets t ON t.id = m.ticket_id
            WHERE m.message_id = $1 AND m.direction = 'in' AND t.queue_id = $2
            ORDER BY m.id LIMIT 1);
END $$;
