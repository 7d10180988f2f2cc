-- privacy.sql - personal data outside the mail path: the audit log
-- (audit_record), the keyed hash of an address (privacy_hash), what is
-- stored about a person (privacy_export_index) and their erasure
-- (privacy_erase). ticketctl sets tm.os_user once per connection; every
-- function here that records reads it from there.

-- audit_record - one record of the audit log: the OS user ticketctl runs
-- as (tm.os_user), the database role, the command, the object
CREATE OR REPLACE FUNCTION audit_record(command text, object text, detail jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO audit_log (os_user, command, object, detail)
    VALUES (coalesce(nullif(current_setting('tm.os_user', true), ''), 'unknown'),
            command, object, coalesce(detail, '{}'));
$$;

-- audit_append_only - the audit log and the erasure records are only added to
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: its records are never changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE OR REPLACE TRIGGER erasures_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON erasures
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- privacy_gate - the advisory lock between the mail path and erasures:
-- ingest_message() holds it shared, privacy_erase() alone
CREATE OR REPLACE FUNCTION privacy_gate() RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended('ticket-milter: erasure gate', 0);
$$;

-- privacy_hash - the keyed hash (HMAC-SHA-256, privacy_key) of an address,
-- hex; the same address in any case gives the same hash
CREATE OR REPLACE FUNCTION privacy_hash(addr text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(tm_hmac_sha256(key, convert_to(lower(addr), 'UTF8')), 'hex') FROM privacy_key;
$$;

-- privacy_sent - the messages a person sent (from their address or
-- envelope sender)
CREATE OR REPLACE FUNCTION privacy_sent(addr text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT id FROM messages
    WHERE direction = 'in' AND (lower(from_address) = lower(addr) OR lower(envelope_sender) = lower(addr));
$$;

-- privacy_received - the messages addressed to a person: answers and
-- relayed copies sent to them, and mail that names them in To or Cc
CREATE OR REPLACE FUNCTION privacy_received(addr text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT m.id FROM messages m
    WHERE NOT (m.direction = 'in' AND (lower(m.from_address) = lower(addr) OR lower(m.envelope_sender) = lower(addr)))
      AND (EXISTS (SELECT 1 FROM unnest(m.envelope_recipients) r WHERE lower(r) = lower(addr))
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(m.to_addresses || m.cc_addresses) x
                      WHERE lower(x->>'address') = lower(addr)));
$$;

-- privacy_tickets - the tickets where a person is customer or participant,
-- or that hold a message from or to them
CREATE OR REPLACE FUNCTION privacy_tickets(addr text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT t.id FROM tickets t JOIN contacts c ON c.id = t.customer_id WHERE c.address = lower(addr)
    UNION SELECT p.ticket_id FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
          WHERE c.address = lower(addr)
    UNION SELECT ticket_id FROM messages
          WHERE id IN (SELECT privacy_sent(addr) UNION SELECT privacy_received(addr));
$$;

-- privacy_export_index - what privacy export writes: {address, files:
-- [{path, what, and json (the file's content), message or attachment
-- (the id whose bytes it is)}]}
CREATE OR REPLACE FUNCTION privacy_export_index(addr text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a        text := lower(addr);
    msgs     bigint[] := ARRAY(SELECT privacy_sent(a) UNION SELECT privacy_received(a));
    sent     bigint[] := ARRAY(SELECT privacy_sent(a));
    files    jsonb;
BEGIN
    files := jsonb_build_array(
        jsonb_build_object('path', 'contact.json', 'what', 'the contact: address, name, language, bounce mark',
            'json', (SELECT to_jsonb(c) - 'id' FROM contacts c WHERE c.address = a)),
        jsonb_build_object('path', 'tickets.json',
            'what', 'every ticket where the person is customer or participant, or that holds their mail, with its events',
            'json', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                    'number', t.number, 'queue', q.address, 'subject', t.subject, 'status', t.status,
                    'created_at', t.created_at, 'closed_at', t.closed_at,
                    'role', CASE WHEN c.address = a THEN 'customer'
                                 WHEN EXISTS (SELECT 1 FROM ticket_participants p JOIN contacts pc ON pc.id = p.contact_id
                                              WHERE p.ticket_id = t.id AND pc.address = a) THEN 'participant'
                                 ELSE 'correspondent' END,
                    'events', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.at, 'actor', e.actor,
                                   'action', e.action, 'detail', e.detail) ORDER BY e.id), '[]')
                               FROM events e WHERE e.ticket_id = t.id)) ORDER BY t.id), '[]')
                FROM tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN contacts c ON c.id = t.customer_id
                WHERE t.id IN (SELECT privacy_tickets(a)))),
        jsonb_build_object('path', 'outbox.json',
            'what', 'mail the help desk sent or will send to the person (confirmations, notices, closing mail)',
            'json', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', o.kind, 'ticket', t.number,
                    'subject', o.subject, 'message_id', o.message_id, 'status', o.status,
                    'created_at', o.created_at, 'sent_at', o.sent_at) ORDER BY o.id), '[]')
                FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id WHERE lower(o.recipient) = a)),
        jsonb_build_object('path', 'messages.json', 'what', 'the facts of each message in messages/',
            'json', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', m.id, 'ticket', t.number,
                    'direction', m.direction, 'kind', m.kind, 'message_id', m.message_id,
                    'from', m.from_address, 'to', m.to_addresses, 'cc', m.cc_addresses,
                    'subject', m.subject, 'date', m.sent_at, 'received_at', m.received_at,
                    'text', m.body_text) ORDER BY m.id), '[]')
                FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = ANY (msgs))))
    || coalesce((SELECT jsonb_agg(jsonb_build_object('path', 'messages/' || m.id || '.eml',
                    'what', CASE WHEN m.id = ANY (sent) THEN 'a message the person sent, as received'
                                 ELSE 'a message addressed to the person (To, Cc or envelope)' END
                            || ' (ticket ' || t.number || ')',
                    'message', m.id, 'size', octet_length(m.raw)) ORDER BY m.id)
                 FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = ANY (msgs)), '[]')
    || coalesce((SELECT jsonb_agg(jsonb_build_object('path', 'attachments/' || at.id || '-'
                        || regexp_replace(coalesce(at.filename, 'attachment'), '[^A-Za-z0-9._-]', '_', 'g'),
                    'what', 'an attachment of messages/' || at.msg_id || '.eml (' || at.content_type || ')',
                    'attachment', at.id, 'size', b.size) ORDER BY at.id)
                 FROM attachments at JOIN blobs b ON b.sha256 = at.sha256 WHERE at.msg_id = ANY (msgs)), '[]');
    RETURN jsonb_build_object('address', a, 'generated_at', now(), 'address_hash', privacy_hash(a),
                              'files', files);
