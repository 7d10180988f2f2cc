-- 003_auth.sql - who really sent it, queryable: the SPF, DKIM and DMARC
-- results that ticket-milter stores in messages.auth (see README.md, "Who
-- really sent it"), as columns of a view, and an index for the messages
-- that DMARC says to quarantine or reject but that were accepted and flagged
-- (DmarcRejectAction accept).

CREATE VIEW message_auth AS
SELECT m.id,
       m.ticket_id,
       m.message_id,
       m.received_at,
       m.auth #>> '{spf,result}'              AS spf,
       m.auth #>> '{spf,scope}'               AS spf_scope,
       m.auth #>> '{spf,domain}'              AS spf_domain,
       ARRAY(SELECT s->>'domain' FROM jsonb_array_elements(
                 CASE jsonb_typeof(m.auth->'dkim') WHEN 'array' THEN m.auth->'dkim' ELSE '[]' END) s
             WHERE s->>'result' = 'pass')    AS dkim_pass_domains,
       m.auth #>> '{dmarc,result}'            AS dmarc,
       m.auth #>> '{dmarc,from_domain}'       AS from_domain,
       m.auth #>> '{dmarc,policy}'            AS dmarc_policy,
       m.auth #>> '{dmarc,disposition}'       AS dmarc_disposition,
       -- as policy_sender_authenticated() in milter/core/policy.c
       coalesce(m.auth #>> '{dmarc,result}' = 'pass'
                OR (m.auth #>> '{dmarc,result}' = 'none'
                    AND (m.auth #>> '{dmarc,spf_aligned}' = 'true'
                         OR m.auth #>> '{dmarc,dkim_aligned}' = 'true')), false)
                                              AS sender_authenticated
FROM messages m;

CREATE INDEX messages_dmarc_flagged ON messages ((auth #>> '{dmarc,disposition}'))
    WHERE auth #>> '{dmarc,disposition}' IN ('quarantine', 'reject');
