-- 001_base.sql - queues, tickets, messages, and the ingest function.
--
-- One support message is stored by one call of ingest_message(), in one
-- transaction, before the milter answers the MTA.

CREATE TABLE queues (
    id          serial PRIMARY KEY,
    address     text NOT NULL CHECK (address = lower(address) AND address LIKE '_%@_%'),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX queues_address_key ON queues (address);

CREATE SEQUENCE ticket_number_seq START 100001;

CREATE TABLE tickets (
    id          bigserial PRIMARY KEY,
    number      text NOT NULL UNIQUE,
    queue_id    integer NOT NULL REFERENCES queues,
    subject     text NOT NULL,
    status      text NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'open', 'pending', 'solved', 'closed')),
    customer    text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_queue_status ON tickets (queue_id, status);

CREATE TABLE messages (
    id                  bigserial PRIMARY KEY,
    ticket_id           bigint NOT NULL REFERENCES tickets,
    direction           text NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out')),
    message_id          text,
    subject             text,
    from_address        text,
    from_name           text,
    envelope_sender     text NOT NULL,
    envelope_recipients text[] NOT NULL,
    client_ip           inet,
    client_name         text,
    helo                text,
    mta_queue_id        text,
    size                bigint NOT NULL,
    raw                 bytea NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_ticket ON messages (ticket_id);
CREATE INDEX messages_message_id ON messages (message_id);
