-- api.sql - what ticket-api(8) changes: one function a writing request, so
-- that each change is one transaction with its events, through the same
-- functions as an agent's command by mail and ticketctl.

-- api_ticket_update - PATCH /v1/tickets/{number}: the status (through
-- ticket_status_change(), so closing mails the customer as always) and,
-- when set_assignee, the assignee (an agent of the ticket's queue, or NULL
-- to unassign) of a ticket of the key's queues (NULL: every queue).
-- Returns false when the key has no such ticket. Refusals: TM409 for a
-- ticket merged into another or erased, TM422 for an assignee who is no
-- agent of the queue; their text is for the client.
CREATE OR REPLACE FUNCTION api_ticket_update(t_number text, key_queues text[], new_status text,
                                             set_assignee boolean, new_assignee text, actor text,
                                             limits jsonb, delims text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    t   tickets;
    q   queues;
    who text := lower(new_assignee);
BEGIN
    SELECT tk.* INTO t FROM tickets tk JOIN queues qq ON qq.id = tk.queue_id
    WHERE tk.number = t_number AND (key_queues IS NULL OR qq.address = ANY(key_queues))
    FOR UPDATE OF tk;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    SELECT * INTO q FROM queues WHERE id = t.queue_id;
    IF t.merged_into IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % was merged into ticket %: change that one', t.number,
              (SELECT m.number FROM tickets m WHERE m.id = t.merged_into) USING ERRCODE = 'TM409';
    ELSIF t.erased_at IS NOT NULL THEN
        RAISE EXCEPTION 'ticket % was erased', t.number USING ERRCODE = 'TM409';
    END IF;
    IF set_assignee AND who IS NOT NULL AND NOT EXISTS
           (SELECT 1 FROM agents a JOIN agent_queues aq ON aq.agent_id = a.id
            WHERE a.address = who AND aq.queue_id = q.id) THEN
        RAISE EXCEPTION 'assignee: % is not an agent of %', who, q.address USING ERRCODE = 'TM422';
    END IF;
    IF set_assignee AND t.assignee IS DISTINCT FROM who THEN
        UPDATE tickets SET assignee = who, updated_at = now() WHERE id = t.id;
        PERFORM ticket_event(t.id, actor, 'assign', jsonb_build_object('from', t.assignee, 'to', who));
    END IF;
    IF new_status IS NOT NULL AND new_status <> t.status THEN
        PERFORM ticket_status_change(t, new_status, actor, NULL, limits, delims);
        -- ticket-api sends no mail itself: wake the daemons' senders.
        IF EXISTS (SELECT 1 FROM outbox o WHERE o.ticket_id = t.id AND o.created_at = now()) THEN
            PERFORM pg_notify('ticket_milter_outbox', '');
        END IF;
    END IF;
    RETURN true;
END $$;
