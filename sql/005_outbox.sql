-- 005_outbox.sql - agents, templates, the outbox of outgoing mail, and the
-- decision whether a message may be answered automatically (RFC 3834).
--
-- Outgoing mail is written to the outbox in the transaction that stores
-- the message causing it, so it is sent if and only if that committed.
-- The daemon's outbox sender renders and submits it later.

CREATE TABLE agents (
    id          serial PRIMARY KEY,
    address     text NOT NULL UNIQUE CHECK (address = lower(address) AND address LIKE '_%@_%'),
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE agent_queues (
    agent_id    integer NOT NULL REFERENCES agents ON DELETE CASCADE,
    queue_id    integer NOT NULL REFERENCES queues ON DELETE CASCADE,
    PRIMARY KEY (agent_id, queue_id)
);

-- Who gets a confirmation: senders that prove their domain, all, or none.
ALTER TABLE queues
    ADD COLUMN confirm  text NOT NULL DEFAULT 'authenticated'
        CHECK (confirm IN ('authenticated', 'always', 'never')),
    ADD COLUMN language text NOT NULL DEFAULT 'en';

-- A permanent bounce stops automatic mail to an address for a while.
ALTER TABLE contacts ADD COLUMN bounced_at timestamptz;

-- Why no automatic answer was sent to a message ('sent' when one was).
ALTER TABLE messages ADD COLUMN autoreply text;

CREATE TABLE templates (
    id          serial PRIMARY KEY,
    queue_id    integer REFERENCES queues ON DELETE CASCADE,	-- NULL: every queue
    kind        text NOT NULL CHECK (kind IN ('confirm', 'notify', 'notice')),
    language    text NOT NULL,
    text_body   text NOT NULL,
    html_body   text,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX templates_key ON templates ((coalesce(queue_id, 0)), kind, language);

INSERT INTO templates (queue_id, kind, language, text_body) VALUES
(NULL, 'confirm', 'en',
'Dear {{customer_name}},

thank you for your message. We have opened ticket {{ticket_number}}
for it and will answer as soon as we can:

  {{ticket_subject}}

To add to this request, reply to this mail and keep {{ticket_tag}}
in the subject.

{{queue_name}}
'),
(NULL, 'confirm', 'de',
'Guten Tag {{customer_name}},

vielen Dank für Ihre Nachricht. Wir haben dafür das Ticket
{{ticket_number}} eröffnet und antworten so bald wie möglich:

  {{ticket_subject}}

Wenn Sie etwas ergänzen möchten, antworten Sie einfach auf diese
Nachricht und lassen {{ticket_tag}} im Betreff stehen.

{{queue_name}}
'),
(NULL, 'notify', 'en',
'{{event}} in {{queue_name}}: ticket {{ticket_number}}
From: {{customer_name}} <{{customer_address}}>
Subject: {{ticket_subject}}

{{customer_text}}
{{attachments}}
--
Reply to this mail to answer the customer.
'),
(NULL, 'notice', 'en',
'{{event}}

Ticket {{ticket_number}}: {{ticket_subject}}
');

CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    ticket_id       bigint NOT NULL REFERENCES tickets,
    cause_id        bigint REFERENCES messages,	-- the message it answers
    kind            text NOT NULL CHECK (kind IN ('confirmation', 'notification', 'notice')),
    notice          text,			-- what a notice or notification says first
    recipient       text NOT NULL,		-- one envelope recipient
    message_id      text NOT NULL UNIQUE,	-- chosen now, so replies can thread
    language        text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_ticket ON outbox (ticket_id, created_at);
