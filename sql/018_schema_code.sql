-- 018_schema_code.sql - which SQL functions the database runs.
--
-- The numbered migrations hold tables, indexes and data changes; the
-- functions, views and triggers have their current bodies in
-- sql/functions/, applied after the migrations whenever they differ from
-- what the database runs (ticketctl migrate, and the daemon at start).
-- This row names the applied set by the SHA-256 of its text.
CREATE TABLE schema_code (
    id          text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
