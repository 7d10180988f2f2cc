-- ingest.sql - storing one received message: ingest_message() threads it
-- into a ticket and stores it once, ingest_after() queues the mail it
-- causes, message_refresh() replaces a stored message's parsed content
-- (ticketctl message replay).

-- blob_keep - store an attachment's content once per SHA-256 and hold
-- it (KEY SHARE) until the transaction ends: a purge (purge_batch())
-- leaves content we hold alone, and content it is deleting we store
-- again once it is gone
CREATE OR REPLACE FUNCTION blob_keep(sha text, bytes bigint, content bytea)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..3 LOOP
        PERFORM 1 FROM blobs WHERE sha256 = sha FOR KEY SHARE;
        IF FOUND THEN
            RETURN;
        END IF;
        INSERT INTO blobs (sha256, size, content) VALUES (sha, bytes, content)
        ON CONFLICT (sha256) DO NOTHING;
        IF FOUND THEN
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'attachment content % deleted while stored again', sha
        USING ERRCODE = 'serialization_failure';
END $$;

-- attachments_store - a message's attachments (meta->attachments, their
-- bytes cut from blob_data), the content stored once per SHA-256; returns
-- how many
CREATE OR REPLACE FUNCTION attachments_store(msg bigint, meta jsonb, blob_data bytea)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    a    jsonb;
    pos  integer := 0;
BEGIN
    FOR a IN SELECT * FROM jsonb_array_elements(coalesce(meta->'attachments', '[]')) LOOP
        PERFORM blob_keep(a->>'sha256', (a->>'size')::bigint,
                          substring(blob_data FROM (a->>'offset')::integer + 1 FOR (a->>'size')::integer));
        INSERT INTO attachments (msg_id, position, filename, content_type, disposition,
                                 content_id, origin, size, truncated, sha256)
        VALUES (msg, pos, a->>'filename', a->>'content_type', a->>'disposition',
                a->>'content_id', a->>'origin', (a->>'size')::bigint,
                coalesce((a->>'truncated')::boolean, false), a->>'sha256');
        pos := pos + 1;
    END LOOP;
    RETURN pos;
END $$;

