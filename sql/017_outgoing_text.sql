-- 017_outgoing_text.sql - the mail the help desk sent is stored with what
-- an agent reads in ticketctl ticket show: its Subject, From and text, as
-- the outbox sender rendered them (before, only the raw bytes, so ticket
-- show listed confirmations and notifications with empty bodies).
-- The old three-argument call still works: a daemon not yet restarted
-- after the upgrade records its mail without the texts.
DROP FUNCTION outbox_sent(bigint, bytea, text);

-- outbox_sent - record a sent mail, also as an outgoing message of its
-- ticket, so that a reply to it threads by its Message-ID
CREATE FUNCTION outbox_sent(o_id bigint, raw bytea, sender text, subject text DEFAULT NULL,
                            from_address text DEFAULT NULL, from_name text DEFAULT NULL,
                            body text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
    WHERE id = o_id RETURNING * INTO o;
    INSERT INTO messages (ticket_id, direction, kind, message_id, envelope_sender,
                          envelope_recipients, size, raw, digest, thread_rule, subject,
                          from_address, from_name, body_text)
    VALUES (o.ticket_id, 'out', CASE o.kind WHEN 'confirmation' THEN 'auto-reply' ELSE 'system' END,
            o.message_id, sender, ARRAY[o.recipient], length(raw), raw,
            encode(sha256(raw), 'hex'), 'outgoing', coalesce(subject, o.kind),
            lower(from_address), from_name, body);
END $$;
