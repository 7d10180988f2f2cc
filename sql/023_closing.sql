-- 023_closing.sql - the customer hears that a ticket was closed (the
-- template and the outgoing mail of kind "closed"), and the built-in
-- templates in English, German, French, Spanish and Portuguese.
--
-- A template an administrator set (ticketctl template set default ...)
-- is never replaced: the built-in texts only fill the gaps.

ALTER TABLE templates DROP CONSTRAINT IF EXISTS templates_kind_check;
ALTER TABLE templates ADD CONSTRAINT templates_kind_check
    CHECK (kind IN ('confirm', 'notify', 'notice', 'closed'));
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('confirmation', 'notification', 'notice', 'closed'));

-- ticketctl ticket autoclose looks for solved tickets.
CREATE INDEX IF NOT EXISTS tickets_solved ON tickets (id) WHERE status = 'solved';

INSERT INTO templates (queue_id, kind, language, text_body) VALUES
(NULL, 'confirm', 'fr',
'Bonjour {{customer_name}},

merci pour votre message. Nous avons ouvert le ticket {{ticket_number}}
à ce sujet et vous répondrons dès que possible :

  {{ticket_subject}}

Pour compléter votre demande, répondez simplement à ce message en
conservant {{ticket_tag}} dans l''objet.

{{queue_name}}
'),
(NULL, 'confirm', 'es',
'Hola, {{customer_name}}:

Gracias por su mensaje. Hemos abierto el ticket {{ticket_number}}
y le responderemos en cuanto podamos:

  {{ticket_subject}}

Si desea añadir algo a su solicitud, responda a este correo y
mantenga {{ticket_tag}} en el asunto.

{{queue_name}}
'),
(NULL, 'confirm', 'pt',
'Olá, {{customer_name}},

obrigado pela sua mensagem. Abrimos o ticket {{ticket_number}}
e responderemos o mais breve possível:

  {{ticket_subject}}

Para acrescentar algo ao seu pedido, basta responder a este e-mail
mantendo {{ticket_tag}} no assunto.

{{queue_name}}
'),
(NULL, 'closed', 'en',
'Dear {{customer_name}},

we have closed ticket {{ticket_number}}:

  {{ticket_subject}}

If there is anything more we can do for you on this, just reply to
this mail and keep {{ticket_tag}} in the subject; we will take it up
again.

{{queue_name}}
'),
(NULL, 'closed', 'de',
'Guten Tag {{customer_name}},

wir haben das Ticket {{ticket_number}} geschlossen:

  {{ticket_subject}}

Falls noch etwas offen ist, antworten Sie einfach auf diese Nachricht
und lassen {{ticket_tag}} im Betreff stehen; wir kümmern uns dann
gerne weiter darum.

{{queue_name}}
'),
(NULL, 'closed', 'fr',
'Bonjour {{customer_name}},

nous avons clôturé le ticket {{ticket_number}} :

  {{ticket_subject}}

Si quelque chose reste en suspens, répondez simplement à ce message en
conservant {{ticket_tag}} dans l''objet ; nous reprendrons alors votre
demande.

{{queue_name}}
'),
(NULL, 'closed', 'es',
'Hola, {{customer_name}}:

Hemos cerrado el ticket {{ticket_number}}:

  {{ticket_subject}}

Si todavía queda algo pendiente, responda a este correo y mantenga
{{ticket_tag}} en el asunto; retomaremos su solicitud con gusto.

{{queue_name}}
'),
(NULL, 'closed', 'pt',
'Olá, {{customer_name}},

encerramos o ticket {{ticket_number}}:

  {{ticket_subject}}

Se ainda houver algo pendente, basta responder a este e-mail mantendo
{{ticket_tag}} no assunto; retomaremos o seu pedido.

{{queue_name}}
'),
(NULL, 'notify', 'de',
'{{event}} in {{queue_name}}: Ticket {{ticket_number}}
Von: {{customer_name}} <{{customer_address}}>
Betreff: {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Ihre Antwort auf diese Nachricht geht an den Kunden.
'),
(NULL, 'notify', 'fr',
'{{event}} dans {{queue_name}} : ticket {{ticket_number}}
De : {{customer_name}} <{{customer_address}}>
Objet : {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Répondez à ce message pour répondre au client.
'),
(NULL, 'notify', 'es',
'{{event}} en {{queue_name}}: ticket {{ticket_number}}
De: {{customer_name}} <{{customer_address}}>
Asunto: {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Responda a este correo para contestar al cliente.
'),
(NULL, 'notify', 'pt',
'{{event}} em {{queue_name}}: ticket {{ticket_number}}
De: {{customer_name}} <{{customer_address}}>
Assunto: {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Responda a este e-mail para responder ao cliente.
'),
(NULL, 'notice', 'de',
'{{event}}

Ticket {{ticket_number}}: {{ticket_subject}}
'),
(NULL, 'notice', 'fr',
'{{event}}

Ticket {{ticket_number}} : {{ticket_subject}}
'),
(NULL, 'notice', 'es',
'{{event}}

Ticket {{ticket_number}}: {{ticket_subject}}
'),
(NULL, 'notice', 'pt',
'{{event}}

Ticket {{ticket_number}}: {{ticket_subject}}
')
ON CONFLICT ((coalesce(queue_id, 0)), kind, language) DO NOTHING;
