-- 024_queue_mail.sql - mail to the queue address from an agent is a
-- command mail (#list, #new) and an agent may get the same list every
-- morning (ticketctl agent set ADDRESS --digest daily).
--
-- The answer to a command mail and the digest belong to no ticket: such
-- an outbox notice names the queue it comes from instead, with its own
-- subject. The functions are in sql/functions/queue_mail.sql.
ALTER TABLE outbox ALTER COLUMN ticket_id DROP NOT NULL,
    ADD COLUMN queue_id integer REFERENCES queues ON DELETE CASCADE,
    ADD COLUMN subject text,
    ADD CONSTRAINT outbox_ticket_or_queue
        CHECK (ticket_id IS NOT NULL OR (queue_id IS NOT NULL AND kind = 'notice'));

ALTER TABLE agents
    ADD COLUMN digest text NOT NULL DEFAULT 'none' CHECK (digest IN ('daily', 'none')),
    ADD COLUMN digest_sent_at timestamptz;
