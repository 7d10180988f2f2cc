-- 016_trust_flags.sql - ticketctl ticket show and message show name the
-- trust flags of 013 too: a follow-up from an unproven sender, whom it
-- asks to add, and a Message-ID sent again with other content.
-- The bodies are those of 014, with three more lines.

-- message_flags - what an agent should know of a stored message, as words
-- (ticketctl ticket show, message show)
CREATE OR REPLACE FUNCTION message_flags(facts jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN coalesce((facts->>'forged_agent')::boolean, false) THEN 'forged-agent' END,
        CASE WHEN coalesce((facts->>'agent_auto_reply')::boolean, false) THEN 'agent-auto-reply' END,
        CASE WHEN facts ? 'recipients_capped' THEN 'recipients-capped' END,
        CASE WHEN coalesce((facts->>'unproven')::boolean, false) THEN 'unproven' END,
        CASE WHEN facts ? 'asks_to_add' THEN 'asks-to-add' END,
        CASE WHEN coalesce((facts->>'reused_message_id')::boolean, false) THEN 'reused-message-id' END], NULL)
$$;

-- message_flags_text - the same, explained, one line each ('' when none)
CREATE OR REPLACE FUNCTION message_flags_text(facts jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws(E'\n',
        CASE WHEN coalesce((facts->>'forged_agent')::boolean, false)
             THEN format('NOT RELAYED: from an agent''s address without proof (%s); agent notice: %s',
                         coalesce(facts->'agent_unproven'->>'why', 'not authenticated'),
                         coalesce(facts->'agent_unproven'->>'notice', '-')) END,
        CASE WHEN coalesce((facts->>'agent_auto_reply')::boolean, false)
             THEN 'NOT RELAYED: the agent''s automatic reply' END,
        CASE WHEN facts ? 'recipients_capped'
             THEN format('RELAYED TO %s ONLY (MaximumRecipients); not to: %s',
                         facts->'recipients_capped'->>'limit',
                         (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(facts->'recipients_capped'->'left_out') x)) END,
        CASE WHEN coalesce((facts->>'unproven')::boolean, false)
             THEN 'UNPROVEN SENDER: filed here, but it adds nobody to the ticket' END,
        CASE WHEN facts ? 'asks_to_add'
             THEN format('ASKS TO ADD: %s (ticketctl ticket cc NUMBER add ADDRESS)',
                         (SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(facts->'asks_to_add') x)) END,
        CASE WHEN coalesce((facts->>'reused_message_id')::boolean, false)
             THEN 'REUSED MESSAGE-ID: an earlier message has this Message-ID with other content' END)
$$;
