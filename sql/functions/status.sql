-- status.sql - a ticket's status changes: one function for every path (an
-- agent's command by mail, ticketctl, the daily autoclose, the site's spam
-- filter at ingest), so each change is logged and told alike.

-- ticket_status_change - set ticket t to to_status for actor, with an
-- event saying why; closing it tells the customer (ticket_closed_mail()),
-- unless it was spam, and a ticket that was spam and is open again tells
-- the agents who follow it now. limits
-- and delims are meta->'limits' and RecipientDelimiter. Returns what
-- became of the closed mail when it closed the ticket ('sent' or why
-- not), else NULL.
CREATE OR REPLACE FUNCTION ticket_status_change(t tickets, to_status text, actor text, why text,
                                                limits jsonb, delims text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    now_t   tickets;
    closed_mail text;
BEGIN
    UPDATE tickets SET status = to_status, updated_at = now(),
           closed_at = CASE WHEN to_status = 'closed' THEN coalesce(closed_at, now()) END
    WHERE id = t.id RETURNING * INTO now_t;
    PERFORM ticket_event(t.id, actor, 'status', jsonb_build_object('from', t.status, 'to', to_status)
                         || CASE WHEN why IS NULL THEN '{}' ELSE jsonb_build_object('why', why) END);
    -- Nothing is sent to a sender of spam, so closing spam tells no one.
    IF to_status = 'closed' AND t.status NOT IN ('closed', 'spam') THEN
        closed_mail := ticket_closed_mail(now_t, actor, limits, delims);
    END IF;
    -- Not spam after all: the agents hear of it now, as of a new ticket.
    IF t.status = 'spam' AND to_status IN ('new', 'open') THEN
        PERFORM outbox_add(now_t, (SELECT min(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'),
                           'notification', w, q.language,
                           event_text(q.language, 'not-spam',
                                      coalesce((SELECT a.name FROM agents a WHERE a.address = actor), actor)))
        FROM ticket_watchers(now_t, actor) w, queues q WHERE q.id = t.queue_id;
    END IF;
    RETURN closed_mail;
END $$;

-- ticket_set_status - ticketctl's change of a ticket's status
-- (ticket_status_change()). Returns {was, closed_mail (when closed now)},
-- or NULL when there is no such ticket.
CREATE OR REPLACE FUNCTION ticket_set_status(t_number text, new_status text, actor text, why text,
                                             limits jsonb, delims text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t           tickets;
    closed_mail text;
BEGIN
    SELECT * INTO t FROM tickets WHERE number = t_number FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    closed_mail := ticket_status_change(t, new_status, actor, why, limits, delims);
    -- ticketctl is no daemon: wake the daemons' senders.
    IF EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.created_at = now()) THEN
        PERFORM pg_notify('ticket_milter_outbox', '');
    END IF;
    RETURN jsonb_build_object('was', t.status)
           || CASE WHEN closed_mail IS NULL THEN '{}' ELSE jsonb_build_object('closed_mail', closed_mail) END;
END $$;
