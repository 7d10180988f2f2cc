#!/usr/bin/env bash
# t_agent - agents answer by mail: an authenticated agent's reply to a
# ticket's reply address reaches the customer rewritten (From the queue,
# threaded, quoted notification gone); #note, #close; a command not
# understood answers the agent; a forged agent and an agent of another
# queue get nothing through, and the agent is told; only the header fields
# we compose reach the customer; an agent's auto-reply is never relayed;
# MaximumRecipients; ticket cc; agent logins. Here InternalHosts is
# 127.0.0.1: mail from there is authenticated, from 127.0.0.2 it is not.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-agent.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl queue add agents@help.test --name "Help" --confirm never >/dev/null
ctl queue add other@help.test --name "Other" >/dev/null
ctl agent add alice@agents.test --queue agents@help.test --name "Alice Agent" >/dev/null
ctl agent add olga@agents.test --queue other@help.test --name "Olga" >/dev/null
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see its log"; exit 1; }

# agent_mail FROM TO BODY MSGID [SWAKS-ARGS] - an agent's reply, quoting the notification
agent_mail() {
	local f=$work/$4.eml
	printf 'From: %s\r\nTo: %s\r\nSubject: Re: [#%s] Printer on fire\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n\r\nOn Sat, 28 Nov 2026, Cust via Help wrote:\r\n> My printer is on fire.\r\n> Please help.\r\n' \
		"$1" "$2" "$t" "$4" "$3" >"$f"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "$1" --to "$2" --data "@$f" "${@:5}"
}

BODY="My printer is on fire." mail "Cust <cust@customer.test>" agents@help.test "Printer on fire" c-1@customer.test \
	"Cc: Colleague <colleague@customer.test>"
t=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'c-1@customer.test'")
reply=$(ctl ticket show "$t" --json | jq -r .reply_address)
check "the agent is notified" wait_for 15 bash -c "grep -rqsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new'"

# The agent answers with Reply: the customer and the colleague receive it.
agent_mail "Alice Agent <alice@agents.test>" "$reply" "Thanks, we are on it." a-1@agents.test
check "the customer receives the agent's reply" wait_for 15 bash -c "[ -n \"\$(grep -rlsi '^X-Original-To: cust@customer.test' '$PF_OUTGOING/new')\" ]"
got=$(outgoing_to cust@customer.test | tail -n1)
if [ -n "$got" ]; then
	check_eq "From: the agent via the queue, at the queue address" "Alice Agent via Help <agents@help.test>" "$(header "$got" From)"
	check_eq "Reply-To: the ticket's reply address" "$reply" "$(header "$got" Reply-To)"
	check_eq "Subject carries the ticket tag" "Re: [#$t] Printer on fire" "$(header "$got" Subject)"
	check_eq "In-Reply-To: the customer's message" "<c-1@customer.test>" "$(header "$got" In-Reply-To)"
	relay_id=$(header "$got" Message-ID | tr -d '<>')
	check "References: the customer's message and our own id" grep -qF "<c-1@customer.test> <$relay_id>" <<<"$(header "$got" References)"
	check "the reply text is there" grep -q "Thanks, we are on it." "$got"
	check "the quoted notification is gone" bash -c "! grep -q 'My printer is on fire\|wrote:' '$got'"
	check_eq "the envelope sender is the queue" "<agents@help.test>" "$(header "$got" Return-Path)"
else
	fail "the relayed reply's headers" "nothing delivered"
fi
check "the reply address itself gets no copy" bash -c "! grep -rqsi '^X-Original-To: agents+' '$PF_OUTGOING/new'"
check "the CC'd colleague receives it too" wait_for 10 bash -c "grep -rqsi '^X-Original-To: colleague@customer.test' '$PF_OUTGOING/new'"
check_eq "stored as an agent reply; first response set" "agent|true" \
	"$(sql "SELECT m.kind || '|' || (t.first_response_at IS NOT NULL) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'a-1@agents.test'")"

# The MTA brings the same reply again, as it does when the reply was stored
# but the relay failed (a tempfail): it is relayed again, stored once.
# relayed_twice - two mails to the customer carry the relayed Message-ID
relayed_twice() {
	[ "$(grep -rlsi '^X-Original-To: cust@customer.test' "$PF_OUTGOING/new" | xargs -r grep -lF "<${relay_id:-none}>" | wc -l)" -ge 2 ]
}
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from alice@agents.test --to "$reply" --data "@$work/a-1@agents.test.eml"
check "a retried agent reply is relayed again, same Message-ID" wait_for 15 relayed_twice
check_eq "... and stored once" "1|1" \
	"$(sql "SELECT count(*) FILTER (WHERE direction = 'in') || '|' || count(*) FILTER (WHERE direction = 'out') FROM messages WHERE message_id IN ('a-1@agents.test', '${relay_id:-none}')")"

