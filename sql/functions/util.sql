-- util.sql - small helpers of the other functions: HMAC, dates, contacts,
-- the event log, ticket numbers, and which addresses are ours or a
-- system's. Like every file of sql/functions/, it holds the current body
-- of each function it defines; ticketctl migrate (and init) applies these
-- files after the numbered migrations, which hold tables, indexes and
-- data changes only.

-- tm_hmac_sha256 - RFC 2104 HMAC with SHA-256, from core functions only
CREATE OR REPLACE FUNCTION tm_hmac_sha256(key bytea, msg bytea) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    k     bytea;
    ipad  bytea;
    opad  bytea;
BEGIN
    IF length(key) > 64 THEN
        key := sha256(key);
    END IF;
    k := key || decode(repeat('00', 64 - length(key)), 'hex');
    ipad := k;
    opad := k;
    FOR i IN 0..63 LOOP
        ipad := set_byte(ipad, i, get_byte(k, i) # 54);	-- 0x36
        opad := set_byte(opad, i, get_byte(k, i) # 92);	-- 0x5c
    END LOOP;
    RETURN sha256(opad || sha256(ipad || msg));
END $$;

-- tm_timestamptz - a timestamp from text, NULL when it is not one (a Date
-- header the parser read must never make a message unstorable)
CREATE OR REPLACE FUNCTION tm_timestamptz(value text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;

-- contact_id - the contact of an address, made on first sight; a known
-- address is only read, so that one sender's messages do not wait for
-- each other (an upsert would lock and rewrite the row every time)
CREATE OR REPLACE FUNCTION contact_id(addr text, display_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    c_id    bigint;
    c_name  text;
BEGIN
    -- KEY SHARE, as the foreign key of the row that refers to it takes
    -- anyway: a purge (purge_batch()) does not delete it meanwhile.
    SELECT id, name INTO c_id, c_name FROM contacts WHERE address = lower(addr) FOR KEY SHARE;
    IF c_id IS NOT NULL AND (c_name IS NOT NULL OR display_name IS NULL) THEN
        RETURN c_id;
    END IF;
    INSERT INTO contacts (address, name) VALUES (lower(addr), display_name)
    ON CONFLICT (address) DO UPDATE SET name = coalesce(contacts.name, EXCLUDED.name)
    RETURNING id INTO c_id;
    RETURN c_id;
END $$;

-- ticket_event - one line of a ticket's event log
CREATE OR REPLACE FUNCTION ticket_event(ticket bigint, actor text, action text, detail jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (ticket_id, actor, action, detail)
    VALUES (ticket, actor, action, coalesce(detail, '{}'));
END $$;

-- ticket_number_next - the next ticket number in a TicketNumberFormat
-- ({yyyy}, {mm}, {dd}, {seq})
CREATE OR REPLACE FUNCTION ticket_number_next(format text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN replace(replace(replace(replace(coalesce(format, '{seq}'),
           '{yyyy}', to_char(now(), 'YYYY')), '{mm}', to_char(now(), 'MM')),
           '{dd}', to_char(now(), 'DD')), '{seq}', nextval('ticket_number_seq')::text);
END $$;

-- is_system_address - an address no automatic mail should go to
CREATE OR REPLACE FUNCTION is_system_address(addr text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT lower(addr) ~ '^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|donotreply|bounces?|abuse|root|daemon|nobody)([+.-][^@]*)?@'
$$;

-- is_queue_address - a support address, or one with an extension
-- (queue+EXTENSION@domain), of this region or (tm.foreign_queues, set by
-- ingest_message() for the message) of another: delims are the daemon's RecipientDelimiter
-- characters, and the address is cut at the first of them as the MTA and
-- queue_addr_base() in C cut it (not when it is the first character)
CREATE OR REPLACE FUNCTION is_queue_address(addr text, delims text) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    a      text := lower(addr);
    local  text := regexp_replace(lower(addr), '@[^@]*$', '');
    cut    integer := 0;
    p      integer;
BEGIN
    IF addr IS NULL THEN
        RETURN false;
    END IF;
    FOR i IN 1..coalesce(length(delims), 0) LOOP
        p := strpos(local, substr(delims, i, 1));
        IF p > 0 AND (cut = 0 OR p < cut) THEN
            cut := p;
        END IF;
    END LOOP;
    IF cut > 1 THEN
        a := left(local, cut - 1) || substring(a FROM '@[^@]*$');
    END IF;
    RETURN EXISTS (SELECT 1 FROM queues q WHERE q.address IN (a, lower(addr)))
        OR coalesce(ARRAY[a, lower(addr)]
                    && string_to_array(nullif(current_setting('tm.foreign_queues', true), ''), ' '), false);
END $$;
