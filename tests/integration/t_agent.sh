#!/usr/bin/env bash
# t_agent - agents answer by mail: an authenticated agent's reply to a
# ticket's reply address reaches the customer rewritten (From the queue,
# threaded, quoted notification gone); #note, #close; a command not
# understood answers the agent; a forged agent and an agent of another
# queue get nothing through. Here InternalHosts is 127.0.0.1: mail from
# there is authenticated, from 127.0.0.2 it is not.
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

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
