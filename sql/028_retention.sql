-- 028_retention.sql - how long a queue keeps its closed tickets
-- (ticketctl queue set ADDRESS --retention-days N; NULL: for ever), and
-- the indexes that let ticketctl purge delete a ticket without reading
-- whole tables: each foreign key into what it deletes is checked by an
-- index on the referring column. The functions are in
-- sql/functions/retention.sql.
ALTER TABLE queues ADD COLUMN IF NOT EXISTS retention_days integer CHECK (retention_days > 0);

-- purge_due() walks the closed tickets in id order.
CREATE INDEX IF NOT EXISTS tickets_closed ON tickets (id) WHERE status = 'closed';
CREATE INDEX IF NOT EXISTS tickets_linked ON tickets (linked_ticket_id) WHERE linked_ticket_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX IF NOT EXISTS participants_contact ON ticket_participants (contact_id);
CREATE INDEX IF NOT EXISTS attachments_sha256 ON attachments (sha256);
CREATE INDEX IF NOT EXISTS outbox_cause ON outbox (cause_id) WHERE cause_id IS NOT NULL;
