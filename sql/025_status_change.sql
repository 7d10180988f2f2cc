-- 025_status_change.sql - every change of a ticket's status goes through
-- ticket_status_change() (sql/functions/status.sql): agent_command_do()
-- takes the mail's meta for it, so its old form goes.
DROP FUNCTION IF EXISTS agent_command_do(tickets, bigint, agents, text, text, text);
