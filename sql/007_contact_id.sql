-- 007_contact_id.sql - contact_id() reads a known address without locking it.
--
-- The upsert of 002 took the contact's row lock and wrote a new version
-- of the row for every message, even when nothing changed: messages from
-- one sender (a monitoring system, a busy customer) waited for each
-- other's whole ingest transaction, and the table filled with dead rows.
-- Now a known address is only read; the upsert remains for an address
-- seen for the first time, or a name to fill in.

CREATE OR REPLACE FUNCTION contact_id(addr text, display_name text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    c_id    bigint;
    c_name  text;
BEGIN
    SELECT id, name INTO c_id, c_name FROM contacts WHERE address = lower(addr);
    IF c_id IS NOT NULL AND (c_name IS NOT NULL OR display_name IS NULL) THEN
        RETURN c_id;
    END IF;
    INSERT INTO contacts (address, name) VALUES (lower(addr), display_name)
    ON CONFLICT (address) DO UPDATE SET name = coalesce(contacts.name, EXCLUDED.name)
    RETURNING id INTO c_id;
    RETURN c_id;
END $$;
