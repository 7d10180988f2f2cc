-- 012_upload_lz4.sql - a streamed message is compressed once, with lz4.
--
-- A message past 1 MB comes through ingest_upload (008), and a value
-- copied from one table to another keeps the compression it has: the raw
-- bytes of large mail were compressed with pglz there and stayed so in
-- messages, though 011 asks for lz4. They are now compressed with lz4 as
-- they arrive, and moved as they are. The attachments' bytes are cut out
-- of the upload's blobs and compressed where they are stored, so the
-- upload keeps them uncompressed: a cut then reads only its own chunks.
-- A server built without lz4 keeps pglz, as in 011.

ALTER TABLE ingest_upload ALTER COLUMN blobs SET STORAGE EXTERNAL;

DO $$
BEGIN
    ALTER TABLE ingest_upload ALTER COLUMN raw SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no lz4: large mail stays compressed with pglz';
END $$;
