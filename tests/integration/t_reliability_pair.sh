#!/usr/bin/env bash
# t_reliability_pair - two MX hosts on one database: a second Postfix with
# its own ticket-milter beside the first, both writing to the same
# PostgreSQL. Every message is delivered through both at the same moment
# (as a sender retrying on the second MX does), replies to the same
# tickets arrive concurrently: no duplicate tickets, no split threads,
# nothing stored twice.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-rel-pair.XXXXXX)
trap 'milter_stop; rel_pair2_down; rm -rf "$work"' EXIT

milter_start "VerifySenders no" || { fail "ticket-milter starts" "see its log"; exit 1; }
rel_pair2_up "VerifySenders no" || exit 1
pass "two Postfix + ticket-milter pairs on one database"

run=$$
TICKETS=10 REPLIES=20 NEW=20

# msg FILE FROM SUBJECT MSGID [HEADER...] - a message to the support address
msg() { local f=$1 from=$2; shift 2; rel_msg "$f" "$from" support@help.test "$@"; }

# deliver DIR - every file in DIR through both MX at once
deliver() { rel_deliver "$1" "$work"; }

# The tickets: one first message each, through both MX at once.
mkdir -p "$work/first" "$work/replies"
for i in $(seq 1 $TICKETS); do
	msg "$work/first/$i.eml" "Customer $i <cust$i-$run@customer.test>" "Problem $i" "first-$i-$run@customer.test" \
		"Cc: colleague$i-$run@customer.test"
done
tickets_before=$(sql "SELECT count(*) FROM tickets")
deliver "$work/first"
check "first messages: all taken by both MX" test $? = 0
check_eq "first messages: one ticket each, though each came through both MX" \
	"$((tickets_before + TICKETS))" "$(sql "SELECT count(*) FROM tickets")"

# A known sender's contact is read, not locked and rewritten, so that
# concurrent messages of one sender do not wait for each other.
contact_version() { sql "SELECT xmin FROM contacts WHERE address = 'cust1-$run@customer.test'"; }
version_before=$(contact_version)

# Replies to the same tickets from customer and colleague, by In-Reply-To,
# References or the subject tag alone, and new messages, all mixed.
for i in $(seq 1 $TICKETS); do
	number=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'first-$i-$run@customer.test'")
	echo "$number" >"$work/ticket-$i"
	for k in $(seq 1 $REPLIES); do
		who="cust$i-$run@customer.test"; [ $((k % 2)) = 0 ] && who="colleague$i-$run@customer.test"
		case $((k % 3)) in
		0) msg "$work/replies/r$i-$k.eml" "$who" "Re: Problem $i" "reply-$i-$k-$run@customer.test" \
			"In-Reply-To: <first-$i-$run@customer.test>" "References: <first-$i-$run@customer.test>" ;;
		1) msg "$work/replies/r$i-$k.eml" "$who" "Re: Problem $i" "reply-$i-$k-$run@customer.test" \
			"References: <unknown-$k@elsewhere.test> <first-$i-$run@customer.test>" ;;
		2) msg "$work/replies/r$i-$k.eml" "$who" "Re: [#$number] Problem $i" "reply-$i-$k-$run@customer.test" ;;
		esac
	done
done
for j in $(seq 1 $NEW); do
	msg "$work/replies/n$j.eml" "newcomer$j-$run@customer.test" "New question $j" "new-$j-$run@customer.test"
done
deliver "$work/replies"
check "replies and new messages: all taken by both MX" test $? = 0

check_eq "a known sender's contact row is not rewritten by its messages" "$version_before" "$(contact_version)"
check_eq "no duplicate tickets: $TICKETS + $NEW new ones in all" \
	"$((tickets_before + TICKETS + NEW))" "$(sql "SELECT count(*) FROM tickets")"
split=0
for i in $(seq 1 $TICKETS); do
	got=$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id
		WHERE t.number = '$(cat "$work/ticket-$i")' AND (m.message_id = 'first-$i-$run@customer.test' OR m.message_id LIKE 'reply-$i-%-$run@customer.test')")
	[ "$got" = $((REPLIES + 1)) ] || { split=$((split + 1)); echo "  ticket $i holds $got of $((REPLIES + 1))"; }
done
check_eq "no split threads: every ticket holds its first message and all $REPLIES replies" 0 "$split"
check_eq "nothing stored twice" "0" \
	"$(sql "SELECT count(*) FROM (SELECT message_id FROM messages WHERE message_id LIKE '%-$run@customer.test' GROUP BY message_id HAVING count(*) > 1) d")"
check_eq "everything stored" "$((TICKETS * (REPLIES + 1) + NEW))" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id LIKE '%-$run@customer.test'")"
check_eq "each new message has a ticket of its own" "$NEW" \
	"$(sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id LIKE 'new-%-$run@customer.test'")"
check "both milters stored messages" test "$(grep -c "from=<customer@customer.test>" "$SVC_REAL/ticket-milter-$MILTER2_PORT.log")" -gt 0
milter_stop
milter_down "$MILTER2_PORT"
check "no sanitizer or leak report in the milter logs" \
	bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$SVC_REAL/ticket-milter-$MILTER_PORT.log' '$SVC_REAL/ticket-milter-$MILTER2_PORT.log'"