# The customer answers the relayed mail: same ticket.
mail cust@customer.test agents@help.test "Re: [#$t] Printer on fire" c-2@customer.test "In-Reply-To: <$relay_id>"
check_eq "the customer's answer lands in the same ticket" "$t" \
	"$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'c-2@customer.test'")"

# #note: stored, not relayed.
before=$(outgoing_to cust@customer.test | wc -l)
agent_mail alice@agents.test "$reply" "#note
The logs show a paper jam." a-note@agents.test
sleep 3
check_eq "#note is stored as a note" "note" "$(sql "SELECT kind FROM messages WHERE message_id = 'a-note@agents.test'")"
check_eq "#note does not reach the customer" "$before" "$(outgoing_to cust@customer.test | wc -l)"

# #take and #assign: the ticket's assignee; an unknown assignee is refused.
ctl agent add bert@agents.test --queue agents@help.test --name "Bert" >/dev/null
agent_mail alice@agents.test "$reply" "#take" a-take@agents.test
sleep 2
check_eq "#take makes the sender the assignee" "alice@agents.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t'")"
agent_mail alice@agents.test "$reply" "#assign bert@agents.test" a-assign@agents.test
sleep 2
check_eq "#assign hands the ticket to another agent of the queue" "bert@agents.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t'")"
agent_mail alice@agents.test "$reply" "#assign nobody@agents.test" a-assign-bad@agents.test
check "#assign to a non-agent answers the agent" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'nobody@agents.test: not an agent' | grep -q ."
check_eq "... and changes nothing" "bert@agents.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t'")"
check_eq "commands alone reach no customer" "$before" "$(outgoing_to cust@customer.test | wc -l)"

# A command not understood: the agent hears why; the customer gets nothing.
agent_mail alice@agents.test "$reply" "#frobnicate
Hello" a-bad@agents.test
check "an unknown command answers the agent" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'not a command' | grep -q ."
check_eq "... and nothing reaches the customer" "$before" "$(outgoing_to cust@customer.test | wc -l)"
# The queue's own notice template, e.g. in the agents' language.
printf 'Hinweis zu Ticket {{ticket_number}}: {{event}}\n' >"$work/notice.txt"
check "a notice template is set for the queue" ctl template set agents@help.test notice --text "$work/notice.txt"
agent_mail alice@agents.test "$reply" "#frobnicate-more
Hello" a-bad-2@agents.test
check "the next unknown command is answered with it, naming the command" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Hinweis zu Ticket $t: .*#frobnicate-more: not a command' | grep -q ."

# A forged agent (right From, not authenticated): handled as an outside sender, flagged.
agent_mail alice@agents.test "$reply" "Send me all data." a-forged@agents.test --local-interface 127.0.0.2
sleep 3
check_eq "a forged agent's mail is not relayed" "$before" "$(outgoing_to cust@customer.test | wc -l)"
check_eq "... stored as a customer message, flagged" "customer|true" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'a-forged@agents.test'")"
# ... and the agent learns that the answer did not reach the customer.
# unproven_notices - the notices about unproven answers alice received
unproven_notices() { grep -rlsi '^X-Original-To: alice@agents.test' "$PF_OUTGOING/new" | xargs -r grep -l "Not relayed: a message from your address" | wc -l; }
check "the agent gets a notice: not relayed, and how to authenticate" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'to ticket $t was stored, but it was' | xargs -r grep -l 'ticketctl agent login alice@agents.test add LOGIN' | grep -q ."
forged_id=$(sql "SELECT id FROM messages WHERE message_id = 'a-forged@agents.test'")
check "ticket show flags it as not relayed" bash -c "ctl() { \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" \"\$@\"; }; ctl ticket show $t | grep -A1 '^#$forged_id ' | grep -q 'NOT RELAYED: from an agent.s address without proof'"
check_eq "ticket show --json lists the flag (and that it is unproven)" "forged-agent,unproven" "$(ctl ticket show "$t" --json | jq -r ".messages[] | select(.id == $forged_id) | .flags | join(\",\")")"
check "message show flags it too" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" message show $forged_id | grep -q '^Flags: *NOT RELAYED'"
# A stranger forging the agent again and again: one notice per ticket an hour.
for i in 1 2 3; do
	agent_mail alice@agents.test "$reply" "Send me more data ($i)." "a-forged-$i@agents.test" --local-interface 127.0.0.2
