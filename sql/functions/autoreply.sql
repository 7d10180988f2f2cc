-- autoreply.sql - who hears of a message: whether it may be answered
-- automatically (RFC 3834), whether the agents are told, and whether it
-- may change who takes part in its ticket.

-- is_our_mail_back - the message refers to mail we sent (a Message-ID of
-- our outbox in In-Reply-To, References or a bounce's original id)
CREATE OR REPLACE FUNCTION is_our_mail_back(meta jsonb) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM outbox o
                   WHERE o.message_id IN (SELECT jsonb_array_elements_text(coalesce(meta->'thread_ids', '[]'))
                                          UNION ALL
                                          SELECT meta->'facts'->>'bounce_original_message_id'))
$$;

-- notify_refusal - why the agents are not told of a stored message, or
-- NULL: an agent's own mail, its customer's mail or more spam in a ticket
-- set aside as spam (by an agent, or by the site's filter: SpamHeader),
-- our own mail coming back (our X-Loop
-- with our Message-ID referred to), a bounce of our own mail, or the
-- ticket's rate limit. What the sender writes alone (X-Loop,
-- Auto-Submitted, Precedence, X-Spam-*) never hides a message.
CREATE OR REPLACE FUNCTION notify_refusal(meta jsonb, t tickets, kind text, sender text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF kind NOT IN ('customer', 'auto-reply', 'bounce') THEN
        RETURN kind;
    END IF;
    IF EXISTS (SELECT 1 FROM agents a WHERE a.address = sender) THEN
        RETURN 'agent-address';
    END IF;
    -- Set aside as spam by the site's filter or an agent (#notspam tells):
    -- more from its sender, or more spam. Someone else's message that
    -- threads into it is told: a spammer must not swallow a thread.
    IF t.status = 'spam' AND (meta->'facts'->>'spam_verdict' = 'spam'
        OR sender = (SELECT c.address FROM contacts c WHERE c.id = t.customer_id)) THEN
        RETURN 'ticket-spam';
    END IF;
    IF (kind = 'bounce' OR is_queue_address(meta->'facts'->>'x_loop', meta->>'recipient_delimiter')) AND is_our_mail_back(meta) THEN
        RETURN CASE kind WHEN 'bounce' THEN 'bounce-of-our-mail' ELSE 'own-mail-back' END;
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id
        AND o.created_at > now() - interval '1 hour')
       >= (meta->'limits'->>'per_ticket_hour')::int THEN
        RETURN 'rate-limit-ticket-hour';
    END IF;
    RETURN NULL;
END $$;

-- autoreply_refusal - why a message must not get a confirmation, or NULL.
-- Loops and backscatter (RFC 3834): never answer automatic, list, bulk or
-- spam mail, out-of-office replies, bounces, null senders, system or own
-- addresses, agents, unauthenticated senders (per queue), hard-bounced
-- addresses, or past the rate limits (meta->'limits'), which count the
-- closed mails too (closing.sql).
CREATE OR REPLACE FUNCTION autoreply_refusal(meta jsonb, t tickets, q queues, rcpt text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    f       jsonb := coalesce(meta->'facts', '{}');
    lim     jsonb := coalesce(meta->'limits', '{}');
BEGIN
    IF q.confirm = 'never' THEN RETURN 'queue-confirms-never'; END IF;
    IF t.status = 'spam' THEN RETURN 'ticket-spam'; END IF;
    IF coalesce(meta->>'kind', 'customer') <> 'customer' THEN RETURN meta->>'kind'; END IF;
    IF (f->>'is_auto_submitted')::int = 1 THEN RETURN 'auto-submitted'; END IF;
    IF (f->>'is_auto_reply')::int = 1 THEN RETURN 'auto-reply'; END IF;
    IF lower(f->>'precedence') IN ('bulk', 'list', 'junk') THEN RETURN 'precedence-' || lower(f->>'precedence'); END IF;
    IF f->>'list_id' IS NOT NULL OR (f->>'is_bulk')::int = 1 THEN RETURN 'mailing-list'; END IF;
    IF (f->>'is_spam')::int = 1 OR f->>'spam_verdict' = 'spam' THEN RETURN 'spam'; END IF;
    IF f->>'x_auto_response_suppress' ~* '(^|[ ,;])(all|autoreply|oof)($|[ ,;])' THEN
        RETURN 'x-auto-response-suppress';
    END IF;
    IF (f->>'is_bounce')::int = 1 THEN RETURN 'bounce'; END IF;
    IF coalesce(meta->>'envelope_sender', '') = '' THEN RETURN 'null-sender'; END IF;
    IF is_queue_address(f->>'x_loop', meta->>'recipient_delimiter') THEN RETURN 'own-loop-header'; END IF;
    IF rcpt IS NULL THEN RETURN 'no-sender-address'; END IF;
    IF is_system_address(rcpt) THEN RETURN 'system-sender'; END IF;
    IF is_queue_address(rcpt, meta->>'recipient_delimiter') THEN RETURN 'own-address'; END IF;
    IF EXISTS (SELECT 1 FROM agents a WHERE a.address = rcpt) THEN RETURN 'agent'; END IF;
    IF q.confirm = 'authenticated' AND NOT coalesce((meta->>'sender_authenticated')::boolean, false) THEN
        RETURN 'sender-not-authenticated';
    END IF;
    IF EXISTS (SELECT 1 FROM contacts c WHERE c.address = rcpt AND c.bounced_at >
               now() - make_interval(secs => (lim->>'bounce_hold_seconds')::double precision)) THEN
        RETURN 'address-bounced';
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.recipient = rcpt AND o.kind IN ('confirmation', 'closed')
        AND o.created_at > now() - interval '1 hour') >= (lim->>'per_address_hour')::int THEN
        RETURN 'rate-limit-address-hour';
    END IF;
    IF (SELECT count(*) FROM outbox o WHERE o.recipient = rcpt AND o.kind IN ('confirmation', 'closed')
        AND o.created_at > now() - interval '1 day') >= (lim->>'per_address_day')::int THEN
        RETURN 'rate-limit-address-day';
    END IF;
    RETURN NULL;
END $$;

-- proven_sender - may this message change who takes part in ticket t: an
-- authenticated agent's, or a proven sender (DMARC, aligned DKIM/SPF)
-- who already takes part
CREATE OR REPLACE FUNCTION proven_sender(meta jsonb, t tickets, kind text, sender text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT kind = 'agent'
        OR (coalesce((meta->>'sender_authenticated')::boolean, false)
            AND EXISTS (SELECT 1 FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
                        WHERE p.ticket_id = t.id AND c.address = sender))
$$;

-- named_participants - the To and Cc addresses of a message that are not
-- support addresses, lower case, each once
CREATE OR REPLACE FUNCTION named_participants(meta jsonb)
RETURNS TABLE (address text, name text) LANGUAGE sql STABLE AS $$
    SELECT DISTINCT ON (lower(x->>'address')) lower(x->>'address'), x->>'name'
    FROM jsonb_array_elements(coalesce(meta->'to', '[]') || coalesce(meta->'cc', '[]')) x
    WHERE x->>'address' IS NOT NULL AND NOT is_queue_address(x->>'address', meta->>'recipient_delimiter')
$$;
