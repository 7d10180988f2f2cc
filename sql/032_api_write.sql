-- 032_api_write.sql - what ticket-api(8) writes and searches: an agent's
-- answer posted through the API goes out through the outbox (kind
-- 'answer', rendered by the daemon's sender like every outgoing mail),
-- each message may name its language (the parser's Content-Language, the
-- queue's for the API's own), and GET /v1/search reads a GIN index of the
-- messages' subjects and texts in the text search configuration of that
-- language ('simple' when none is known).
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('confirmation', 'notification', 'notice', 'closed', 'answer'));
ALTER TABLE messages ADD COLUMN IF NOT EXISTS language text;
-- The expression is SEARCH_VECTOR's (api/api_search.c) to the letter:
-- the planner uses the index only for the same expression. It holds the
-- first 64 Ki characters: a tsvector is at most 1 MiB, and a longer text
-- would make the INSERT of its message fail.
CREATE INDEX IF NOT EXISTS messages_search ON messages USING gin (to_tsvector(
    CASE split_part(lower(language), '-', 1)
        WHEN 'en' THEN 'english'::regconfig WHEN 'de' THEN 'german'::regconfig
        WHEN 'fr' THEN 'french'::regconfig WHEN 'es' THEN 'spanish'::regconfig
        WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'it' THEN 'italian'::regconfig
        WHEN 'nl' THEN 'dutch'::regconfig ELSE 'simple'::regconfig END,
    left(coalesce(subject, '') || ' ' || coalesce(body_text, ''), 65536)));