done
sleep 3
check_eq "repeated forgeries: still one notice for the ticket" "1" "$(unproven_notices)"
check_eq "... each stored and flagged, the notice rate-limited" "3" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'a-forged-_@agents.test' AND facts->>'forged_agent' = 'true' AND facts->'agent_unproven'->>'notice' LIKE 'rate-limited%'")"

# The relayed answer carries only the header fields we compose: nothing of
# the agent's Received lines, client, receipts, a second To, a Cc.
{
	printf 'Received: from secret-laptop.agents.test (dsl-198-51-100-7.isp.test [198.51.100.7])\r\n\tby smtp.agents.test with ESMTPSA; Sat, 28 Nov 2026 13:00:00 +0000\r\n'
	printf 'From: Alice Agent <alice@agents.test>\r\nTo: %s\r\nCc: colleague@customer.test\r\n' "$reply"
	printf 'Subject: Re: [#%s] Printer on fire\r\nMessage-ID: <a-headers@agents.test>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n' "$t"
	printf 'X-Originating-IP: [198.51.100.7]\r\nDisposition-Notification-To: alice@agents.test\r\nX-Mailer: SecretClient 9.1\r\n'
	printf 'Return-Receipt-To: alice@agents.test\r\nOrganization: Agents Internal\r\n\r\nThe new toner is on its way.\r\n'
} >"$work/headers.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --helo agent-workstation.agents.test --from alice@agents.test --to "$reply" --data "@$work/headers.eml"
check "the answer with foreign header fields is relayed" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cust@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'The new toner is on its way' | grep -q ."
got=$(grep -rlsi '^X-Original-To: cust@customer.test' "$PF_OUTGOING/new" | xargs -r grep -l 'The new toner is on its way' | head -n1)
hdr=$(sed -n '/^$/q;p' "${got:-/dev/null}")
check "no X-Originating-IP reaches the customer" bash -c "! grep -qi '^X-Originating-IP:' <<<'$hdr'"
check "no Disposition-Notification-To, no Return-Receipt-To" bash -c "! grep -qiE '^(Disposition-Notification-To|Return-Receipt-To):' <<<'$hdr'"
check "no X-Mailer, no Organization" bash -c "! grep -qiE '^(X-Mailer|Organization):' <<<'$hdr'"
check_eq "one To field, our recipients" "To: cust@customer.test, colleague@customer.test" "$(grep -i '^To:' <<<"$hdr")"
check "no Cc field" bash -c "! grep -qi '^Cc:' <<<'$hdr'"
check "none of the agent's Received lines" bash -c "! grep -qiE 'secret-laptop|198\.51\.100\.7|smtp\.agents\.test' <<<'$hdr'"
check_eq "one Received line: our own MTA's for this hop" "1" "$(grep -ci '^Received:' <<<"$hdr")"
# A second To (or From, or Cc): who is meant is unclear, and DKIM would
# cover the other instance than readers show. Such an answer proves nothing.
{
	printf 'From: Alice Agent <alice@agents.test>\r\nTo: %s\r\nTo: evil@attacker.test\r\n' "$reply"
	printf 'Subject: Re: [#%s] Printer on fire\r\nMessage-ID: <a-two-to@agents.test>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n' "$t"
	printf '\r\nTwo To fields.\r\n'
} >"$work/two-to.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from alice@agents.test --to "$reply" --data "@$work/two-to.eml"
sleep 3
check_eq "an answer with two To fields is not the agent's: stored, flagged" "customer|true" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'a-two-to@agents.test'")"
check "... and reaches neither the customer nor the second To" bash -c \
	"! grep -rlsi '^X-Original-To: \(cust@customer.test\|evil@attacker.test\)' '$PF_OUTGOING/new' | xargs -r grep -l 'Two To fields' | grep -q ."

