-- 003_auth.sql - who really sent it, queryable: the SPF, DKIM and DMARC
-- results that ticket-milter stores in messages.auth (see README.md, "Who
-- really sent it"), as columns of a view, and an index for the messages
-- that DMARC says to quarantine or reject but that were accepted and flagged
-- (DmarcRejectAction accept).

CREATE INDEX messages_dmarc_flagged ON messages ((auth #>> '{dmarc,disposition}'))
    WHERE auth #>> '{dmarc,disposition}' IN ('quarantine', 'reject');
