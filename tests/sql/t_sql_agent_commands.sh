#!/usr/bin/env bash
# t_sql_agent_commands - who is notified (agents.notify, the assignee) and
# the agents' commands by mail, with ingest_message() called directly as
# the daemon calls it: each command, its event, a mail with one bad command
# changing nothing, #merge and where the merged ticket's number and reply
# address lead, #canned, and commands from someone who is not the agent.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
. "$TM_ROOT/tests/lib/sqltest.sh"
env_load
work=$(mktemp -d /tmp/tm-sqlcmds.XXXXXX)
DB=tm_sql_agent_commands
trap 'dropdb --if-exists $DB 2>/dev/null; rm -rf "$work"' EXIT
createdb "$DB"
"$TM_BUILD/ticketctl" -c "$(sql_conf "$DB" "$work")" init >/dev/null
export PGDATABASE=$DB
sql "INSERT INTO queues (address, name) VALUES ('desk@help.test', 'Desk'), ('other@help.test', 'Other');
     INSERT INTO agents (address, name, notify) VALUES ('ann@agents.test', 'Ann', 'assigned'),
       ('bob@agents.test', 'Bob', 'assigned'), ('carl@agents.test', 'Carl', 'all'),
       ('dora@agents.test', 'Dora', 'none'), ('olga@agents.test', 'Olga', 'all');
     INSERT INTO agent_queues SELECT a.id, q.id FROM agents a, queues q
       WHERE (q.address = 'desk@help.test') = (a.address <> 'olga@agents.test');
     INSERT INTO canned (queue_id, name, language, text_body) VALUES
       (NULL, 'welcome', 'en', 'Dear {{customer_name}}, ticket {{ticket_number}} is with {{ agent_name }}.'),
       ((SELECT id FROM queues WHERE address = 'other@help.test'), 'olga-only', 'en', 'x')"

# customer MSGID SUBJECT FROM [JSON-MEMBERS] - a customer's message; prints the answer
customer() { sql_ingest "$DB" "$(sql_meta desk@help.test "$3" "$1" "$2" "${4:-}")"; }

# agent FROM TICKET MSGID COMMANDS-JSON [ANSWER] [PROOF] - an agent's mail to
# TICKET's reply address: the commands (as mail_commands() reads them) and
# the answer after them; PROOF the agent_proof (internal host by default)
agent() {
	local token commands proof=${6:-}
	[ -n "$proof" ] || proof='{"internal_host": true}'
	token=$(sql "SELECT ticket_token(number, secret) FROM tickets WHERE number = '$2'")
	commands=$(jq -c --argjson l "$4" '{list: [$l[] | select(has("error") | not)], errors: [$l[] | .error // empty], body_start: 0}' <<<null)
	sql_ingest "$DB" "$(sql_meta desk@help.test "$1" "$3" "Re: [#$2] x" \
		"\"tokens\": [\"$token\"], \"reply_text\": $(jq -Rs . <<<"${5:-}"), \"text\": \"x\", \"agent_proof\": $proof, \"commands\": $commands")"
}
# notified MSGID - the agents notified of a message, sorted
notified() { sql "SELECT string_agg(o.recipient, ',' ORDER BY o.recipient) FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = '$1' AND o.kind = 'notification'"; }
# notice_of MSGID - what the notice answering a message says
notice_of() { sql "SELECT o.notice FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = '$1' AND o.kind = 'notice'"; }
ticket() { sql "SELECT $2 FROM tickets WHERE number = '$1'"; }
c() { printf '{"name": "%s", "argument": "%s"}' "$1" "${2:-}"; }

# --- Routing ---
t1=$(customer c1@x.test "Printer" cust@customer.test | jq -r .ticket)
check_eq "an unassigned ticket: the queue's agents but those with notify none" \
	"ann@agents.test,bob@agents.test,carl@agents.test" "$(notified c1@x.test)"
