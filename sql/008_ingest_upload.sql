-- 008_ingest_upload.sql - where a large message waits for ingest_message().
--
-- A message past 1 MB (raw bytes and decoded attachments together) is not
-- sent as query parameters, which libpq would hold whole in the daemon's
-- memory: the daemon streams it with COPY into one row here, then calls
-- ingest_message() with that row's bytes and deletes the row, all in the
-- storing transaction (store_ingest() in milter/core/store.c). A row outlives
-- its transaction only if it was never committed, so the table is unlogged.

CREATE UNLOGGED TABLE ingest_upload (
    id      bigserial PRIMARY KEY,
    raw     bytea NOT NULL,
    blobs   bytea NOT NULL
);