-- ingest_after - the agents' notifications and the confirmation (decided
-- by ingest_message() before the message was stored: refusal, NULL
-- to send one) a stored message causes, in the same transaction; facts
-- are the stored message's (the parser's and the trust flags)
CREATE OR REPLACE FUNCTION ingest_after(t tickets, q queues, message bigint, meta jsonb,
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
    -- The customer's language, kept on the contact (for this ticket's and
    -- every later mail to them): the message's (Content-Language, else
    -- Accept-Language), else the one known before, else the queue's.
    IF kind = 'customer' AND meta->>'language' ~ '^[a-z]{2,3}$' THEN
        UPDATE contacts SET language = meta->>'language'
        WHERE address = rcpt AND language IS DISTINCT FROM meta->>'language';
    END IF;
    IF refusal IS NULL THEN
        SELECT c.language INTO lang FROM contacts c WHERE c.address = rcpt;
        PERFORM outbox_add(t, message, 'confirmation', rcpt, coalesce(lang, q.language));
    END IF;

    -- The agents who follow the ticket (ticket_watchers(): its assignee,
    -- or the queue's agents while nobody has it) hear of every message
    -- but their own and our own coming back; an unproven one says so,
    -- with whom it asks to add.
    quiet := notify_refusal(meta, t, kind, rcpt);
    IF quiet IS NULL THEN
        -- A customer's mail says new or reply by itself (outbox_mail()).
        event := event_text(q.language, CASE kind WHEN 'customer' THEN 'reply' ELSE kind END);
        IF f ? 'asks_to_add' THEN
            event := event_text(q.language, 'unproven-asks', event,
                                (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(f->'asks_to_add') x),
                                t.number);
        ELSIF f ? 'unproven' THEN
            event := event_text(q.language, 'unproven', event);
        ELSIF kind = 'customer' THEN
            event := NULL;
        END IF;
        WITH added AS (
            SELECT outbox_add(t, message, 'notification', w, q.language, event)
            FROM ticket_watchers(t, rcpt) w
        ) SELECT count(*) INTO notified FROM added;
    END IF;
    RETURN jsonb_build_object('autoreply', coalesce(refusal, 'sent'), 'notified', notified)
           || CASE WHEN quiet IS NULL THEN '{}' ELSE jsonb_build_object('not_notified', quiet) END
           || agent_reply(t, message, meta, kind);
END $$;

-- ingest_message - store one received message in the right ticket, once;
-- an agent's reply keeps its relay instructions, so that a duplicate of it
-- is relayed again.
--
-- raw is the message as received; blob_data the decoded attachments,
-- concatenated in order. meta, the one contract between the daemon (and
-- ticketctl message replay) and the database, is written by ingest_meta()
-- (milter/core/ingest.c): the message's own members (message_id through
-- kind, attachments, facts, commands) by the parser, mail_json_stored()
-- in parser/mail_json.c; the envelope, client, digest, auth and the
-- configured values by ingest_meta() itself; the texts by STORE_META_SQL:
--   queues               [text] the support addresses it was sent to, the
--                        first deciding the queue
--   tokens               [text] reply-address extensions of its recipients
--   envelope_sender      text, "" for <>
--   envelope_recipients  [text]
--   message_id, in_reply_to, thread_index, ticket_tag   text or null
--   references           [text] References, oldest first
--   thread_ids           [text] In-Reply-To then References, newest first
--   thread_root          text: the Outlook conversation (hex of the first
--                        22 bytes of Thread-Index), or null
--   subject, subject_normalized (without Re:/Fwd: and the ticket tag)
--   from_address, from_name, date (the Date header as text)
--   language             the sender's language: the primary subtag (2 or 3
--                        letters, lower case) of the first tag of
--                        Content-Language (the message's, else its top
--                        MIME part's), else of Accept-Language; null when
--                        absent or not a language tag (mail_language(),
--                        parser/mail.h). Kept as the contact's language.
--   to, cc               [{name, address}]
--   kind                 customer, auto-reply or bounce, as the parser saw it
--   digest               SHA-256 of the message without trace headers
--   attachments          [{offset, size, sha256, filename, content_type,
--                        disposition, content_id, origin, truncated}]:
--                        offset and size into blob_data
--   facts                {auto_submitted, precedence, list_id,
--                        x_auto_response_suppress, x_loop (text);
--                        is_auto_submitted, is_auto_reply, is_bulk, is_spam,
--                        suppress_autoreply, is_bounce (0 or 1);
--                        bounce_original_message_id, bounce_failed_recipient,
--                        bounce_status; text_source; defects [text];
--                        bounds_hit [text]; with SpamHeader, spam_header
--                        and spam_verdict: spam, clean, absent or
--                        doubtful (MAIL_SPAM, parser/mail.h)}
--   auth                 the SPF, DKIM and DMARC results (README's "Who
--                        really sent it"), or null when not checked;
--                        stored with sender_authenticated added
--   sender_authenticated boolean: policy_sender_authenticated(), DMARC or
--                        an aligned SPF/DKIM pass, From not duplicated
--   agent_proof          {sasl_login text, internal_host, dkim,
--                        duplicate_header boolean}
--   max_recipients       MaximumRecipients
--   limits               {per_address_hour, per_address_day,
--                        per_ticket_hour, bounce_hold_seconds}: the config's
--                        values (their defaults live in C only); a limit
--                        absent here does not apply
--   client_ip, client_name, helo, mta_queue_id   text or null
--   reopen_seconds       ReopenWindow; number_format TicketNumberFormat
--   recipient_delimiter  RecipientDelimiter (the characters)
--   foreign_queues       the queue addresses of the other regions (with
--                        several): is_queue_address() counts them too, so
--                        no other region's queue becomes a participant
--   commands             only when reply_text starts with a "#" line: the
--                        agent's commands, {list: [{name, argument}],
--                        errors: [text], body_start: characters of
--                        reply_text before the answer} (mail_commands(), parser/mail.h)
--   text, reply_text, html   the plain text, the reply without its quote,
--                        the sanitized HTML (UTF-8, or null)
-- It returns {ticket, message, rule, created, duplicate}, and for a message
-- stored now also {autoreply, notified or not_notified} (ingest_after),
-- what agent_reply() adds (relay, or discard), and queued: whether it
-- put mail in the outbox. An agent's command mail to the queue address
-- (queue_command(): #list, #new ADDRESS) is answered without a ticket
-- ({ticket: null, rule, discard}), or opens a ticket for ADDRESS whose
-- first message it is (rule agent-new), relayed as an answer.
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
    result    jsonb;
    cmd       jsonb;
    opening   boolean;
BEGIN
    -- A running erasure (privacy_erase) first, then deliveries of the
    -- same message wait for each other here.
    PERFORM pg_advisory_xact_lock_shared(privacy_gate());
    -- Only with several regions: most installations have one.
    IF meta ? 'foreign_queues' THEN
        PERFORM set_config('tm.foreign_queues',
            (SELECT string_agg(lower(f), ' ') FROM jsonb_array_elements_text(meta->'foreign_queues') f),
            true);
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended(
        coalesce(meta->>'message_id', '') || ' ' || (meta->>'digest'), 7431));
    SELECT m.id, tk.number, m.thread_rule, m.facts->'relay' AS relay INTO found_t
    FROM messages m JOIN tickets tk ON tk.id = m.ticket_id
    WHERE coalesce(m.message_id, '') = coalesce(meta->>'message_id', '')
      AND m.digest = meta->>'digest';
    IF FOUND THEN
        -- A retry of a message whose COMMIT was interrupted (a lost
        -- connection, a cancelled wait for the synchronous standby) may be
        -- on this server alone. A write (a new version of the row, the
        -- same values) makes this COMMIT wait for the synchronous standby
        -- like any other, and the standby then has the first one too,
        -- before the MTA is answered 250. (A transaction id alone writes
        -- no WAL that waits.)
        UPDATE messages SET thread_rule = thread_rule WHERE id = found_t.id;
        RETURN jsonb_build_object('ticket', found_t.number, 'message', found_t.id,
                                  'rule', found_t.thread_rule, 'created', false, 'duplicate', true)
               || CASE WHEN found_t.relay IS NULL THEN '{}' ELSE jsonb_build_object('relay', found_t.relay) END;
    END IF;

    SELECT * INTO q FROM queues WHERE address = lower(meta->'queues'->>0);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no queue for %', meta->'queues'->>0 USING ERRCODE = 'no_data_found';
    END IF;

    -- An agent's mail to the queue address: #list and a refused command
    -- are answered now, #new opens a ticket (queue_command()).
    cmd := queue_command(q, meta, kind);
    IF cmd ? 'answer' THEN
        RETURN cmd->'answer';
    END IF;
    opening := coalesce(cmd ? 'new', false);
    IF opening THEN
        meta := meta || jsonb_build_object('commands', cmd->'commands');
    END IF;

    -- A Message-ID the queue holds with other content: the earliest's ticket.
    found_t := NULL;
    IF opening THEN
        SELECT NULL::bigint AS ticket, 'agent-new'::text AS rule, NULL::bigint AS linked INTO found_t;
    ELSIF meta->>'message_id' IS NOT NULL THEN
        SELECT reused_message_ticket(meta->>'message_id', q.id) AS ticket,
               'reused-message-id'::text AS rule, NULL::bigint AS linked INTO found_t;
        reused := found_t.ticket IS NOT NULL;
    END IF;
    IF NOT reused AND NOT opening THEN
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

    IF opening THEN
        customer := contact_id(cmd->>'new', NULL);
    ELSIF sender IS NOT NULL THEN
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
        -- The site's spam filter (SpamHeader) sets a new ticket aside: no
        -- confirmation, no notification until an agent says #notspam.
        IF m_facts->>'spam_verdict' = 'spam' AND NOT opening THEN
            PERFORM ticket_status_change(t, 'spam', 'spam filter', (m_facts->>'spam_header') || ' says spam',
                                         meta->'limits', meta->>'recipient_delimiter');
            SELECT * INTO t FROM tickets WHERE id = t.id;
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
                          mta_queue_id, size, raw, body_text, reply_text, html, reply_html, digest,
                          thread_rule, other_queues, auth, facts, autoreply, language)
    VALUES (t.id, kind, meta->>'message_id', meta->>'in_reply_to',
            ARRAY(SELECT jsonb_array_elements_text(coalesce(meta->'references', '[]'))),
            meta->>'thread_index', meta->>'thread_root', meta->>'subject',
            meta->>'from_address', meta->>'from_name', coalesce(meta->'to', '[]'),
            coalesce(meta->'cc', '[]'), tm_timestamptz(meta->>'date'),
            coalesce(meta->>'envelope_sender', ''),
            ARRAY(SELECT jsonb_array_elements_text(meta->'envelope_recipients')),
            (meta->>'client_ip')::inet, meta->>'client_name', meta->>'helo',
            meta->>'mta_queue_id', length(raw), raw, meta->>'text', meta->>'reply_text',
            meta->>'html', meta->>'reply_html', meta->>'digest', rule,
            ARRAY(SELECT lower(x) FROM jsonb_array_elements_text(meta->'queues') WITH ORDINALITY o(x, n) WHERE n > 1),
            CASE WHEN jsonb_typeof(meta->'auth') = 'object'
                 THEN meta->'auth' || jsonb_build_object('sender_authenticated',
                          coalesce((meta->>'sender_authenticated')::boolean, false)) END,
            m_facts, coalesce(refusal, 'sent'), left(meta->>'language', 35))
    RETURNING id INTO m_id;

    PERFORM attachments_store(m_id, meta, blob_data);

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
    -- Whether the daemon's outbox senders have mail to send now: mail of
    -- this ticket queued in this transaction (now() is its start), which
    -- includes the closed mail of an agent's #close, caused by no message.
    RETURN result || jsonb_build_object('queued',
        EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.created_at = now()));
