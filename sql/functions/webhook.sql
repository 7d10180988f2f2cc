-- webhook.sql - webhooks: the deliveries of an event, queued in the
-- transaction of the event (so none is lost or invented), and what the
-- senders of ticket-milter (milter/daemon/webhook.c) record.
--
-- The triggers are constraint triggers deferred to the commit: by then a
-- ticket that the spam filter set aside in the same transaction is known
-- as spam, and is not announced (a ticket with the status spam sends no
-- event; #notspam later is a ticket.updated from spam). Deferred triggers
-- run in the order of their events, so a transaction's deliveries are
-- numbered as its events came: ticket.created before the first
-- message.received.
--
-- A transaction that queued a delivery NOTIFYs ticket_milter_webhook (the
-- senders LISTEN). A NOTIFY makes commits wait on each other (sql/015), so
-- only transactions that queue a delivery send one: the mail of a queue
-- without webhooks pays no more than the triggers' lookups.

-- webhook_ticket - a ticket as ticket-api's TicketSummary shows it
-- (without message_count)
CREATE OR REPLACE FUNCTION webhook_ticket(t tickets, region text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('number', t.number, 'subject', t.subject, 'status', t.status,
                              'queue', q.address, 'region', region, 'customer', c.address,
                              'assignee', t.assignee, 'created', t.created_at,
                              'updated', t.updated_at)
    FROM queues q LEFT JOIN contacts c ON c.id = t.customer_id
    WHERE q.id = t.queue_id
$$;

-- webhook_wanted - a webhook of the ticket's queue wants event: the
-- triggers ask first, so that mail of a queue without webhooks costs an
-- index lookup and builds no payload
CREATE OR REPLACE FUNCTION webhook_wanted(ticket bigint, event text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM tickets t JOIN webhooks w ON w.queue_id = t.queue_id
                   WHERE t.id = ticket AND event = ANY (w.events))
$$;

-- webhook_queue - queue event for each webhook of the ticket's queue that
-- wants it; detail adds members to the payload (message, changes)
CREATE OR REPLACE FUNCTION webhook_queue(ticket bigint, event text, detail jsonb)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t      tickets;
    w      webhooks;
    region text;
    id     uuid;
BEGIN
    SELECT * INTO t FROM tickets WHERE tickets.id = ticket;
    IF NOT FOUND OR t.status = 'spam' OR t.erased_at IS NOT NULL THEN
        RETURN;
    END IF;
    FOR w IN SELECT * FROM webhooks WHERE queue_id = t.queue_id AND event = ANY (events) ORDER BY webhooks.id LOOP
        IF region IS NULL THEN
            region := coalesce((region_state()).name, 'default');
        END IF;
        id := gen_random_uuid();
        INSERT INTO webhook_deliveries (delivery, webhook_id, ticket_number, event, payload)
        VALUES (id, w.id, t.number, event,
                jsonb_build_object('event', event, 'delivery', id, 'occurred', now(),
                                   'ticket', webhook_ticket(t, region))
                || coalesce(detail, '{}'));
    END LOOP;
    IF region IS NOT NULL THEN
        PERFORM pg_notify('ticket_milter_webhook', '');
    END IF;
END $$;

-- webhook_ticket_created - ticket.created
CREATE OR REPLACE FUNCTION webhook_ticket_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF webhook_wanted(NEW.id, 'ticket.created') THEN
        PERFORM webhook_queue(NEW.id, 'ticket.created', NULL);
    END IF;
    RETURN NULL;
END $$;

-- webhook_message_received - message.received: a customer's message or an
-- agent's answer as it came in (by mail or ticket-api), not notes, not
-- what the daemon sends
CREATE OR REPLACE FUNCTION webhook_message_received() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT webhook_wanted(NEW.ticket_id, 'message.received') THEN
        RETURN NULL;
    END IF;
    PERFORM webhook_queue(NEW.ticket_id, 'message.received', jsonb_build_object('message',
        jsonb_build_object('id', coalesce((region_state()).name, 'default') || '.' || NEW.id,
                           'kind', NEW.kind, 'from', NEW.from_address, 'subject', NEW.subject,
                           'date', NEW.sent_at, 'received', NEW.received_at)));
    RETURN NULL;
END $$;

-- webhook_ticket_updated - ticket.updated: status, assignee, merge; changes
-- holds what changed, each as {from, to}
CREATE OR REPLACE FUNCTION webhook_ticket_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes jsonb := '{}';
BEGIN
    IF NOT webhook_wanted(NEW.id, 'ticket.updated') THEN
        RETURN NULL;
    END IF;
    IF OLD.status IS DISTINCT FROM NEW.status THEN
        changes := changes || jsonb_build_object('status', jsonb_build_object('from', OLD.status, 'to', NEW.status));
    END IF;
    IF OLD.assignee IS DISTINCT FROM NEW.assignee THEN
        changes := changes || jsonb_build_object('assignee', jsonb_build_object('from', OLD.assignee, 'to', NEW.assignee));
    END IF;
    IF NEW.merged_into IS NOT NULL AND OLD.merged_into IS DISTINCT FROM NEW.merged_into THEN
        changes := changes || jsonb_build_object('merged_into', jsonb_build_object(
            'from', (SELECT number FROM tickets WHERE id = OLD.merged_into),
            'to', (SELECT number FROM tickets WHERE id = NEW.merged_into)));
    END IF;
    PERFORM webhook_queue(NEW.id, 'ticket.updated', jsonb_build_object('changes', changes));
    RETURN NULL;
END $$;

-- Constraint triggers cannot be replaced: dropped and made again.
DROP TRIGGER IF EXISTS webhook_ticket_created ON tickets;
CREATE CONSTRAINT TRIGGER webhook_ticket_created AFTER INSERT ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION webhook_ticket_created();
DROP TRIGGER IF EXISTS webhook_message_received ON messages;
CREATE CONSTRAINT TRIGGER webhook_message_received AFTER INSERT ON messages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (NEW.direction = 'in' AND NEW.kind IN ('customer', 'agent'))
    EXECUTE FUNCTION webhook_message_received();
DROP TRIGGER IF EXISTS webhook_ticket_updated ON tickets;
CREATE CONSTRAINT TRIGGER webhook_ticket_updated AFTER UPDATE OF status, assignee, merged_into ON tickets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee IS DISTINCT FROM NEW.assignee
          OR (NEW.merged_into IS NOT NULL AND OLD.merged_into IS DISTINCT FROM NEW.merged_into))
    EXECUTE FUNCTION webhook_ticket_updated();

-- webhook_next - lock the next due delivery for a sender, or none: the
-- oldest, unless an older delivery of the same ticket to the same webhook
-- still waits (so one ticket's events arrive in order); SKIP LOCKED, so
-- that two senders never take one delivery
CREATE OR REPLACE FUNCTION webhook_next(OUT id bigint, OUT url text, OUT secret text, OUT delivery uuid,
                                        OUT event text, OUT payload text)
RETURNS SETOF record LANGUAGE sql AS $$
    SELECT d.id, w.url, w.secret, d.delivery, d.event, d.payload::text
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.state = 'pending' AND d.next_attempt <= now()
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                      WHERE e.webhook_id = d.webhook_id AND e.ticket_number = d.ticket_number
                        AND e.state = 'pending' AND e.id < d.id)
    ORDER BY d.next_attempt, d.id LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
$$;

-- webhook_delivered - a 2xx answer
CREATE OR REPLACE FUNCTION webhook_delivered(d_id bigint, http_status integer) RETURNS void
LANGUAGE sql AS $$
    UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), attempts = attempts + 1,
           last_status = http_status, last_error = NULL
    WHERE id = d_id
$$;

-- webhook_failed - a failed attempt (http_status NULL: no answer): again
-- later, the delay doubling up to an hour, or failed after max_attempts
CREATE OR REPLACE FUNCTION webhook_failed(d_id bigint, error text, http_status integer,
                                          max_attempts integer, first_delay integer)
RETURNS text LANGUAGE sql AS $$
    UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = error, last_status = http_status,
           state = CASE WHEN attempts + 1 >= max_attempts THEN 'failed' ELSE 'pending' END,
           next_attempt = now() + least(interval '1 hour',
                                        make_interval(secs => first_delay * power(2, least(attempts, 20))))
    WHERE id = d_id
    RETURNING state
$$;

-- webhook_retry - ticketctl webhook retry: a failed or waiting delivery
-- again now, with its attempts counted from zero; false if none
CREATE OR REPLACE FUNCTION webhook_retry(d_id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE webhook_deliveries SET state = 'pending', next_attempt = now(), attempts = 0
    WHERE id = d_id AND state <> 'delivered';
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM pg_notify('ticket_milter_webhook', '');
    RETURN true;
END $$;
