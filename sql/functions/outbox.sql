-- outbox.sql - outgoing mail: queued in the storing transaction, rendered
-- and recorded by the daemon's senders; and the notifications that tell
-- the daemons a queue, an agent or a due mail changed.

-- outbox_add - queue one outgoing mail; its Message-ID is chosen now
CREATE OR REPLACE FUNCTION outbox_add(t tickets, cause bigint, kind text, rcpt text, lang text,
                           notice text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    o_id    bigint := nextval('outbox_id_seq');
    domain  text := (SELECT split_part(q.address, '@', 2) FROM queues q WHERE q.id = t.queue_id);
BEGIN
    INSERT INTO outbox (id, ticket_id, cause_id, kind, recipient, message_id, language, notice)
    VALUES (o_id, t.id, cause, kind, rcpt,
            'tm.' || t.number || '.' || o_id || '.' || substr(md5(random()::text), 1, 10) || '@' || domain,
            lang, notice);
    RETURN o_id;
END $$;

-- event_text - the {{event}} line of a notification (what happened) in
-- language lang (en, de, fr, es, pt; English for others), args put in
-- its %s in order: new, reply, auto-reply, bounce (the message's kind),
-- unproven (KIND), unproven-asks (KIND, ADDRESSES, NUMBER), note (AGENT),
-- answer (AGENT), not-spam (WHO)
CREATE OR REPLACE FUNCTION event_text(lang text, what text, VARIADIC args text[] DEFAULT '{}')
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(coalesce(p->>lang, p->>'en', what), VARIADIC args) FROM (SELECT CASE what
        WHEN 'new' THEN '{"en": "New ticket", "de": "Neues Ticket", "fr": "Nouveau ticket",
                          "es": "Nuevo ticket", "pt": "Novo ticket"}'::jsonb
        WHEN 'reply' THEN '{"en": "Customer reply", "de": "Antwort des Kunden", "fr": "Réponse du client",
                            "es": "Respuesta del cliente", "pt": "Resposta do cliente"}'
        WHEN 'auto-reply' THEN '{"en": "Automatic reply", "de": "Automatische Antwort",
                                 "fr": "Réponse automatique", "es": "Respuesta automática",
                                 "pt": "Resposta automática"}'
        WHEN 'bounce' THEN '{"en": "Bounce", "de": "Unzustellbarkeitsmeldung", "fr": "Avis de non-remise",
                             "es": "Aviso de no entrega", "pt": "Aviso de não entrega"}'
        WHEN 'unproven' THEN '{"en": "%s from an unproven sender", "de": "%s von einem unbestätigten Absender",
                               "fr": "%s d''un expéditeur non vérifié", "es": "%s de un remitente no verificado",
                               "pt": "%s de um remetente não verificado"}'
        WHEN 'unproven-asks' THEN
            '{"en": "%s from an unproven sender, who asks to add %s (ticketctl ticket cc %s add ADDRESS)",
              "de": "%s von einem unbestätigten Absender, der %s hinzufügen möchte (ticketctl ticket cc %s add ADRESSE)",
              "fr": "%s d''un expéditeur non vérifié, qui demande d''ajouter %s (ticketctl ticket cc %s add ADRESSE)",
              "es": "%s de un remitente no verificado, que pide añadir %s (ticketctl ticket cc %s add DIRECCIÓN)",
              "pt": "%s de um remetente não verificado, que pede para adicionar %s (ticketctl ticket cc %s add ENDEREÇO)"}'
        WHEN 'note' THEN '{"en": "Internal note by %s", "de": "Interne Notiz von %s", "fr": "Note interne de %s",
                           "es": "Nota interna de %s", "pt": "Nota interna de %s"}'
        WHEN 'answer' THEN '{"en": "Answer by %s, sent to the customer", "de": "Antwort von %s, an den Kunden gesendet",
                             "fr": "Réponse de %s, envoyée au client", "es": "Respuesta de %s, enviada al cliente",
                             "pt": "Resposta de %s, enviada ao cliente"}'
        WHEN 'not-spam' THEN '{"en": "Not spam, says %s", "de": "Kein Spam, sagt %s", "fr": "Pas du spam, selon %s",
                               "es": "No es spam, dice %s", "pt": "Não é spam, diz %s"}'
    END AS p) x
$$;

