-- 033_webhooks.sql - webhooks (ticketctl webhook): a URL that is told of a
-- queue's events, and the deliveries queued for it. Both live in the
-- database of the queue's region, so each region queues and sends its own.
-- A delivery is queued by the triggers of sql/functions/webhook.sql in the
-- transaction of its event, so none is lost or invented; ticket-milter's
-- webhook senders post it (milter/daemon/webhook.c).
CREATE TABLE IF NOT EXISTS webhooks (
    id          bigserial PRIMARY KEY,
    url         text NOT NULL CHECK (url ~ '^https?://[^/?#[:space:]]+' AND length(url) <= 2048),
    queue_id    integer NOT NULL REFERENCES queues ON DELETE CASCADE,
    events      text[] NOT NULL CHECK (cardinality(events) > 0 AND events <@
                    ARRAY['ticket.created', 'message.received', 'ticket.updated']),
    -- kept as is: the sender signs with it (SECURITY.md, "Webhooks")
    secret      text NOT NULL CHECK (length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhooks_queue ON webhooks (queue_id);

-- A delivery names its ticket by number (not a reference), so that the
-- senders can keep one ticket's deliveries to one webhook in order.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id            bigserial PRIMARY KEY,
    delivery      uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    webhook_id    bigint NOT NULL REFERENCES webhooks ON DELETE CASCADE,
    ticket_number text NOT NULL,
    event         text NOT NULL CHECK (event IN ('ticket.created', 'message.received', 'ticket.updated')),
    payload       jsonb NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    next_attempt  timestamptz NOT NULL DEFAULT now(),
    last_error    text,
    last_status   integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_order ON webhook_deliveries (webhook_id, ticket_number, id)
    WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
-- erasure and retention delete a ticket's deliveries (their payloads name
-- its subject and customer)
CREATE INDEX IF NOT EXISTS webhook_deliveries_ticket ON webhook_deliveries (ticket_number);
