-- retention.sql - deleting closed tickets past their queue's retention
-- (queues.retention_days; ticketctl purge): purge_due() finds them,
-- purge_batch() deletes some in one short transaction, purge_preview()
-- counts what a purge would delete now (--dry-run).
--
-- A purge shares the tables with the daemon's ingest_message(). It never
-- waits for a ticket, contact or attachment the daemon holds (SKIP
-- LOCKED: the next run takes it), and what it holds the daemon waits for
-- only until the batch commits. A ticket it locked is checked again under
-- the lock, so a ticket reopened by a reply meanwhile stays. The daemon
-- holds a contact (contact_id()) and an attachment's content
-- (blob_keep()) from reading it until it commits, so what a purge finds
-- unreferenced is not about to be referenced.

-- purge_due - the closed tickets past their queue's retention, id above
-- after, the first size (NULL: all) in id order; a ticket merged into
-- another goes with that one, and one with mail waiting in the outbox
-- waits too
CREATE OR REPLACE FUNCTION purge_due(after bigint, size integer)
RETURNS TABLE (ticket bigint, queue integer) LANGUAGE sql STABLE AS $$
    SELECT t.id, t.queue_id FROM tickets t JOIN queues q ON q.id = t.queue_id
    WHERE t.status = 'closed' AND t.id > after AND t.merged_into IS NULL
      AND q.retention_days IS NOT NULL
      AND t.closed_at < now() - make_interval(days => q.retention_days)
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.status = 'pending')
      AND NOT EXISTS (SELECT 1 FROM tickets s WHERE s.merged_into = t.id AND s.status <> 'closed')
    ORDER BY t.id LIMIT size
$$;

-- purge_preview - per queue with a retention: what a purge would delete now
CREATE OR REPLACE FUNCTION purge_preview()
RETURNS TABLE (queue text, retention_days integer, tickets bigint, messages bigint, attachments bigint)
LANGUAGE sql STABLE AS $$
    WITH d AS (SELECT * FROM purge_due(0, NULL)),
    due AS (SELECT d.ticket, d.queue FROM d
            UNION ALL SELECT s.id, d.queue FROM tickets s JOIN d ON s.merged_into = d.ticket)
    SELECT q.address, q.retention_days,
           (SELECT count(*) FROM due WHERE due.queue = q.id),
           (SELECT count(*) FROM due JOIN messages m ON m.ticket_id = due.ticket WHERE due.queue = q.id),
           (SELECT count(*) FROM due JOIN messages m ON m.ticket_id = due.ticket
                                     JOIN attachments a ON a.msg_id = m.id WHERE due.queue = q.id)
    FROM queues q WHERE q.retention_days IS NOT NULL ORDER BY q.address
$$;