agent ann@agents.test "$t1" a-take@x.test "[$(c take)]" >/dev/null
check_eq "#take: the sender is the assignee" "ann@agents.test" "$(ticket "$t1" assignee)"
check_eq "... with an event" "1" "$(sql "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$t1' AND e.action = 'assign' AND e.detail->>'to' = 'ann@agents.test'")"
customer c2@x.test "Re: Printer" cust@customer.test "\"in_reply_to\": \"c1@x.test\", \"thread_ids\": [\"c1@x.test\"]" >/dev/null
check_eq "an assigned ticket: the assignee and who follows the queue (notify all)" \
	"ann@agents.test,carl@agents.test" "$(notified c2@x.test)"
out=$(agent ann@agents.test "$t1" a-answer@x.test "[]" "We are on it.")
check "an answer is relayed" jq -e '.relay.recipients == ["cust@customer.test"]' <<<"$out"
check_eq "... the agents who follow hear of it, never its author" "carl@agents.test" "$(notified a-answer@x.test)"
agent ann@agents.test "$t1" a-note@x.test "[$(c note)]" "Paper jam." >/dev/null
check_eq "a note goes to who follows, not to its author" "carl@agents.test" "$(notified a-note@x.test)"
agent ann@agents.test "$t1" a-assign@x.test "[$(c assign Bob@agents.test)]" >/dev/null
check_eq "#assign ADDRESS: another agent of the queue" "bob@agents.test" "$(ticket "$t1" assignee)"
customer c3@x.test "Re: Printer" cust@customer.test "\"in_reply_to\": \"c1@x.test\", \"thread_ids\": [\"c1@x.test\"]" >/dev/null
check_eq "... who is notified now instead" "bob@agents.test,carl@agents.test" "$(notified c3@x.test)"
sql "UPDATE agents SET notify = 'none' WHERE address = 'carl@agents.test'"
sql "DELETE FROM agent_queues WHERE agent_id = (SELECT id FROM agents WHERE address = 'bob@agents.test')"
customer c4@x.test "Re: Printer" cust@customer.test "\"in_reply_to\": \"c1@x.test\", \"thread_ids\": [\"c1@x.test\"]" >/dev/null
check_eq "an assignee who left the queue: the ticket is unassigned again for routing" \
	"ann@agents.test" "$(notified c4@x.test)"
sql "UPDATE agents SET notify = 'all' WHERE address = 'carl@agents.test'; INSERT INTO agent_queues SELECT a.id, q.id FROM agents a, queues q WHERE a.address = 'bob@agents.test' AND q.address = 'desk@help.test'"

# --- One bad command: nothing is done ---
out=$(agent ann@agents.test "$t1" a-bad@x.test "[$(c close), $(c assign nobody@agents.test), $(c cc 'add z@customer.test')]" "Closing.")
check "a bad #assign: the mail is discarded" jq -e '.discard == "command not understood"' <<<"$out"
check_eq "... nothing half-done: status, assignee, participants unchanged" "open|bob@agents.test|0" \
	"$(sql "SELECT t.status || '|' || t.assignee || '|' || (SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE p.ticket_id = t.id AND c.address = 'z@customer.test') FROM tickets t WHERE t.number = '$t1'")"
check "... the agent is told what was wrong" grep -q "#assign nobody@agents.test: not an agent of desk@help.test" <<<"$(notice_of a-bad@x.test)"
check_eq "... and the refusal is an event" "1" "$(sql "SELECT count(*) FROM events WHERE action = 'commands refused' AND detail->>'message' = (SELECT id::text FROM messages WHERE message_id = 'a-bad@x.test')")"
agent ann@agents.test "$t1" a-unknown@x.test "[{\"error\": \"#frobnicate: not a command\"}, $(c close)]" >/dev/null
check_eq "a command not understood (the parser's error): the others are not done" "open" "$(ticket "$t1" status)"

# --- Status commands ---
for s in pending solved; do
	agent ann@agents.test "$t1" "a-$s@x.test" "[$(c $s)]" >/dev/null
	check_eq "#$s" "$s" "$(ticket "$t1" status)"
done
check_eq "each status command leaves an event" "2" \
	"$(sql "SELECT count(*) FROM events WHERE action = 'status' AND detail->>'why' IN ('#pending', '#solved')")"