# An agent's out-of-office answer to a notification: stored, never relayed.
before=$(outgoing_to cust@customer.test | wc -l)
BODY="I am out of the office until Monday." mail "Alice Agent <alice@agents.test>" "$reply" "Out of Office: Re: [#$t] Printer on fire" a-ooo@agents.test "X-Autoreply: yes"
BODY="Away." mail "Alice Agent <alice@agents.test>" "$reply" "Automatic reply: Printer on fire" a-ooo-2@agents.test "Auto-Submitted: auto-replied"
sleep 3
check_eq "an agent's auto-reply (X-Autoreply) is stored as an auto-reply, flagged" "auto-reply|true" \
	"$(sql "SELECT kind || '|' || (facts->>'agent_auto_reply') FROM messages WHERE message_id = 'a-ooo@agents.test'")"
check_eq "... so is one with Auto-Submitted" "auto-reply|true" \
	"$(sql "SELECT kind || '|' || (facts->>'agent_auto_reply') FROM messages WHERE message_id = 'a-ooo-2@agents.test'")"
check_eq "... and neither reaches the customer" "$before" "$(outgoing_to cust@customer.test | wc -l)"
check "... nor anyone else" bash -c "! grep -rlsi '^X-Original-To: colleague@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'out of the office' | grep -q ."

# CC participants: ticketctl ticket cc adds and removes them.
check "ticket cc add" ctl ticket cc "$t" add Extra1@Customer.test
check "ticket cc add, a second" ctl ticket cc "$t" add extra2@customer.test
check "ticket cc add of a participant again is harmless" ctl ticket cc "$t" add extra2@customer.test
check "ticket cc add of an agent is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc $t add alice@agents.test"
check "ticket cc add of a support address is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc $t add agents@help.test"
check "ticket cc remove of the customer is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc $t remove cust@customer.test"
check "ticket cc add of an address with a line break is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc $t add \$'x@customer.test\\r\\nX-Injected:1'"
check "ticket cc of an unknown ticket is refused" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc 999999999 add x@customer.test 2>&1 | grep -q 'no ticket 999999999'"
check_eq "ticket show --json lists the participants" "colleague@customer.test:cc,cust@customer.test:customer,extra1@customer.test:cc,extra2@customer.test:cc" \
	"$(ctl ticket show "$t" --json | jq -r '[.participants[] | select(.address | test("customer.test")) | .address + ":" + .role] | sort | join(",")')"
check "ticket show lists the CC participants" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket show $t | grep '^Participants: ' | grep -q 'colleague@customer.test> (cc), .*extra1@customer.test> (cc), .*extra2@customer.test> (cc)'"

# MaximumRecipients: one answer reaches at most that many addresses, the
# customer first; the agent hears who was left out.
milter_start "InternalHosts 127.0.0.1
MaximumRecipients 2" || fail "ticket-milter restarts with MaximumRecipients 2"
agent_mail alice@agents.test "$reply" "Capped answer." a-capped@agents.test
check "a capped answer reaches the customer" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cust@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Capped answer' | grep -q ."
check "... and the first CC participant" wait_for 10 bash -c \
	"grep -rlsi '^X-Original-To: colleague@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Capped answer' | grep -q ."
check "the agent is told who was left out" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'was sent to 2 recipients' | xargs -r grep -l 'extra1@customer.test, extra2@customer.test' | grep -q ."
check "the addresses past the limit get nothing" bash -c \
	"! grep -rlsi '^X-Original-To: extra[12]@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Capped answer' | grep -q ."
check_eq "the stored answer says so" "2|true" \
	"$(sql "SELECT (facts->'recipients_capped'->>'limit') || '|' || (facts->'recipients_capped'->'left_out' @> '[\"extra1@customer.test\", \"extra2@customer.test\"]') FROM messages WHERE message_id = 'a-capped@agents.test'")"
check "ticket cc remove" ctl ticket cc "$t" remove extra1@customer.test
check "ticket cc remove of a non-participant fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket cc $t remove extra1@customer.test"
milter_start "InternalHosts 127.0.0.1" || fail "ticket-milter restarts"

# An agent of another queue is refused with a clear answer.
out=$(agent_mail olga@agents.test "$reply" "Hi" a-olga@agents.test 2>&1)
check "an agent of another queue is refused with 550 5.7.1" grep -q "550 5.7.1 You are not an agent of agents@help.test" <<<"$out"

# #close: the text goes to the customer, the ticket closes.
agent_mail alice@agents.test "$reply" "#close
All fixed, closing the ticket." a-close@agents.test
check "the text after #close reaches the customer" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cust@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'All fixed, closing' | grep -q ."
check "... without the command line" bash -c "! grep -rlsi '^X-Original-To: cust@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l '^#close'"
check_eq "#close closes the ticket" "closed" "$(sql "SELECT status FROM tickets WHERE number = '$t'")"

