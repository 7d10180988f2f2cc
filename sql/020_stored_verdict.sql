-- 020_stored_verdict.sql - each message keeps the daemon's verdict on its
-- sender; the agents' change notification that nobody listened to goes.
--
-- The message_auth view re-derived "sender authenticated" from the stored
-- results with a copy of the daemon's rule (policy_sender_authenticated()),
-- which did not see a duplicated From. The daemon's verdict is now stored
-- in messages.auth as sender_authenticated at ingest. Older rows get it
-- here, once, by the rule the daemon applied when they arrived.
UPDATE messages SET auth = auth || jsonb_build_object('sender_authenticated',
           coalesce(auth #>> '{dmarc,result}' = 'pass'
                    OR (auth #>> '{dmarc,result}' = 'none'
                        AND (auth #>> '{dmarc,spf_aligned}' = 'true'
                             OR auth #>> '{dmarc,dkim_aligned}' = 'true')), false))
 WHERE jsonb_typeof(auth) = 'object' AND NOT auth ? 'sender_authenticated';

-- The daemons read the agents in each transaction: no one LISTENs for this.
DROP TRIGGER IF EXISTS agents_changed ON agents;
DROP TRIGGER IF EXISTS agent_queues_changed ON agent_queues;
DROP FUNCTION IF EXISTS agents_notify();
