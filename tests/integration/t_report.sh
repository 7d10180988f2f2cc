#!/usr/bin/env bash
# t_report - ticketctl report and stats count each thing once, from real
# mail through Postfix: customers write, agents answer by mail (one answer
# delivered twice by the MTA), an agent writes a note and reassigns by
# mail, a forged agent writes. A reply is an agent's answer that reached a
# customer, counted once, for the agent who wrote it (not the assignee);
# the first response runs from the customer's first message to the first
# such answer. InternalHosts 127.0.0.1: mail from there is the agents',
# from 127.0.0.2 it is not.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-report.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
Q=figures@help.test
ctl queue add $Q --name "Figures" --confirm never >/dev/null
ctl agent add ann.fig@agents.test --queue $Q --name "Ann" >/dev/null
ctl agent add bo.fig@agents.test --queue $Q --name "Bo" >/dev/null
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see its log"; exit 1; }
# unassigned - created and replies of the unassigned tickets (of every
# queue: other tests' tickets count too, so the check takes the change)
unassigned() { "$TM_BUILD/ticketctl" -c "$TM_CONF" report agents --json | jq -r '[.[] | select(.agent == null)][0] // {} | "\(.created // 0) \(.replies // 0)"'; }
read -r unassigned_created unassigned_replies <<<"$(unassigned)"

# answer FROM REPLY-ADDRESS TEXT MSGID [SWAKS-ARGS] - an agent's mail to a ticket
answer() {
	local f=$work/$4.eml
	printf 'From: %s\r\nTo: %s\r\nSubject: Re: figures\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n' \
		"$1" "$2" "$4" "$3" >"$f"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "$1" --to "$2" --data "@$f" "${@:5}"
}
# number MSGID - the ticket number of a stored message
number() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
# at MSGID - when a stored message was received, as epoch seconds
at() { sql "SELECT extract(epoch FROM received_at) FROM messages WHERE message_id = '$1'"; }

BODY="Where is my order?" mail "Cy <cy@customer.test>" $Q "Order missing" r-c1@customer.test
t1=$(number r-c1@customer.test)
reply1=$(ctl ticket show "$t1" --json | jq -r .reply_address)
check "the first ticket is stored" test -n "$t1"
# A note first: stored, copied to Bo, never counted as an answer.
answer ann.fig@agents.test "$reply1" "#note
Checking the warehouse." r-note@agents.test
check_eq "the note is stored as a note" "note" "$(sql "SELECT kind FROM messages WHERE message_id = 'r-note@agents.test'")"
sleep 2
answer ann.fig@agents.test "$reply1" "It left the warehouse today." r-a1@agents.test
check "Ann's answer reaches the customer" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cy@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'It left the warehouse' | grep -q ."
# The MTA delivers the same answer again (a retry): stored once, relayed again.
answer ann.fig@agents.test "$reply1" "It left the warehouse today." r-a1@agents.test
# Ann gives the ticket to Bo by mail, then answers once more herself.
answer ann.fig@agents.test "$reply1" "#assign bo.fig@agents.test" r-assign@agents.test
check_eq "the ticket is Bo's" "bo.fig@agents.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t1'")"
BODY="Thanks, and the invoice?" mail "Cy <cy@customer.test>" "$reply1" "Re: Order missing" r-c2@customer.test
answer ann.fig@agents.test "$reply1" "The invoice is attached to your account." r-a2@agents.test
check "Ann's second answer reaches the customer" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cy@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'invoice is attached' | grep -q ."

# A second ticket: no answer, but a forged one (Ann's From, no proof).
BODY="My parcel is damaged." mail "Di <di@customer.test>" $Q "Damaged parcel" r-d1@customer.test
t2=$(number r-d1@customer.test)
reply2=$(ctl ticket show "$t2" --json | jq -r .reply_address)
answer ann.fig@agents.test "$reply2" "Forged answer." r-forged@agents.test --local-interface 127.0.0.2
check_eq "the forged answer is stored, flagged" "customer|true" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'r-forged@agents.test'")"
check_eq "what was stored: four messages of agents in, two relayed copies out" "4|2" \
	"$(sql "SELECT count(*) FILTER (WHERE direction = 'in' AND from_address LIKE '%@agents.test' AND facts->>'forged_agent' IS NULL) || '|' || count(*) FILTER (WHERE direction = 'out' AND kind = 'agent') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number IN ('$t1', '$t2')")"

# The figures. The first response: from Cy's first message to Ann's first
# answer, not to the note written before it.
want_s=$(awk -v a="$(at r-a1@agents.test)" -v c="$(at r-c1@customer.test)" 'BEGIN { printf "%d", a - c + 0.5 }')
check "the answer came at least two seconds after the message" test "$want_s" -ge 2
expect_json() { out=$(ctl report "$1" --json 2>&1) || fail "report $1 --json" "$out"; }
expect_json queues
check_eq "queue: 2 created, 4 customer messages (the forged one too), 2 replies, first response" \
	"2 4 2 $want_s $want_s 2" \
	"$(jq -r ".[] | select(.queue == \"$Q\") | \"\(.created) \(.customer_messages) \(.replies) \(.first_response_median_s) \(.first_response_p90_s) \(.open)\"" <<<"$out")"
expect_json agents
check_eq "Ann: both replies and the first response, though the ticket is Bo's" "0 2 $want_s" \
	"$(jq -r '.[] | select(.agent == "ann.fig@agents.test") | "\(.created) \(.replies) \(.first_response_median_s)"' <<<"$out")"
check_eq "Bo: the ticket, its customer messages, no reply" "1 2 0 null" \
	"$(jq -r '.[] | select(.agent == "bo.fig@agents.test") | "\(.created) \(.customer_messages) \(.replies) \(.first_response_median_s)"' <<<"$out")"
read -r created replies <<<"$(unassigned)"
check_eq "unassigned: one more ticket (the second), no more replies" "1 0" \
	"$((created - unassigned_created)) $((replies - unassigned_replies))"
out=$(ctl report agents --csv 2>&1)
check "report agents --csv: Ann's row" grep -qE "^ann.fig@agents.test,[^,]+,0,0,0,2,$want_s,$want_s,0,0,0,0\$" <<<"$out"

# stats: each mail once. In: Cy's two, Di's, the note, the reassignment,
# the forged answer; Ann's answers count as out (their relayed copies).
out=$(ctl stats --json 2>&1)
check_eq "stats: messages in, each once" "6" "$(jq -r ".queues[] | select(.queue == \"$Q\") | .messages_in" <<<"$out")"
check_eq "stats: messages out, as stored (the relayed answers once each)" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id WHERE q.address = '$Q' AND m.direction = 'out'")" \
	"$(jq -r ".queues[] | select(.queue == \"$Q\") | .messages_out" <<<"$out")"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
