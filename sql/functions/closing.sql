-- closing.sql - a ticket is closed: the customer is told (the "closed"
-- template), under the same protections as a confirmation; and tickets
-- solved for SolvedCloseDays are closed automatically (ticketctl ticket
-- autoclose, run by the package's daily timer).

-- closed_mail_refusal - why the customer rcpt of ticket t must not be
-- told that it was closed, or NULL: autoreply_refusal(), as for a
-- confirmation (the queue sends none, automatic, list, bulk or spam mail,
-- bounces, null senders, our own loop, system, own and agents' addresses,
-- unauthenticated senders per queue, bounced addresses, the rate limits),
-- applied to the customer's first message in the ticket as it was stored.
-- A ticket an agent opened without one is judged by the address alone.
-- limits and delims are what meta->'limits' and RecipientDelimiter are.
CREATE OR REPLACE FUNCTION closed_mail_refusal(t tickets, q queues, rcpt text, limits jsonb,
                                               delims text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT autoreply_refusal(coalesce(
        (SELECT jsonb_build_object('kind', m.kind, 'facts', m.facts,
                    'envelope_sender', m.envelope_sender,
                    'sender_authenticated', coalesce((m.auth->>'sender_authenticated')::boolean, false))
         FROM messages m
         WHERE m.ticket_id = t.id AND m.direction = 'in' AND lower(m.from_address) = rcpt
         ORDER BY m.id LIMIT 1),
        jsonb_build_object('kind', 'customer', 'envelope_sender', rcpt, 'sender_authenticated', true))
        || jsonb_build_object('limits', limits, 'recipient_delimiter', delims), t, q, rcpt)
$$;

-- ticket_closed_mail - ticket t was closed by actor: queue the customer's
-- closed mail, in the customer's language (else the queue's), as an
-- answer to their last message, unless closed_mail_refusal() says why
-- not; the decision is an event of the ticket. Returns 'sent' or why not.
CREATE OR REPLACE FUNCTION ticket_closed_mail(t tickets, actor text, limits jsonb, delims text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    q      queues;
    cust   contacts;
    why    text;
BEGIN
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    SELECT * INTO cust FROM contacts WHERE id = t.customer_id;
    why := CASE WHEN cust.address IS NULL THEN 'no-customer'
                ELSE closed_mail_refusal(t, q, cust.address, limits, delims) END;
    IF why IS NULL THEN
        PERFORM outbox_add(t, (SELECT max(m.id) FROM messages m
                               WHERE m.ticket_id = t.id AND m.direction = 'in' AND m.kind = 'customer'),
                           'closed', cust.address, coalesce(cust.language, q.language));
    END IF;
    PERFORM ticket_event(t.id, actor, 'closed-mail', jsonb_build_object('result', coalesce(why, 'sent')));
    RETURN coalesce(why, 'sent');
END $$;

-- ticket_solved_at - when ticket t was last set solved (its event), else
-- its last change
CREATE OR REPLACE FUNCTION ticket_solved_at(t tickets) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(e.at) FROM events e
                     WHERE e.ticket_id = t.id AND e.action = 'status' AND e.detail->>'to' = 'solved'),
                    t.updated_at)
$$;

-- tickets_autoclose - close every ticket solved for days days or longer
-- (SolvedCloseDays; 0 closes none), each with its event and the
-- customer's closed mail; one row per ticket closed
CREATE OR REPLACE FUNCTION tickets_autoclose(days integer, limits jsonb, delims text)
RETURNS TABLE (ticket text, closed_mail text) LANGUAGE plpgsql AS $$
DECLARE
    t  tickets;
BEGIN
    IF days <= 0 THEN
        RETURN;
    END IF;
    FOR t IN SELECT * FROM tickets tk
             WHERE tk.status = 'solved' AND ticket_solved_at(tk) <= now() - make_interval(days => days)
             ORDER BY tk.id FOR UPDATE SKIP LOCKED LOOP
        ticket := t.number;
        closed_mail := ticket_set_status(t.number, 'closed', 'autoclose',
                                         format('solved for %s days or more (SolvedCloseDays)', days),
                                         limits, delims)->>'closed_mail';
        RETURN NEXT;
    END LOOP;
END $$;