END $$;

-- privacy_latin1 - a message's bytes as text, one character a byte (NULL
-- when they hold a NUL byte, which text cannot)
CREATE OR REPLACE FUNCTION privacy_latin1(b bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN position('\x00'::bytea IN b) > 0 THEN NULL ELSE convert_from(b, 'LATIN1') END;
$$;

-- privacy_regex - a regular expression matching TEXT literally
CREATE OR REPLACE FUNCTION privacy_regex(value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(value, '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g');
$$;

-- privacy_scrub - TEXT with every match of PATTERN (any case) replaced by
-- the fixed token [erased]
CREATE OR REPLACE FUNCTION privacy_scrub(value text, pattern text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(value, pattern, '[erased]', 'gi');
$$;

-- privacy_erase - remove a person (see README, "Personal data"): their
-- messages and attachments, contact, participations and outbox rows; their
-- address and name elsewhere become [erased]; tickets left empty go,
-- others are marked. Records the erasure and an audit record with the
-- keyed hash only. Returns the counts and the earlier erasures of the
-- same address. The caller rolls back for a dry run.
CREATE OR REPLACE FUNCTION privacy_erase(addr text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    a         text := lower(addr);
    h         text := privacy_hash(addr);
    c_id      bigint;
    names     text[];
    pat       text;
    pat_raw   text;
    sent      bigint[];
    touched   bigint[];
    dead      bigint[];
    shas      text[];
    counts    jsonb := '{}';
    n         bigint;
    earlier   jsonb;
BEGIN
    -- The erasure waits for the messages being stored now, and the next
    -- ones wait for it before they read anything (privacy_gate), so a
    -- message of the person is stored whole either before (and erased) or
    -- after. The table locks keep the other writers (outbox, ticketctl)
    -- out; plain reads go on.
    PERFORM pg_advisory_xact_lock(privacy_gate());
    LOCK TABLE contacts, tickets, ticket_participants, events, messages, attachments, outbox
        IN EXCLUSIVE MODE;
    SELECT coalesce(jsonb_agg(jsonb_build_object('at', e.at, 'by', e.os_user) ORDER BY e.id), '[]')
        INTO earlier FROM erasures e WHERE e.address_hash = h;
    SELECT id INTO c_id FROM contacts WHERE address = a;
    -- What they sent, and what the help desk sent to them alone
    -- (confirmations, answers); mail to others as well stays.
    sent := ARRAY(SELECT privacy_sent(a)
                  UNION SELECT m.id FROM messages m
                        WHERE m.direction = 'out' AND m.id IN (SELECT privacy_received(a))
                          AND NOT EXISTS (SELECT 1 FROM unnest(m.envelope_recipients) r WHERE lower(r) <> a));
    touched := ARRAY(SELECT privacy_tickets(a));
    names := ARRAY(SELECT DISTINCT nm FROM (SELECT name FROM contacts WHERE id = c_id
                                            UNION SELECT from_name FROM messages
                                                  WHERE id = ANY (sent) AND direction = 'in') x(nm)
                   WHERE length(nm) >= 4);
    pat := privacy_regex(a) || coalesce((SELECT string_agg('|' || privacy_regex(x), '') FROM unnest(names) x), '');
    pat_raw := privacy_regex(a) || coalesce((SELECT string_agg('|' || privacy_regex(
                   convert_from(convert_to(x, 'UTF8'), 'LATIN1')), '') FROM unnest(names) x), '');

    -- Their messages, what was sent because of them, their attachments.
    DELETE FROM outbox WHERE lower(recipient) = a OR cause_id = ANY (sent);
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('outbox', n);
    shas := ARRAY(SELECT DISTINCT sha256 FROM attachments WHERE msg_id = ANY (sent));
    DELETE FROM attachments WHERE msg_id = ANY (sent);
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('attachments', n);
    DELETE FROM blobs b WHERE b.sha256 = ANY (shas)
        AND NOT EXISTS (SELECT 1 FROM attachments x WHERE x.sha256 = b.sha256);
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('blobs', n);
    DELETE FROM messages WHERE id = ANY (sent);
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('messages', n);

    -- Webhook payloads name the ticket's subject and customer.
    DELETE FROM webhook_deliveries WHERE ticket_number IN (SELECT number FROM tickets WHERE id = ANY (touched));
    -- Tickets with no message left go; the others stay, marked.
    dead := ARRAY(SELECT t FROM unnest(touched) t
                  WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t));
    UPDATE tickets SET linked_ticket_id = NULL WHERE linked_ticket_id = ANY (dead);
    UPDATE tickets SET merged_into = NULL WHERE merged_into = ANY (dead);
    DELETE FROM outbox WHERE ticket_id = ANY (dead);
    DELETE FROM events WHERE ticket_id = ANY (dead);
    DELETE FROM ticket_participants WHERE ticket_id = ANY (dead);
    DELETE FROM tickets WHERE id = ANY (dead);
    counts := counts || jsonb_build_object('tickets_deleted', coalesce(array_length(dead, 1), 0));
    UPDATE tickets SET erased_at = now(),
                       subject = CASE WHEN customer_id = c_id THEN '[erased]' ELSE subject END,
                       customer_id = CASE WHEN customer_id = c_id THEN NULL ELSE customer_id END
        WHERE id = ANY (touched) AND NOT id = ANY (dead);
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('tickets_marked', n);
    INSERT INTO events (ticket_id, actor, action, detail)
        SELECT t, 'ticketctl', 'erasure', jsonb_build_object('address_hash', h)
        FROM unnest(touched) t WHERE NOT t = ANY (dead);
    DELETE FROM ticket_participants WHERE contact_id = c_id;
    DELETE FROM contacts WHERE id = c_id;
    counts := counts || jsonb_build_object('contact', c_id IS NOT NULL);

    -- Their address and name in everything else, original bytes included.
    UPDATE messages m SET
        from_address = privacy_scrub(from_address, pat), from_name = privacy_scrub(from_name, pat),
        envelope_sender = privacy_scrub(envelope_sender, pat),
        envelope_recipients = ARRAY(SELECT privacy_scrub(r, pat) FROM unnest(envelope_recipients) r),
        to_addresses = privacy_scrub(to_addresses::text, pat)::jsonb,
        cc_addresses = privacy_scrub(cc_addresses::text, pat)::jsonb,
        subject = privacy_scrub(subject, pat), body_text = privacy_scrub(body_text, pat),
        reply_text = privacy_scrub(reply_text, pat), html = privacy_scrub(html, pat),
        reply_html = privacy_scrub(reply_html, pat), facts = privacy_scrub(facts::text, pat)::jsonb,
        raw = CASE WHEN privacy_latin1(raw) IS NULL THEN raw
                   ELSE convert_to(privacy_scrub(privacy_latin1(raw), pat_raw), 'LATIN1') END,
        -- size stays the length of what is stored (the integrity check)
        size = CASE WHEN privacy_latin1(raw) IS NULL THEN size
                    ELSE octet_length(convert_to(privacy_scrub(privacy_latin1(raw), pat_raw), 'LATIN1')) END
    WHERE m.ticket_id = ANY (touched) OR privacy_latin1(m.raw) ~* pat_raw
       OR m.envelope_sender ~* pat OR array_to_string(m.envelope_recipients, ' ') ~* pat
       OR m.facts::text ~* pat;
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('messages_scrubbed', n);
    UPDATE events SET actor = privacy_scrub(actor, pat), detail = privacy_scrub(detail::text, pat)::jsonb
        WHERE actor ~* pat OR detail::text ~* pat;
    GET DIAGNOSTICS n = ROW_COUNT; counts := counts || jsonb_build_object('events_scrubbed', n);
    UPDATE outbox SET subject = privacy_scrub(subject, pat), last_error = privacy_scrub(last_error, pat)
        WHERE subject ~* pat OR last_error ~* pat;

    INSERT INTO erasures (os_user, address_hash, counts)
        VALUES (coalesce(nullif(current_setting('tm.os_user', true), ''), 'unknown'), h, counts);
    PERFORM audit_record('privacy erase', 'address-hash:' || h, counts);
    RETURN jsonb_build_object('address_hash', h, 'counts', counts, 'earlier', earlier);
END $$;