-- purge_batch - delete up to size due tickets with id above after, with
-- their messages, attachments, events, participants and outgoing mail,
-- and the attachment contents and contacts nothing refers to any more;
-- returns what it deleted per queue and the id to go on after (null: done)
CREATE OR REPLACE FUNCTION purge_batch(after bigint, size integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    seen     bigint[];
    picked   bigint[];
    merged   bigint[];
    doomed   bigint[];
    msgs     bigint[];
    shas     text[];
    people   bigint[];
    held     bigint[];
    held_sha text[];
    result   jsonb;
    n        integer;
BEGIN
    seen := ARRAY(SELECT d.ticket FROM purge_due(after, size) d);
    IF cardinality(seen) = 0 THEN
        RETURN jsonb_build_object('after', NULL, 'queues', '{}'::jsonb);
    END IF;
    -- Lock what nobody holds, then ask again under the lock: a reply may
    -- have reopened one since.
    picked := ARRAY(SELECT t.id FROM tickets t WHERE t.id = ANY(seen) ORDER BY t.id FOR UPDATE SKIP LOCKED);
    picked := ARRAY(SELECT d.ticket FROM purge_due(after, size) d WHERE d.ticket = ANY(picked));
    -- The tickets merged into one go with it; if someone holds one of
    -- them, the ticket waits for the next run.
    merged := ARRAY(SELECT s.id FROM tickets s WHERE s.merged_into = ANY(picked)
                    ORDER BY s.id FOR UPDATE SKIP LOCKED);
    picked := ARRAY(SELECT p FROM unnest(picked) p
                    WHERE NOT EXISTS (SELECT 1 FROM tickets s WHERE s.merged_into = p AND s.id <> ALL(merged)));
    merged := ARRAY(SELECT s.id FROM tickets s WHERE s.id = ANY(merged) AND s.merged_into = ANY(picked));
    doomed := picked || merged;

    msgs := ARRAY(SELECT m.id FROM messages m WHERE m.ticket_id = ANY(doomed) ORDER BY m.id FOR UPDATE);
    shas := ARRAY(SELECT DISTINCT a.sha256 FROM attachments a WHERE a.msg_id = ANY(msgs));
    people := ARRAY(SELECT t.customer_id FROM tickets t WHERE t.id = ANY(doomed) AND t.customer_id IS NOT NULL
                    UNION SELECT p.contact_id FROM ticket_participants p WHERE p.ticket_id = ANY(doomed));
    SELECT coalesce(jsonb_object_agg(s.address, jsonb_build_object('tickets', s.nt, 'messages', s.nm,
                                                                   'attachments', s.na)), '{}')
    INTO result
    FROM (SELECT q.address, count(DISTINCT t.id) AS nt, count(DISTINCT m.id) AS nm, count(a.id) AS na
          FROM tickets t JOIN queues q ON q.id = t.queue_id
          LEFT JOIN messages m ON m.ticket_id = t.id LEFT JOIN attachments a ON a.msg_id = m.id
          WHERE t.id = ANY(doomed) GROUP BY q.address) s;

    -- What stays must not point at what goes.
    UPDATE tickets SET linked_ticket_id = NULL
    WHERE linked_ticket_id = ANY(doomed) AND NOT (id = ANY(doomed));
    UPDATE outbox SET cause_id = NULL
    WHERE cause_id = ANY(msgs) AND (ticket_id IS NULL OR NOT (ticket_id = ANY(doomed)));
    DELETE FROM outbox WHERE ticket_id = ANY(doomed);
    DELETE FROM webhook_deliveries WHERE ticket_number IN (SELECT number FROM tickets WHERE id = ANY(doomed));
    DELETE FROM attachments WHERE msg_id = ANY(msgs);
    DELETE FROM messages WHERE id = ANY(msgs);
    DELETE FROM events WHERE ticket_id = ANY(doomed);
    DELETE FROM ticket_participants WHERE ticket_id = ANY(doomed);
    DELETE FROM tickets WHERE id = ANY(doomed);

    -- Contents and contacts nothing refers to any more, unless the daemon
    -- holds them (it is storing a message that refers to them).
    held_sha := ARRAY(SELECT b.sha256 FROM blobs b WHERE b.sha256 = ANY(shas)
                        AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256)
                      ORDER BY b.sha256 FOR UPDATE SKIP LOCKED);
    DELETE FROM blobs b WHERE b.sha256 = ANY(held_sha)
        AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = b.sha256);
    GET DIAGNOSTICS n = ROW_COUNT;
    result := jsonb_build_object('queues', result, 'blobs', n);
    held := ARRAY(SELECT c.id FROM contacts c WHERE c.id = ANY(people)
                    AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)
                    AND NOT EXISTS (SELECT 1 FROM ticket_participants p WHERE p.contact_id = c.id)
                  ORDER BY c.id FOR UPDATE SKIP LOCKED);
    DELETE FROM contacts c WHERE c.id = ANY(held)
        AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)
        AND NOT EXISTS (SELECT 1 FROM ticket_participants p WHERE p.contact_id = c.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    result := result || jsonb_build_object('contacts', n, 'after', seen[cardinality(seen)],
                                           'skipped', cardinality(seen) - cardinality(picked));

    -- The audit log: what this batch deleted (counts, no addresses).
    IF result->'queues' <> '{}' THEN
        PERFORM audit_record('purge', 'batch', result);
    END IF;
    RETURN result;
END $$;
