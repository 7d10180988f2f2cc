-- 014_agent_identity.sql - who may answer as an agent, and what happens
-- to an answer that cannot be relayed.
--
-- Until now any SASL login counted as any agent: the daemon sent one
-- boolean, agent_authenticated. Now the daemon sends what it found
-- (meta->'agent_proof': the SASL login, whether the client is in
-- InternalHosts, whether a DKIM signature of the From domain covering
-- From without l= passed, whether a header such as From came twice) and
-- message_kind() decides here, in the transaction that stores the
-- message, with the logins bound to each agent (agent_logins). The
-- decision is made in one place because the logins live in the
-- database, like the agents, and a lookup by the daemon would be a
-- second round trip and a second copy of the rule.
--
-- An answer from an agent's address without proof is stored, flagged
-- (facts.forged_agent) and not relayed, as before; now the agent's real
-- address gets a notice saying so and how to authenticate, at most one
-- per agent and ticket an hour and five per agent an hour, so a stranger
-- forging the address cannot mail-bomb the agent. An agent's automatic
-- reply (out of office) is stored and never relayed. One answer reaches
-- at most meta->>'max_recipients' addresses (MaximumRecipients): the
-- customer first, then the CC participants; the agent hears who was
-- left out.

-- Each agent's SASL login names; a login may serve several agents (one
-- person with a personal and a team address). Compared exactly: SASL
-- databases tell "anna" from "Anna".
CREATE TABLE agent_logins (
    agent_id    integer NOT NULL REFERENCES agents ON DELETE CASCADE,
    login       text NOT NULL CHECK (login <> '' AND login !~ '[[:cntrl:][:space:]]'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, login)
);
