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

-- Running daemons reload their list of support addresses when it changes.
CREATE FUNCTION queues_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticket_milter_queues', '');
    RETURN NULL;
END $$;
CREATE TRIGGER queues_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON queues
    FOR EACH STATEMENT EXECUTE FUNCTION queues_notify();

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

-- ingest_message - store one received support message with a new ticket.
-- meta: {"queues": [addresses, first = the ticket's queue], "envelope_sender",
-- "envelope_recipients": [...], "message_id", "subject", "from_address",
-- "from_name", "client_ip", "client_name", "helo", "mta_queue_id"}.
-- Returns {"ticket": number, "message": id}.
CREATE FUNCTION ingest_message(meta jsonb, raw bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    q       queues;
    t_id    bigint;
    t_num   text;
    m_id    bigint;
BEGIN
    SELECT * INTO q FROM queues WHERE address = lower(meta->'queues'->>0);
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no queue for %', meta->'queues'->>0 USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO tickets (number, queue_id, subject, customer)
        VALUES (nextval('ticket_number_seq')::text, q.id,
                coalesce(meta->>'subject', ''), lower(meta->>'from_address'))
        RETURNING id, number INTO t_id, t_num;
    INSERT INTO messages (ticket_id, message_id, subject, from_address, from_name,
                          envelope_sender, envelope_recipients, client_ip, client_name,
                          helo, mta_queue_id, size, raw)
        VALUES (t_id, meta->>'message_id', meta->>'subject', meta->>'from_address',
                meta->>'from_name', coalesce(meta->>'envelope_sender', ''),
                ARRAY(SELECT jsonb_array_elements_text(meta->'envelope_recipients')),
                (meta->>'client_ip')::inet, meta->>'client_name', meta->>'helo',
                meta->>'mta_queue_id', length(raw), raw)
        RETURNING id INTO m_id;
    RETURN jsonb_build_object('ticket', t_num, 'message', m_id);
END $$;