# --- #cc ---
agent ann@agents.test "$t1" a-cc@x.test "[$(c cc 'add Zed@Customer.test')]" >/dev/null
check_eq "#cc add: a CC participant, who added them recorded" "cc|ann@agents.test" \
	"$(sql "SELECT p.role || '|' || p.added_by FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id JOIN tickets t ON t.id = p.ticket_id WHERE t.number = '$t1' AND c.address = 'zed@customer.test'")"
check_eq "... an event" "1" "$(sql "SELECT count(*) FROM events WHERE action = 'participant' AND detail->>'add' = 'zed@customer.test' AND actor = 'ann@agents.test'")"
out=$(agent ann@agents.test "$t1" a-cc-answer@x.test "[]" "For both of you.")
check "... and the next answer goes to them too" jq -e '.relay.recipients == ["cust@customer.test", "zed@customer.test"]' <<<"$out"
for bad in "add x@@customer.test|is not a mail address" "add x@customer.test,evil@attacker.test|is not a mail address" \
	"add carl@agents.test|is an agent" "add desk+1@help.test|is a support address" \
	"remove cust@customer.test|is the customer" "remove nobody@customer.test|is not a CC participant" \
	"zed@customer.test|write #cc add ADDRESS"; do
	agent ann@agents.test "$t1" "a-cc-bad-$((++n))@x.test" "[$(c cc "${bad%|*}")]" >/dev/null
	check "#cc ${bad%|*}: refused, ${bad#*|}" grep -qF "${bad#*|}" <<<"$(notice_of "a-cc-bad-$n@x.test")"
done
agent ann@agents.test "$t1" a-cc-rm@x.test "[$(c cc 'remove zed@customer.test')]" >/dev/null
check_eq "#cc remove" "0" "$(sql "SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE c.address = 'zed@customer.test'")"

# --- #canned ---
out=$(agent ann@agents.test "$t1" a-canned@x.test "[$(c canned Welcome)]" "More below.")
check_eq "#canned NAME: the line replaced by the answer, its fields filled" \
	"Dear cust@customer.test, ticket $t1 is with Ann.

More below." "$(jq -r .relay.text <<<"$out")"
check_eq "... an event" "welcome" "$(sql "SELECT detail->>'name' FROM events WHERE action = 'canned'")"
agent ann@agents.test "$t1" a-canned-bad@x.test "[$(c canned olga-only)]" >/dev/null
check "#canned of another queue's answer: refused" grep -q "there is no canned answer olga-only for desk@help.test" <<<"$(notice_of a-canned-bad@x.test)"

# --- #spam, #notspam ---
t3=$(customer s1@x.test "Cheap pills" spammer@spam.test | jq -r .ticket)
agent ann@agents.test "$t3" a-spam-text@x.test "[$(c spam)]" "Go away." >/dev/null
check "#spam with an answer: refused" grep -q "#spam: nothing is sent" <<<"$(notice_of a-spam-text@x.test)"
agent ann@agents.test "$t3" a-spam@x.test "[$(c spam)]" >/dev/null
check_eq "#spam" "spam" "$(ticket "$t3" status)"
agent ann@agents.test "$t3" a-notspam@x.test "[$(c notspam)]" >/dev/null
check_eq "#notspam: a normal ticket again" "open" "$(ticket "$t3" status)"
check_eq "... and the agents hear of it now" "bob@agents.test,carl@agents.test" "$(sql "SELECT string_agg(o.recipient, ',' ORDER BY o.recipient) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$t3' AND o.notice = 'Not spam, says Ann'")"
agent ann@agents.test "$t3" a-notspam-2@x.test "[$(c notspam)]" >/dev/null
check "#notspam of a ticket that is not spam: refused" grep -q "is not marked as spam" <<<"$(notice_of a-notspam-2@x.test)"

