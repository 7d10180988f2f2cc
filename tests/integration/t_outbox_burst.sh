#!/usr/bin/env bash
# t_outbox_burst - the outbox keeps up with a burst, and never sends one
# mail twice: 300 new tickets from 20 SMTP sessions to a queue with two
# agents queue 900 mails (a confirmation and two notifications each);
# two daemons' senders (OutboxSenders threads each) share the work. Every
# one is sent and delivered exactly once (counted by Message-ID in the
# outgoing Maildir) within 60 s of the last message accepted (generous:
# not a benchmark; the time it took is printed).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-burst.XXXXXX)
port2=$((MILTER_PORT + 2))
conf2=$SVC_REAL/ticket-milter-burst2.conf
trap 'milter_stop; milter_down "$port2"; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
N=${BURST_MESSAGES:-300}
ctl queue add burst@help.test --name Burst --confirm always >/dev/null
ctl agent add ag1@burst-agents.test --queue burst@help.test >/dev/null
ctl agent add ag2@burst-agents.test --queue burst@help.test >/dev/null
milter_start "OutboxSenders 4" || { fail "ticket-milter starts" "see its log"; exit 1; }
# A second daemon on the same database that only sends (Postfix does not
# use it); it finds mail by polling each second.
milter_config "$conf2" "$port2" "OutboxSenders 4
OutboxPoll 1"
milter_up "$TM_BUILD/ticket-milter" "$conf2" "$port2" || fail "a second ticket-milter starts" "see its log"
wait_for 10 bash -c "grep -q 'loaded [0-9]* support address' '$SVC_REAL/ticket-milter-$MILTER_PORT.log'"

for i in $(seq 1 "$N"); do
	printf 'From: Customer %s <c%s@burst.test>\r\nTo: burst@help.test\r\nSubject: Burst %s\r\nMessage-ID: <burst-%s@burst.test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nHelp %s.\r\n' \
		"$i" "$i" "$i" "$i" "$i" >"$work/m$i.eml"
done
start=$(date +%s.%N)
out=$(python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT" --from sender@burst.test \
	--to burst@help.test --conns 20 --per-conn $(( (N + 19) / 20 )) "$work"/m*.eml)
accepted=$(date +%s.%N)
check_eq "the burst is accepted" "sent $N ok $N tempfail 0 permfail 0 error 0" "$(grep -o "^sent [0-9]* ok [0-9]* tempfail [0-9]* permfail [0-9]* error [0-9]*" <<<"$out")"
want=$((N * 3))
# queued QUERY - count of this queue's outbox rows matching a condition
queued() { sql "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN queues q ON q.id = t.queue_id WHERE q.address = 'burst@help.test' $1"; }
check_eq "a confirmation and two notifications per message are queued" "$want" "$(queued "")"
if wait_for 60 bash -c "[ \"\$(psql -X -At -c \"SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN queues q ON q.id = t.queue_id WHERE q.address = 'burst@help.test' AND o.status = 'sent'\")\" = $want ]"; then
	drained=$(date +%s.%N)
	pass "every mail of the burst is sent within 60 s"
else
	fail "every mail of the burst is sent within 60 s" "$(queued "AND o.status = 'sent'") of $want sent; $(ctl outbox list | head -n1)"
fi
printf "  burst: %s messages accepted in %.1f s; %s mails sent %.1f s after the last was accepted\n" "$N" "$(echo "$accepted - $start" | bc)" "$want" "$(echo "${drained:-$(date +%s.%N)} - $accepted" | bc)"
postfix_queue_wait 30
# delivered_ids - the Message-IDs of the burst's mail in the outgoing Maildir
delivered_ids() {
	grep -rlisE '^X-Original-To: (c[0-9]+@burst\.test|ag[12]@burst-agents\.test)$' "$PF_OUTGOING/new" \
		| xargs -r grep -hi -m1 '^Message-ID:' | tr -d '<>\r' | awk '{print tolower($2)}'
}
delivered_ids | sort >"$work/delivered"
check_eq "every mail is delivered" "$want" "$(sort -u "$work/delivered" | wc -l)"
check_eq "... exactly once (no Message-ID twice)" "" "$(uniq -d "$work/delivered" | head -n3)"
sql "SELECT lower(o.message_id) FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN queues q ON q.id = t.queue_id WHERE q.address = 'burst@help.test'" | sort >"$work/queued"
check_eq "... and what is delivered is what was queued" "" "$(comm -3 "$work/queued" <(sort -u "$work/delivered") | head -n3)"
check_eq "each mail was sent in one attempt" "$want" "$(queued "AND o.attempts = 1")"
one=$(grep -c 'outbox: mail [0-9]* to <[^>]*@burst' "$SVC_REAL/ticket-milter-$MILTER_PORT.log")
two=$(grep -c 'outbox: mail [0-9]* to <[^>]*@burst' "$SVC_REAL/ticket-milter-$port2.log")
echo "  sent by the daemon that stored them: $one, by the other: $two"
check_eq "the two daemons together sent each mail once" "$want" "$((one + two))"

milter_stop
milter_down "$port2"
check "no sanitizer or leak report in the milter logs" milter_log_clean
check "... nor in the second daemon's" bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$SVC_REAL/ticket-milter-$port2.log'"