-- outbox_mail - everything the sender needs to render one outgoing mail;
-- delims are the RecipientDelimiter characters. A notice of no ticket (an
-- answer to an agent's command mail, a digest: queue_mail.sql) has its
-- own subject, no ticket number, and its text as the whole body.
CREATE OR REPLACE FUNCTION outbox_mail(o_id bigint, delims text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', o.id, 'kind', o.kind, 'recipient', o.recipient,
        -- {{event}}: the notice, else what caused the mail, in its language
        'notice', coalesce(o.notice, event_text(o.language,
                      CASE WHEN m.id = (SELECT min(id) FROM messages WHERE ticket_id = t.id)
                           THEN 'new' ELSE 'reply' END)),
        'message_id', o.message_id, 'language', o.language, 'attempts', o.attempts,
        'created_at', o.created_at,
        'queue_address', q.address, 'queue_name', q.name,
        'reply_address', coalesce(ticket_reply_address(t.id, delims), q.address),
        'ticket_number', t.number, 'ticket_subject', coalesce(t.subject, o.subject),
        'customer_address', c.address, 'customer_name', coalesce(c.name, c.address),
        -- An answer (the API's: api.sql) replies to the customer's message.
        'cause_message_id', CASE WHEN o.kind = 'answer' THEN m.in_reply_to ELSE m.message_id END,
        'cause_refs', to_jsonb(m.refs),
        'cause_from_name', m.from_name, 'cause_from_address', m.from_address,
        'customer_text', coalesce(nullif(m.reply_text, ''), m.body_text, ''),
        -- The HTML as sent, sanitized; an agent's note without its quote
        -- and command lines.
        'customer_html', CASE WHEN m.kind = 'note' THEN coalesce(m.reply_html, m.html) ELSE m.html END,
        'cause_id', m.id,
        'attachments', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id, 'filename', a.filename,
                            'content_type', a.content_type, 'size', a.size, 'sha256', a.sha256,
                            'content_id', a.content_id, 'disposition', a.disposition,
                            'origin', a.origin, 'truncated', a.truncated) ORDER BY a.position), '[]')
                        FROM attachments a WHERE a.msg_id = m.id),
        'template', CASE WHEN o.kind = 'answer'
                         THEN jsonb_build_object('text', '{{customer_text}}', 'language', o.language)
                         WHEN o.ticket_id IS NULL
                         THEN jsonb_build_object('text', '{{event}}', 'language', o.language) ELSE
                    (SELECT jsonb_build_object('text', tp.text_body, 'html', tp.html_body,
                                               'language', tp.language)
                     FROM templates tp
                     WHERE tp.kind = CASE o.kind WHEN 'confirmation' THEN 'confirm'
                                                 WHEN 'notice' THEN 'notice'
                                                 WHEN 'closed' THEN 'closed' ELSE 'notify' END
                       AND (tp.queue_id = q.id OR tp.queue_id IS NULL)
                     ORDER BY (tp.language = o.language) DESC, (tp.queue_id IS NOT NULL) DESC,
                              (tp.language = q.language) DESC, (tp.language = 'en') DESC
                     LIMIT 1) END)
    FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id JOIN queues q ON q.id = coalesce(t.queue_id, o.queue_id)
    LEFT JOIN contacts c ON c.id = t.customer_id
    LEFT JOIN messages m ON m.id = o.cause_id
    WHERE o.id = o_id
$$;

-- outbox_sent - record a sent mail, also as an outgoing message of its
-- ticket, so that a reply to it threads by its Message-ID
CREATE OR REPLACE FUNCTION outbox_sent(o_id bigint, raw bytea, sender text, subject text DEFAULT NULL,
                            from_address text DEFAULT NULL, from_name text DEFAULT NULL,
                            body text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = NULL
    WHERE id = o_id RETURNING * INTO o;
    IF o.ticket_id IS NULL THEN
        RETURN;		-- no ticket to thread into (queue_mail.sql)
    END IF;
    -- An answer is stored already (api_answer()): now with what was sent.
    IF o.kind = 'answer' THEN
        UPDATE messages SET raw = outbox_sent.raw, size = length(outbox_sent.raw),
               subject = coalesce(outbox_sent.subject, messages.subject), sent_at = now()
        WHERE id = o.cause_id AND message_id = o.message_id;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    INSERT INTO messages (ticket_id, direction, kind, message_id, envelope_sender,
                          envelope_recipients, size, raw, digest, thread_rule, subject,
                          from_address, from_name, body_text)
    VALUES (o.ticket_id, 'out', CASE WHEN o.kind IN ('confirmation', 'closed') THEN 'auto-reply'
                                     WHEN o.kind = 'answer' THEN 'agent' ELSE 'system' END,
            o.message_id, sender, ARRAY[o.recipient], length(raw), raw,
            encode(sha256(raw), 'hex'), 'outgoing', coalesce(subject, o.kind),
            lower(from_address), from_name, body);
END $$;

-- outbox_failed - a failed attempt: retry later, the delay doubling up to
-- an hour, or give up
CREATE OR REPLACE FUNCTION outbox_failed(o_id bigint, error text, permanent boolean, max_attempts integer,
                              first_delay integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    o outbox;
BEGIN
    UPDATE outbox SET attempts = attempts + 1, last_error = error,
        status = CASE WHEN permanent OR attempts + 1 >= max_attempts THEN 'failed' ELSE 'pending' END,
        next_attempt_at = now() + least(interval '1 hour',
                                        make_interval(secs => first_delay * power(2, least(attempts, 20))))
    WHERE id = o_id RETURNING * INTO o;
    RETURN o.status;
END $$;

-- outbox_notify - wake the senders: a mail was made due sooner by hand
-- (ticketctl outbox retry); the daemon that stores a message wakes its own
-- senders in process, without a NOTIFY at commit
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticket_milter_outbox', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER outbox_due_sooner AFTER UPDATE OF next_attempt_at, status ON outbox
    FOR EACH ROW
    WHEN (NEW.status = 'pending'
          AND (OLD.status <> 'pending' OR NEW.next_attempt_at < OLD.next_attempt_at))
    EXECUTE FUNCTION outbox_notify();

-- queues_notify - running daemons reload their list of support addresses
CREATE OR REPLACE FUNCTION queues_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ticket_milter_queues', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER queues_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON queues
    FOR EACH STATEMENT EXECUTE FUNCTION queues_notify();
