-- 002_threading.sql - contacts, participants, threading facts on messages,
-- attachments stored once per SHA-256, an event log, reply tokens, and the
-- ingest function that threads each message into the right ticket once.

CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    address     text NOT NULL UNIQUE CHECK (address = lower(address)),
    name        text,
    language    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO contacts (address)
    SELECT DISTINCT customer FROM tickets WHERE customer IS NOT NULL;

ALTER TABLE tickets
    ADD COLUMN customer_id       bigint REFERENCES contacts,
    ADD COLUMN assignee          text,
    -- keys the MAC of the ticket's reply address; 122 random bits
    ADD COLUMN secret            bytea NOT NULL DEFAULT uuid_send(gen_random_uuid()),
    ADD COLUMN linked_ticket_id  bigint REFERENCES tickets,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN last_customer_at  timestamptz,
    ADD COLUMN closed_at         timestamptz;
UPDATE tickets t SET customer_id = c.id FROM contacts c WHERE c.address = t.customer;
ALTER TABLE tickets DROP COLUMN customer;
CREATE INDEX tickets_customer ON tickets (customer_id);

CREATE TABLE ticket_participants (
    ticket_id   bigint NOT NULL REFERENCES tickets,
    contact_id  bigint NOT NULL REFERENCES contacts,
    role        text NOT NULL CHECK (role IN ('customer', 'cc')),
    PRIMARY KEY (ticket_id, contact_id)
);
INSERT INTO ticket_participants SELECT id, customer_id, 'customer'
    FROM tickets WHERE customer_id IS NOT NULL;

ALTER TABLE messages
    ADD COLUMN kind          text NOT NULL DEFAULT 'customer'
        CHECK (kind IN ('customer', 'agent', 'note', 'auto-reply', 'bounce', 'system')),
    ADD COLUMN in_reply_to   text,
    ADD COLUMN refs          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN thread_index  text,
    ADD COLUMN thread_root   text,		-- Outlook conversation: hex of its first 22 bytes
    ADD COLUMN to_addresses  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN cc_addresses  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN sent_at       timestamptz,	-- the Date header
    ADD COLUMN body_text     text,
    ADD COLUMN reply_text    text,
    ADD COLUMN html          text,
    ADD COLUMN digest        text,		-- SHA-256 without trace headers
    ADD COLUMN thread_rule   text,		-- which rule put it in its ticket
    ADD COLUMN other_queues  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN auth          jsonb,		-- SPF, DKIM, DMARC results
    ADD COLUMN facts         jsonb NOT NULL DEFAULT '{}';	-- loop, bounce, parser bounds
UPDATE messages SET digest = encode(sha256(raw), 'hex'), thread_rule = 'new';
ALTER TABLE messages ALTER COLUMN digest SET NOT NULL;
-- Exactly once: the same Message-ID with the same content is one message.
CREATE UNIQUE INDEX messages_once ON messages ((coalesce(message_id, '')), digest);
CREATE INDEX messages_thread_root ON messages (thread_root) WHERE thread_root IS NOT NULL;

CREATE TABLE blobs (
    sha256      text PRIMARY KEY,
    size        bigint NOT NULL,
    content     bytea NOT NULL
);

CREATE TABLE attachments (
    id           bigserial PRIMARY KEY,
    msg_id       bigint NOT NULL REFERENCES messages,
    position     integer NOT NULL,
    filename     text,
    content_type text NOT NULL,
    disposition  text,
    content_id   text,
    origin       text NOT NULL,
    size         bigint NOT NULL,
    truncated    boolean NOT NULL DEFAULT false,
    sha256       text NOT NULL REFERENCES blobs
);
CREATE INDEX attachments_msg ON attachments (msg_id);

CREATE TABLE events (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ticket ON events (ticket_id);
INSERT INTO events (ticket_id, at, actor, action)
    SELECT id, created_at, 'ticket-milter', 'created' FROM tickets;

DROP FUNCTION IF EXISTS ingest_message(jsonb, bytea);
