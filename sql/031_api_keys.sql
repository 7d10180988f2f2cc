-- 031_api_keys.sql - the keys of ticket-api(8) (ticketctl apikey). They
-- live in the default region's database only, whatever the regions: a
-- key names its queues by address, and ticket-api finds each queue's
-- region itself. Only the SHA-256 of a token is kept (milter/core/apikey.c).
-- And the index of the API's ticket list, in every region.
CREATE TABLE IF NOT EXISTS api_keys (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    token_sha256  text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    scope         text NOT NULL CHECK (scope IN ('read', 'write')),
    all_queues    boolean NOT NULL,
    -- lower-case queue addresses, of any region; empty with all_queues
    queues        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK (all_queues = (cardinality(queues) = 0))
);

-- GET /v1/tickets pages newest first, a ticket number breaking a tie
-- (api/api_tickets.c): a page reads this index from its cursor on.
CREATE INDEX IF NOT EXISTS tickets_created_number ON tickets (created_at DESC, number COLLATE "C" DESC);
