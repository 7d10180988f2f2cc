-- region.sql - a database's region: its name, checked against the
-- configuration's, and its ticket numbers, kept apart from every other
-- region's. With several regions, the sequence of region slot S gives
-- only numbers that end in S (step 100, as MySQL's
-- auto_increment_increment and _offset keep servers apart), all above
-- every number any region had given when it was claimed: so the numbers
-- of two regions never meet, and one number names one ticket anywhere.
-- TicketNumberFormat's other parts are of fixed width, so distinct
-- {seq} values give distinct numbers.

-- region_number_step - how far apart one region's ticket numbers are
CREATE OR REPLACE FUNCTION region_number_step() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 100 $$;

-- region_state - this database's region name and slot (NULL, 0 when not
-- yet claimed) and the last ticket number sequence value it gave
CREATE OR REPLACE FUNCTION region_state(OUT name text, OUT slot integer, OUT last_number bigint)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT r.name FROM region_identity r),
           coalesce((SELECT r.slot FROM region_identity r), 0),
           (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
              FROM ticket_number_seq)
$$;

-- region_claim - name this database region NAME; with a slot above 0,
-- its ticket numbers from now on end in the slot, from above floor and
-- above its own last. A database claimed under another name stays that
-- region, and a slot once given stays (a second, concurrent migrate
-- changes nothing).
CREATE OR REPLACE FUNCTION region_claim(region text, new_slot integer, floor bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    step  integer := region_number_step();
    known region_identity;
    start bigint;
BEGIN
    LOCK TABLE region_identity IN EXCLUSIVE MODE;
    SELECT * INTO known FROM region_identity;
    IF known.name IS NOT NULL AND known.name <> region THEN
        RAISE EXCEPTION 'this database is region "%", not "%"', known.name, region
            USING HINT = 'each Region line (and Database) must name its own database';
    END IF;
    IF known.slot > 0 THEN
        RETURN;
    END IF;
    INSERT INTO region_identity (name, slot) VALUES (region, new_slot)
        ON CONFLICT (only_row) DO UPDATE SET slot = EXCLUDED.slot, claimed_at = now();
    IF new_slot > 0 THEN
        start := greatest(floor, (SELECT last_number + 1 FROM region_state()));
        start := start + ((new_slot - start) % step + step) % step;
        EXECUTE format('ALTER SEQUENCE ticket_number_seq INCREMENT BY %s RESTART WITH %s',
                       step, start);
    END IF;
END $$;

-- region_verify - why this database cannot serve as region NAME (of
-- several, or the only one), or NULL when it can
CREATE OR REPLACE FUNCTION region_verify(region text, several boolean) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN s.name IS NULL AND NOT several THEN NULL
        WHEN s.name IS NULL THEN
            format('the database of region "%s" is not yet named as a region: run ticketctl migrate', region)
        WHEN s.name <> region THEN
            format('the database of region "%s" is region "%s": each Region line (and Database) must name its own database',
                   region, s.name)
        WHEN several AND s.slot = 0 THEN
            format('the ticket numbers of region "%s" are not yet apart from the other regions'': run ticketctl migrate', region)
    END
    FROM region_state() s
$$;
