-- 029_region.sql - which region a database is (Region lines of the
-- configuration; "default" is the Database): one row, written by
-- ticketctl init/migrate through region_claim(). The slot is what keeps
-- ticket numbers apart across regions: 0 while the database is the only
-- region (numbers go up by one), else the numbers it gives end in the
-- slot (sql/functions/region.sql).
CREATE TABLE IF NOT EXISTS region_identity (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    name        text NOT NULL,
    slot        integer NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 99),
    claimed_at  timestamptz NOT NULL DEFAULT now()
);
