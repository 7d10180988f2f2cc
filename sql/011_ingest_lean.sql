-- 011_ingest_lean.sql - fewer statements per stored message.
--
-- Measured with pg_stat_statements and track_functions while make bench
-- sends support mail, these were work that could be left out:
--  * every message row was written twice: INSERT, then an UPDATE of
--    its autoreply column, which copied the whole row and, on a full
--    page, all six index entries. The confirmation is now decided before
--    the INSERT, so the row is written once;
--  * a new ticket was updated (updated_at) right after its INSERT, and
--    read back at the end; a reply's ticket was updated twice;
--  * message_kind() ran twice, and is_queue_address() ran a query for an
--    absent X-Loop header, twice; the customer's language was updated
--    when the message named none;
--  * ingest_message() was a wrapper (010) around ingest_message_once():
--    one body again, which looks up a duplicate's relay instructions in
--    the same query that finds it;
--  * ticket_number_next() was a LANGUAGE sql function the planner cannot
--    inline, so it was parsed and planned at every new ticket;
--  * the statements inside were planned anew at each call: plpgsql's
--    cached plans stay custom plans when a generic one does not look
--    cheaper, and these statements take their values from meta. Their
--    generic plans are index scans (make bench shows them with 1,000,000
--    stored messages), so ingest_message() now forces them.
-- The stored message, its ticket, events and outgoing mail are the same
-- as before. The bodies below are those of 002 and 010 (ingest_message)
-- and 005 (ingest_after), changed as said.
--
-- Raw messages, texts and attachment content are compressed with lz4,
-- several times faster than pglz at about the same size for mail; rows
-- stored before keep pglz. A server built without lz4 keeps pglz.

DO $$
BEGIN
    ALTER TABLE messages ALTER COLUMN raw SET COMPRESSION lz4,
                         ALTER COLUMN body_text SET COMPRESSION lz4,
                         ALTER COLUMN reply_text SET COMPRESSION lz4,
                         ALTER COLUMN html SET COMPRESSION lz4;
    ALTER TABLE blobs ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: stored mail stays compressed with pglz';
END $$;

CREATE OR REPLACE FUNCTION ticket_number_next(format text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN replace(replace(replace(replace(coalesce(format, '{seq}'),
           '{yyyy}', to_char(now(), 'YYYY')), '{mm}', to_char(now(), 'MM')),
           '{dd}', to_char(now(), 'DD')), '{seq}', nextval('ticket_number_seq')::text);
END $$;

CREATE OR REPLACE FUNCTION is_queue_address(addr text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF addr IS NULL THEN
        RETURN false;
    END IF;
    RETURN EXISTS (SELECT 1 FROM queues q
                   WHERE q.address = lower(addr)
                      OR (lower(addr) LIKE split_part(q.address, '@', 1) || '+%'
                          AND split_part(lower(addr), '@', 2) = split_part(q.address, '@', 2)));
END $$;

-- ingest_after - the agents' notifications and the confirmation (decided
-- by ingest_message() before the message was stored: refusal, NULL
-- to send one) a stored message causes, in the same transaction
DROP FUNCTION ingest_after(tickets, bigint, jsonb, boolean, text);
CREATE FUNCTION ingest_after(t tickets, q queues, message bigint, meta jsonb,
                             kind text, refusal text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    rcpt     text := lower(meta->>'from_address');
    lang     text;
    notified integer := 0;
    bounced  bigint;
BEGIN
    -- A permanent bounce: no automatic mail to that address for a while.
    IF kind = 'bounce' AND meta->'facts'->>'bounce_status' LIKE '5.%'
       AND meta->'facts'->>'bounce_failed_recipient' IS NOT NULL THEN
        bounced := contact_id(meta->'facts'->>'bounce_failed_recipient', NULL);
        UPDATE contacts SET bounced_at = now() WHERE id = bounced;
    END IF;
    -- The customer's language: known before, else the message's, else the queue's.
    IF meta->>'language' ~ '^[a-z]{2,3}$' THEN
        UPDATE contacts SET language = meta->>'language' WHERE address = rcpt AND language IS NULL;
    END IF;
    IF refusal IS NULL THEN
        SELECT c.language INTO lang FROM contacts c WHERE c.address = rcpt;
        PERFORM outbox_add(t, message, 'confirmation', rcpt, coalesce(lang, q.language));
    END IF;

    -- The queue's agents hear of new tickets and customer replies, but not
    -- of automatic mail, and never of their own mail.
    IF kind = 'customer' AND NOT is_queue_address(meta->'facts'->>'x_loop') THEN
        WITH added AS (
            SELECT outbox_add(t, message, 'notification', a.address, q.language)
            FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
            WHERE aq.queue_id = q.id AND a.address <> coalesce(rcpt, '')
        ) SELECT count(*) INTO notified FROM added;
    END IF;
    RETURN jsonb_build_object('autoreply', coalesce(refusal, 'sent'), 'notified', notified)
           || agent_reply(t, message, meta, kind);
END $$;

-- ingest_message - store one received message in the right ticket, once
-- (meta as described in 002); an agent's reply keeps its relay
-- instructions, so that a duplicate of it is relayed again (010)
DROP FUNCTION ingest_message(jsonb, bytea, bytea);
DROP FUNCTION ingest_message_once(jsonb, bytea, bytea);
CREATE FUNCTION ingest_message(meta jsonb, raw bytea, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    q         queues;
    t         tickets;
    found_t   record;
    m_id      bigint;
    rule      text;
    created   boolean := false;
    reopen    boolean;
    refusal   text;
    sender    text := lower(coalesce(meta->>'from_address', nullif(meta->>'envelope_sender', '')));
    actor     text := coalesce(sender, 'unknown');
    customer  bigint;
    kind      text := message_kind(meta);
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
        INSERT INTO events (ticket_id, actor, action, detail)
        VALUES (t.id, actor, 'created', jsonb_build_object('rule', rule, 'linked_ticket', found_t.linked));
        IF customer IS NOT NULL THEN
            INSERT INTO ticket_participants VALUES (t.id, customer, 'customer');
        END IF;
    ELSE
        reopen := kind = 'customer' AND t.status IN ('pending', 'solved', 'closed');
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

    -- Everyone on To and Cc who is not a support address takes part.
    INSERT INTO ticket_participants
        SELECT DISTINCT t.id, contact_id(x->>'address', x->>'name'), 'cc'
        FROM jsonb_array_elements(coalesce(meta->'to', '[]') || coalesce(meta->'cc', '[]')) x
        WHERE x->>'address' IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM queues qq
                          WHERE qq.address = lower(x->>'address')
                             OR lower(x->>'address') LIKE split_part(qq.address, '@', 1) || '+%@' || split_part(qq.address, '@', 2))
    ON CONFLICT DO NOTHING;

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
            meta->'auth', coalesce(meta->'facts', '{}'), coalesce(refusal, 'sent'))
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
        VALUES (t.id, actor, 'message', jsonb_build_object('message', m_id, 'rule', rule, 'kind', kind));
    END IF;
    result := jsonb_build_object('ticket', t.number, 'message', m_id, 'rule', rule,
                                 'created', created, 'duplicate', false)
              || ingest_after(t, q, m_id, meta, kind, refusal);
    IF result ? 'relay' THEN
        UPDATE messages SET facts = facts || jsonb_build_object('relay', result->'relay')
        WHERE id = m_id;
    END IF;
    RETURN result;
END $$;
