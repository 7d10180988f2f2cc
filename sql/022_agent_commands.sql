-- 022_agent_commands.sql - who hears of a ticket, canned answers, and
-- what the agents' commands by mail need to be kept.
--
-- Every message of a queue notified every agent of the queue, also after
-- someone took the ticket. Now each agent chooses (agents.notify, set by
-- ticketctl agent set ADDRESS --notify): 'assigned', the default, hears
-- of the queue's unassigned tickets and of those assigned to them; 'all'
-- follows the queue, every message; 'none' hears nothing.
ALTER TABLE agents
    ADD COLUMN notify text NOT NULL DEFAULT 'assigned' CHECK (notify IN ('all', 'assigned', 'none'));

-- #merge NUMBER moves a ticket's messages, participants and events into
-- another; the old ticket stays, closed, so that its number and reply
-- addresses lead to the one it was merged into.
ALTER TABLE tickets ADD COLUMN merged_into bigint REFERENCES tickets;

-- #spam: a ticket set aside, neither confirmed nor notified. The other
-- statuses are those of 001.
ALTER TABLE tickets DROP CONSTRAINT IF EXISTS tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
    CHECK (status IN ('new', 'open', 'pending', 'solved', 'closed', 'spam'));

-- #cc add by mail sends the thread to a new address: who added whom is
-- shown with the participants (NULL: the ticket's own mail added them).
ALTER TABLE ticket_participants ADD COLUMN added_by text;

-- Canned answers (#canned NAME): per queue (NULL: every queue) and
-- language, checked like templates when set.
CREATE TABLE canned (
    id          serial PRIMARY KEY,
    queue_id    integer REFERENCES queues ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    language    text NOT NULL,
    text_body   text NOT NULL,
    html_body   text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_key ON canned ((coalesce(queue_id, 0)), name, language);
