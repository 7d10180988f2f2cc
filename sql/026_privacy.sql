-- 026_privacy.sql - the audit log, the erasure records and their key.
--
-- audit_log: who read or changed personal data outside the mail path
-- (ticketctl message show, ticket show, replay, privacy export and erase,
-- purge), written only by audit_record() (sql/functions/privacy.sql);
-- a trigger refuses to change or delete a record. erasures: one row per
-- privacy erase, with a keyed hash of the address, never the address.
-- privacy_key: the key of that hash, made here once per database.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    os_user     text NOT NULL,			-- who ran ticketctl (tm.os_user)
    db_user     text NOT NULL DEFAULT session_user,
    command     text NOT NULL,
    object      text,				-- ticket:N, message:ID, address-hash:HEX
    detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE privacy_key (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    key         bytea NOT NULL
);
INSERT INTO privacy_key (key) VALUES (uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()));

CREATE TABLE erasures (
    id            bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    os_user       text NOT NULL,
    address_hash  text NOT NULL,
    counts        jsonb NOT NULL
);
CREATE INDEX erasures_hash ON erasures (address_hash);

ALTER TABLE tickets ADD COLUMN erased_at timestamptz;