# SASL logins bound to agents: the decision (message_kind()), as the daemon
# reports the proofs. t_sasl.sh sends real SASL logins through Postfix.
check "agent login add" ctl agent login alice@agents.test add alice.a
check "agent login add of an unknown agent fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent login nobody@agents.test add x"
check "agent login with a space is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent login alice@agents.test add 'a b'"
check_eq "agent list --json shows the logins" "alice.a" "$(ctl agent list --json | jq -r '.[] | select(.address == "alice@agents.test") | .logins | join(",")')"
check "agent list shows them" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent list | grep '^alice@agents.test' | grep -q 'logins: alice.a'"
# kind_of LOGIN [PROOF-MEMBERS] - message_kind() of alice's message with these proofs
kind_of() { sql "SELECT message_kind(jsonb_build_object('from_address', 'Alice@agents.test', 'kind', 'customer', 'agent_proof', jsonb_build_object('sasl_login', $1${2:+, $2})))"; }
check_eq "alice's own login: alice's message" "agent" "$(kind_of "'alice.a'")"
check_eq "another login: not alice's (any login counted as any agent before)" "customer" "$(kind_of "'bert'")"
check_eq "a login differing in case is another login" "customer" "$(kind_of "'Alice.a'")"
check_eq "no login, no other proof" "customer" "$(kind_of NULL)"
check_eq "an internal host" "agent" "$(kind_of NULL "'internal_host', true")"
check_eq "a DKIM signature vouching for From" "agent" "$(kind_of NULL "'dkim', true")"
check_eq "nothing counts with a duplicate header" "customer" "$(kind_of "'alice.a'" "'internal_host', true, 'duplicate_header', true")"
check "agent login remove" ctl agent login alice@agents.test remove alice.a
check_eq "a removed login no longer counts" "customer" "$(kind_of "'alice.a'")"
check "agent add --login binds one" ctl agent add alice@agents.test --queue agents@help.test --login alice2
check_eq "... alice2" "agent" "$(kind_of "'alice2'")"

# ticketctl agent add of an existing agent, or with a mistyped queue, says
# so (it printed "could not determine data type of parameter $1"), and a
# failed add changes nothing.
out=$(ctl agent add alice@agents.test --queue agents@help.test 2>&1)
check "agent add of an agent in the queue already succeeds" test $? -eq 0
check "... saying so" grep -q "agent alice@agents.test is in queue agents@help.test already" <<<"$out"
out=$(ctl agent add alice@agents.test --queue nosuch@help.test --name "Mallory" 2>&1)
check "agent add with a mistyped queue fails" test $? -eq 1
check "... naming the queue" grep -q "no queue nosuch@help.test" <<<"$out"
check_eq "... and changes no name" "Alice Agent" "$(sql "SELECT name FROM agents WHERE address = 'alice@agents.test'")"
check "agent add of a new agent with a mistyped queue adds nobody" bash -c \
	"! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent add new@agents.test --queue nosuch@help.test && [ \"\$(psql -X -At -c \"SELECT count(*) FROM agents WHERE address = 'new@agents.test'\")\" = 0 ]"
# make run, make stop, make run: the ticketctl commands scripts/run.sh runs
# at each start, run twice against databases of their own (two regions,
# as make run's: the shared test database keeps its ticket numbers).
conf=$work/run.conf
for db in agent_run agent_run_eu; do
	PGOPTIONS="-c client_min_messages=warning" sql "DROP DATABASE IF EXISTS $db" && sql "CREATE DATABASE $db" || fail "create $db"
done
milter_config "$conf" "$((MILTER_PORT + 50))" "Database host=127.0.0.1 port=$PG_PORT user=ticket dbname=agent_run
Region eu host=127.0.0.1 port=$PG_PORT user=ticket dbname=agent_run_eu"
runsh=$(grep -E '^[[:space:]]*build/ticketctl .*>/dev/null$' "$TM_ROOT/scripts/run.sh" | sed -e 's/^[[:space:]]*//' -e "s#^build/ticketctl#\"$TM_BUILD/ticketctl\"#")
check "run.sh starts ticketctl commands" test -n "$runsh"
check "run.sh's ticketctl commands, a first time" bash -c "conf='$conf'; set -e; $runsh"
check "... and a second time (make run, make stop, make run)" bash -c "conf='$conf'; set -e; $runsh"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