# --- #merge ---
t2=$(customer m1@x.test "Printer again" cust2@customer.test "\"cc\": [{\"name\": null, \"address\": \"boss@customer.test\"}]" | jq -r .ticket)
token2=$(sql "SELECT ticket_token(number, secret) FROM tickets WHERE number = '$t2'")
t_other=$(sql_ingest "$DB" "$(sql_meta other@help.test cust@customer.test o1@x.test "Elsewhere")" | jq -r .ticket)
for bad in "$t_other|there is no ticket $t_other in desk@help.test" "999999|there is no ticket 999999" "$t2|that is this ticket"; do
	agent ann@agents.test "$t2" "a-merge-bad-$((++n))@x.test" "[$(c merge "${bad%%|*}")]" >/dev/null
	check "#merge ${bad%%|*}: refused, ${bad#*|}" grep -qF "${bad#*|}" <<<"$(notice_of "a-merge-bad-$n@x.test")"
done
check_eq "... and nothing moved" "1" "$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$t2' AND m.direction = 'in' AND m.kind = 'customer'")"
out=$(agent ann@agents.test "$t2" a-merge@x.test "[$(c merge "#$t1")]" "Both in one place now.")
check_eq "#merge NUMBER: the answer after it goes out as the ticket merged into" "$t1" "$(jq -r .relay.ticket_number <<<"$out")"
check "... to both customers" jq -e '.relay.recipients | index("cust@customer.test") and index("cust2@customer.test") and index("boss@customer.test")' <<<"$out"
check_eq "the merged ticket: closed, pointing at the other, nothing left in it" "closed|$t1|0|0" \
	"$(sql "SELECT t.status || '|' || mi.number || '|' || (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id) || '|' || (SELECT count(*) FROM ticket_participants p WHERE p.ticket_id = t.id) FROM tickets t JOIN tickets mi ON mi.id = t.merged_into WHERE t.number = '$t2'")"
check_eq "its messages, participants and events moved" "1|1|3" \
	"$(sql "SELECT (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.message_id = 'm1@x.test') || '|' || (SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE p.ticket_id = t.id AND c.address = 'cust2@customer.test' AND p.role = 'cc') || '|' || (SELECT count(*) FROM events e WHERE e.ticket_id = t.id AND e.action IN ('created', 'merge')) FROM tickets t WHERE t.number = '$t1'")"
check_eq "the old reply address leads to the new ticket" "$t1 reply-token" \
	"$(sql_ingest "$DB" "$(sql_meta desk@help.test cust2@customer.test m2@x.test "Re: x" "\"tokens\": [\"$token2\"]")" | jq -r '.ticket + " " + .rule')"
check_eq "... so does the old number in the subject" "$t1 subject-tag" \
	"$(sql_ingest "$DB" "$(sql_meta desk@help.test cust2@customer.test m3@x.test "Re: [#$t2] x" "\"ticket_tag\": \"$t2\"")" | jq -r '.ticket + " " + .rule')"

# --- Commands from someone who is not the agent ---
before=$(sql "SELECT count(*) FROM events")
out=$(agent ann@agents.test "$t1" f-forged@x.test "[$(c assign carl@agents.test), $(c merge "$t3"), $(c cc 'add evil@attacker.test')]" "" '{}')
check "a forged agent's commands: flagged" jq -e '.forged_agent == true' <<<"$out"
out=$(agent eve@attacker.test "$t1" f-stranger@x.test "[$(c assign carl@agents.test), $(c merge "$t3"), $(c cc 'add evil@attacker.test')]" "" '{}')
check "a stranger's: neither relayed nor discarded, a customer's message" jq -e '(has("relay") or has("discard")) | not' <<<"$out"
check_eq "... neither obeyed: assignee, merges, participants unchanged" "bob@agents.test|0|0" \
	"$(sql "SELECT (SELECT assignee FROM tickets WHERE number = '$t1') || '|' || (SELECT count(*) FROM tickets WHERE number = '$t3' AND merged_into IS NOT NULL) || '|' || (SELECT count(*) FROM contacts c JOIN ticket_participants p ON p.contact_id = c.id WHERE c.address = 'evil@attacker.test')")"
check_eq "... and no command event" "0" "$(sql "SELECT count(*) FROM (SELECT * FROM events ORDER BY id OFFSET $before) e WHERE e.action NOT IN ('message')")"