END $$;

-- message_refresh - replace a stored message's parsed content with a new
-- parse of its original (ticketctl message replay). meta is what
-- milter/core/ingest.c builds for the message. It changes the text, reply
-- text, HTML, facts and attachments only: never the ticket, the raw
-- bytes or what deduplicates (Message-ID, digest). It returns the
-- message's ticket, which of its parts changed, and where thread_find()
-- would put the message now, asked as if this message were not stored
-- yet.
CREATE OR REPLACE FUNCTION message_refresh(msg bigint, meta jsonb, blob_data bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    m        messages;
    probe    record;
    now_t    text;
    stored   integer;
    changed  text[] := '{}';
BEGIN
    SELECT * INTO m FROM messages WHERE id = msg FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no message %', msg USING ERRCODE = 'no_data_found';
    END IF;
    IF m.body_text IS DISTINCT FROM meta->>'text' THEN changed := changed || 'text'::text; END IF;
    IF m.reply_text IS DISTINCT FROM meta->>'reply_text' THEN changed := changed || 'reply_text'::text; END IF;
    IF m.html IS DISTINCT FROM meta->>'html' THEN changed := changed || 'html'::text; END IF;
    IF m.facts IS DISTINCT FROM coalesce(meta->'facts', '{}') THEN changed := changed || 'facts'::text; END IF;
    IF ARRAY(SELECT x.sha256 || ' ' || coalesce(x.filename, '') FROM attachments x
             WHERE x.msg_id = msg ORDER BY x.position)
       IS DISTINCT FROM
       ARRAY(SELECT (e->>'sha256') || ' ' || coalesce(e->>'filename', '')
             FROM jsonb_array_elements(coalesce(meta->'attachments', '[]')) e) THEN
        changed := changed || 'attachments'::text;
    END IF;
    UPDATE messages SET body_text = meta->>'text', reply_text = meta->>'reply_text',
                        html = meta->>'html', facts = coalesce(meta->'facts', '{}')
    WHERE id = msg;
    DELETE FROM attachments WHERE msg_id = msg;
    stored := attachments_store(msg, meta, blob_data);

    -- Threading, as if the message came now: hide it from thread_find()
    -- in a subtransaction that is always rolled back.
    BEGIN
        UPDATE messages SET message_id = '<replay-' || msg || '>', thread_root = NULL WHERE id = msg;
        SELECT * INTO probe FROM thread_find(meta);
        RAISE EXCEPTION 'probe done' USING ERRCODE = 'P0001';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    SELECT t.number INTO now_t FROM tickets t WHERE t.id = probe.ticket;
    RETURN jsonb_build_object(
        'message', msg,
        'ticket', (SELECT t.number FROM tickets t WHERE t.id = m.ticket_id),
        'rule', m.thread_rule,
        'attachments', stored,
        'changed', to_jsonb(changed),
        'threading_now', jsonb_build_object('ticket', now_t, 'rule', probe.rule,
            'linked_ticket', (SELECT t.number FROM tickets t WHERE t.id = probe.linked)));
END $$;
