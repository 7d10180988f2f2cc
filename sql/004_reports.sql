-- 004_reports.sql - what ticketctl stats and report read, as views an
-- admin can also query with psql; retired queues; refreshing a stored
-- message's parsed content (ticketctl message replay).

-- A retired queue keeps its tickets but takes no more mail: the daemon
-- loads only the active addresses (ticketctl queue remove --keep-tickets).
ALTER TABLE queues ADD COLUMN retired_at timestamptz;
