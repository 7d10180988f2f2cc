#!/usr/bin/env bash
# t_reliability_pair_outbox - two MX hosts on one database, each daemon with
# its outbox senders: a queue that confirms new tickets and notifies its
# agent. New tickets come through both MX at once and an agent answers
# each: every confirmation, notification and relayed answer reaches its
# recipient once. Then one daemon is killed (SIGKILL) while the senders
# are busy: a mail handed to the MTA whose "sent" was not committed yet
# goes again from the other daemon, which SMTP allows no better than; each
# such copy carries the same Message-ID (the receiver can drop it), and
# the test reports how many a kill produced.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-rel-pair-out.XXXXXX)
trap 'milter_stop; rel_pair2_down; rm -rf "$work"' EXIT
run=$$
desk=desk$run@help.test
agent=agent$run@agents.test
TICKETS=${REL_PAIR_TICKETS:-20} BURST=${REL_PAIR_BURST:-60}
# Agents are proven by their host (InternalHosts): the customers by none.
settings="VerifySenders no
InternalHosts 127.0.0.1
OutboxRetryDelay 1"

milter_start "$settings" || { fail "ticket-milter starts" "see its log"; exit 1; }
rel_pair2_up "$settings" || exit 1
queue_add "$desk" --name Desk --confirm always || { fail "the queue is loaded" "see the milter log"; exit 1; }
"$TM_BUILD/ticketctl" -c "$TM_CONF" agent add "$agent" --queue "$desk" --name Agent >/dev/null \
	|| { fail "an agent for the queue" "ticketctl agent add failed"; exit 1; }
pass "two MX, two daemons with outbox senders, on one database"

# mails_to PATTERN - delivered outgoing mail to addresses matching PATTERN
mails_to() { grep -rlsiE "^X-Original-To: ($1)\$" "$PF_OUTGOING/new"; }

# ids_to PATTERN - the Message-IDs of that mail, one a line, sorted
ids_to() { mails_to "$1" | xargs -r grep -hi -m1 '^Message-ID:' | sort; }

# count_at_least N PATTERN - true once N mails to PATTERN are delivered
count_at_least() { [ "$(mails_to "$2" | wc -l)" -ge "$1" ]; }

# once LABEL PATTERN N - N mails to PATTERN, N distinct Message-IDs
once() {
	local ids
	ids=$(ids_to "$2")
	check_eq "$1: $3 delivered, each once" "$3 $3" \
		"$(printf '%s\n' "$ids" | grep -c .) $(printf '%s\n' "$ids" | sort -u | grep -c .)"
}

# --- new tickets through both MX at once; the agent answers each ---
mkdir -p "$work/new"
for i in $(seq 1 "$TICKETS"); do
	rel_msg "$work/new/$i.eml" "Customer $i <c$i-$run@customer.test>" "$desk" "Problem $i" "new-$i-$run@customer.test"
done
rel_deliver "$work/new" "$work" "$desk" >/dev/null
check "new tickets: all taken by both MX" test $? = 0
customers="c[0-9]+-$run@customer.test"
wait_for 60 count_at_least $((TICKETS * 2)) "$customers|$agent"
sleep 2
once "confirmations" "$customers" "$TICKETS"
once "notifications to the agent" "$agent" "$TICKETS"

mkdir -p "$work/answers"
for i in $(seq 1 "$TICKETS"); do
	number=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'new-$i-$run@customer.test'")
	reply=$("$TM_BUILD/ticketctl" -c "$TM_CONF" ticket show "$number" --json | jq -r .reply_address)
	rel_msg "$work/answers/$i.eml" "Agent <$agent>" "$reply" "Re: [#$number] Problem $i" "answer-$i-$run@agents.test" \
		"In-Reply-To: <new-$i-$run@customer.test>"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "$agent" --to "$reply" --data "@$work/answers/$i.eml" \
		>/dev/null 2>&1
done
wait_for 60 count_at_least $((TICKETS * 2)) "$customers"
sleep 2
once "confirmations and relayed answers to the customers" "$customers" $((TICKETS * 2))
check_eq "the relayed answers among them: one a ticket" "$TICKETS" \
	"$(mails_to "$customers" | xargs -r grep -lE '^Subject: Re: \[#' | wc -l)"

# --- a burst of new tickets through the first MX, the second daemon
# killed while both daemons' senders deliver their answers ---
burst="b[0-9]+-$run@customer.test"
mkdir -p "$work/burst"
for i in $(seq 1 "$BURST"); do
	rel_msg "$work/burst/$i.eml" "Burst $i <b$i-$run@customer.test>" "$desk" "Burst $i" "outburst-$i-$run@customer.test"
done
python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT" --conns 8 --from customer@customer.test --to "$desk" \
	--codes "$work/burst-codes" "$work"/burst/*.eml >/dev/null &
sender=$!
wait_for 60 count_at_least $((BURST / 4)) "$burst"
kill -KILL "$(cat "$SVC_REAL/ticket-milter-$MILTER2_PORT.pid")"
wait "$(cat "$SVC_REAL/ticket-milter-$MILTER2_PORT.pid")" 2>/dev/null
killed_at=$(mails_to "$burst" | wc -l)
wait "$sender"
check_eq "burst: every message answered 250" "$BURST" "$(awk '$3 == 250' "$work/burst-codes" | wc -l)"
# The first daemon's senders take over what the killed one held.
check "burst: every confirmation is delivered" wait_for 90 count_at_least "$BURST" "$burst"
sleep 3
ids=$(ids_to "$burst")
copies=$(( $(printf '%s\n' "$ids" | grep -c .) - $(printf '%s\n' "$ids" | sort -u | grep -c .) ))
echo "  killed with $killed_at of $BURST confirmations delivered: $copies second copies"
check_eq "burst: each confirmation's copies carry one Message-ID (distinct Message-IDs = confirmations)" \
	"$BURST" "$(printf '%s\n' "$ids" | sort -u | grep -c .)"
check_eq "burst: the outbox holds every one as sent, none failed" "$BURST 0" \
	"$(sql "SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status <> 'sent') FROM outbox WHERE recipient ~ '^b[0-9]+-$run@customer.test\$'" | tr '|' ' ')"
check "burst: at most one second copy per mail the killed daemon was sending" test "$copies" -le 4
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
