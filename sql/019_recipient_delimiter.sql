-- 019_recipient_delimiter.sql - the reply addresses follow RecipientDelimiter.
--
-- The SQL functions wrote and recognised reply addresses with a hard-coded
-- '+', while the daemon cut recipients at its RecipientDelimiter: with any
-- other delimiter the reply addresses the database made were not the ones
-- the daemon recognised. The functions now take the delimiter characters
-- (meta->recipient_delimiter from the daemon, an argument from the outbox
-- sender and ticketctl); the old signatures go.
DROP FUNCTION IF EXISTS is_queue_address(text);
DROP FUNCTION IF EXISTS ticket_reply_address(bigint);
DROP FUNCTION IF EXISTS outbox_mail(bigint);
