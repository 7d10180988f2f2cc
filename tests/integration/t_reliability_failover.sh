#!/usr/bin/env bash
# t_reliability_failover - the database is a pg_auto_failover cluster
# (tests/lib/failover.sh: a monitor and two nodes replicating
# synchronously) and the daemon reaches it by a multi-host conninfo with
# target_session_attrs=read-write. Under a load of support mail relayed by
# the private Postfix, the primary's node dies (SIGKILL) and the monitor
# promotes the standby: every message answered 250 must be on the new
# primary, none twice, the rest tempfailed, retried by Postfix and stored
# once; the daemon reconnects without a restart. Outgoing mail sent before
# the kill is not sent again, and mail still pending then is sent once.
# Then the old primary rejoins as the standby and holds every message.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
. "$TM_ROOT/tests/lib/failover.sh"
work=$(mktemp -d /tmp/tm-rel-failover.XXXXXX)
N=${REL_FAILOVER_MESSAGES:-2000}
# The outbox's relay: a Postfix of its own, stopped to keep mail pending.
OUT_PORT=${REL_PF2_PORT:-$((PF_PORT + 10))}
OUT_INJECT_PORT=${REL_PF2_INJECT_PORT:-$((PF_INJECT_PORT + 10))}
out=$SVC_REAL/failover-out
trap 'milter_stop; out_down; rm -rf "$out"; PURGE=1 fo_down; rm -rf "$work"' EXIT

# out_up / out_down - the outbox's relay
out_up() {
	(export SVC_DIR=$out PF_PORT=$OUT_PORT PF_INJECT_PORT=$OUT_INJECT_PORT PF_PEER_PORT=$((OUT_PORT + 2)) \
		PF_SASL_PORT=$((OUT_PORT + 3)) PF_MILTER= PF_PEER_MILTER= PF_MAILBOXES=; postfix_up) >>"$work/out.log" 2>&1
}
out_down() {
	local master
	master=$(tr -d ' ' <"$out/postfix/spool/pid/master.pid" 2>/dev/null)
	(SVC_DIR=$out; postfix_down) >>"$work/out.log" 2>&1
	# A master that outlived stop and abort would hold the ports.
	[ -n "$master" ] && kill -KILL "$master" 2>/dev/null
	return 0
}

# delivered_ids PATTERN - the Message-IDs of the delivered mail to addresses matching PATTERN
delivered_ids() {
	grep -rlsiE "^X-Original-To: $1\$" "$out/outgoing/new" | xargs -r grep -hi -m1 '^Message-ID:' | sort
}

t0=$(date +%s)
fo_up >"$work/fo.log" 2>&1 || { fail "a monitor and two nodes start" "$(tail -n 5 "$work/fo.log"; fo_show)"; exit 1; }
echo "  cluster up in $(( $(date +%s) - t0 )) s"
fo_show
pass "pg_auto_failover: a monitor, a primary and a synchronous standby"
check_eq "the primary commits synchronously to the standby" "ANY 1 (pgautofailover_standby_2)" \
	"$(psql -X -At -h 127.0.0.1 -p "$(fo_port node1)" -U ticket -d tickets -c 'SHOW synchronous_standby_names')"
out_up || { fail "the outbox's relay starts" "$(tail -n 5 "$work/out.log")"; exit 1; }

conninfo=$(fo_conninfo)
settings="VerifySenders no
Database $conninfo
DatabaseTimeout 5
OutboxRelay 127.0.0.1:$OUT_INJECT_PORT
OutboxRetryDelay 1
OutboxPoll 1"
milter_config "$TM_CONF" "$MILTER_PORT" "$settings"
"$TM_BUILD/ticketctl" -c "$TM_CONF" init >"$work/init.log" 2>&1 \
	|| { fail "ticketctl init through the multi-host conninfo" "$(tail -n 3 "$work/init.log")"; exit 1; }
fo_use
"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add support@help.test --name Support >/dev/null
milter_start "$settings" || { fail "ticket-milter starts" "see its log"; exit 1; }
run=$$
q=fo$run
rel_queue "$q" || { fail "the load's queue is loaded" "see the milter log"; exit 1; }
queue_add "confirm$run@help.test" --name Confirm --confirm always \
	|| { fail "the confirming queue is loaded" "see the milter log"; exit 1; }

# confirm_batch FIRST LAST - new tickets from distinct customers, each confirmed
confirm_batch() {
	local i
	for i in $(seq "$1" "$2"); do
		mail "c$i-$run@customer.test" "confirm$run@help.test" "Question $i" "q$i-$run@customer.test" >/dev/null 2>&1
	done
}

# Confirmations sent before the kill, then some kept pending (the relay down).
confirm_batch 1 10
check "before the kill: 10 confirmations sent" \
	wait_for 30 bash -c "[ \$(grep -rlsiE '^X-Original-To: c[0-9]+-$run@customer.test\$' '$out/outgoing/new' | wc -l) -ge 10 ]"
out_down
confirm_batch 11 20
check "before the kill: 10 more confirmations pending (their relay down, tried)" \
	wait_for 30 sql_is 10 "SELECT count(*) FROM outbox WHERE recipient ~ '^c[0-9]+-$run@customer.test\$' AND status = 'pending' AND attempts > 0"

# --- the load, and the primary's node killed mid-load ---
start=$(date +%s)
rel_load "$q" "$N" 2000 >"$work/load.out" 2>&1 &
loader=$!
wait_for 120 rel_stored_at_least "$q" $((N * 3 / 10))
primary=$(fo_primary)
standby=node2; [ "$primary" = node2 ] && standby=node1
at_kill=$(rel_stored "$q")
kill_ms=$(date +%s%3N)
fo_kill "$primary"
echo "  $at_kill of $N stored when $primary (the primary) is killed"
# Mail waits (tempfailed) until the standby is promoted and the daemon's
# next connection finds it.
wait_for 120 rel_stored_at_least "$q" $((at_kill + 1))
back_ms=$(( $(date +%s%3N) - kill_ms ))
echo "  the first message stored again $back_ms ms after the kill"
fo_wait_state 60 "$standby" wait_primary primary
check_eq "the monitor promoted the standby" "$standby" "$(fo_primary)"
fo_show
rel_finish failover "$q" "$N" "$loader" "$start" 240 "the switch"
check_eq "no message was answered 5xx" "0" \
	"$(grep -c "to=<$q@relay.test>.*status=bounced" "$PF_MAILLOG")"
check "the daemon reconnected to the new primary without a restart" milter_alive
check_eq "no message was left half stored" "0" "$(sql "SELECT count(*) FROM messages WHERE size <> length(raw)")"

# Every relay answered 250 (the receiving Postfix queued it after the
# milter's accept) is on the new primary.
grep -o "to=<$q@relay.test>.*status=sent (250 2.0.0 Ok: queued as [0-9A-F]*" "$PF_MAILLOG" \
	| sed 's/.* //' | sort -u >"$work/accepted-qids"
grep -E ': message-id=<' "$PF_MAILLOG" | sed -E 's/.*: ([0-9A-F]+): message-id=<(.*)>.*/\1 \2/' \
	| sort -u >"$work/qid-msgid"
join "$work/accepted-qids" "$work/qid-msgid" | awk '{print $2}' | sort -u >"$work/accepted-ids"
sql "SELECT message_id FROM messages WHERE envelope_recipients = ARRAY['$q@relay.test']" | sort -u >"$work/stored-ids"
check_eq "every message answered 250 ($(wc -l <"$work/accepted-ids")) is on the new primary" "" \
	"$(comm -23 "$work/accepted-ids" "$work/stored-ids" | head -n 3)"

# --- the outbox across the failover ---
out_up
check "after the failover: the pending confirmations are sent" \
	wait_for 60 bash -c "[ \$(grep -rlsiE '^X-Original-To: c[0-9]+-$run@customer.test\$' '$out/outgoing/new' | wc -l) -ge 20 ]"
sleep 3
sent=$(delivered_ids "c[0-9]+-$run@customer.test")
check_eq "every confirmation sent once: 20 delivered, 20 Message-IDs" "20 20" \
	"$(printf '%s\n' "$sent" | grep -c . ) $(printf '%s\n' "$sent" | sort -u | grep -c .)"
check_eq "the outbox holds them as sent, on the new primary" "20" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient ~ '^c[0-9]+-$run@customer.test\$' AND status = 'sent'")"

# --- the old primary rejoins as the standby ---
fo_start "$primary"
check "the old primary rejoins as the standby" fo_wait_state 120 "$primary" secondary
check "the new primary is synchronous again" fo_wait_state 30 "$standby" primary
fo_show
# standby_count - the load's messages and distinct Message-IDs on the old primary
standby_count() {
	PGTARGETSESSIONATTRS=any psql -X -At -h 127.0.0.1 -p "$(fo_port "$primary")" -U ticket -d tickets -c \
		"SELECT count(*), count(DISTINCT message_id) FROM messages WHERE envelope_recipients = ARRAY['$q@relay.test']" | tr '|' ' '
}
for i in $(seq 1 60); do [ "$(standby_count)" = "$N $N" ] && break; sleep 0.5; done
check_eq "the rejoined standby holds every message once" "$N $N" "$(standby_count)"

# --- the standby stops answering: each COMMIT waits for it until the
# monitor drops replication to asynchronous (pg_auto_failover's own
# timeouts from here on); meanwhile DatabaseTimeout tempfails, and the
# tempfailed message, committed on the primary all the same, is known
# when it comes again ---
primary=$standby
standby=node1; [ "$primary" = node1 ] && standby=node2
fo_monitor_defaults || fail "the monitor takes its default timeouts" "see its log"
id="sync-$run@customer.test"
pause_ms=$(date +%s%3N)
fo_pause "$standby"
# The same bytes each time, as an MTA retries (mail(), env.sh: a fixed Date).
first=$(mail sync@customer.test support@help.test "standby down" "$id" 2>&1)
first_ms=$(( $(date +%s%3N) - pause_ms ))
check "standby down: the waiting COMMIT is answered 451 4.3.0 at DatabaseTimeout" \
	grep -q '^<\*\* 451 4.3.0' <<<"$first"
check "standby down: ... within DatabaseTimeout (5 s) + 2 s" test "$first_ms" -lt 7000
# Sent again every second, as a queueing MTA would (sooner), until taken.
taken=0
while [ $(( $(date +%s%3N) - pause_ms )) -lt 120000 ]; do
	if mail sync@customer.test support@help.test "standby down" "$id" >/dev/null 2>&1; then
		taken=1; break
	fi
	sleep 1
done
waited_ms=$(( $(date +%s%3N) - pause_ms ))
echo "  standby down: support mail tempfailed for $waited_ms ms, until the monitor dropped to asynchronous replication"
check "standby down: mail is taken again once the primary no longer waits" test "$taken" = 1
echo "  the primary's state: $(fo_state "$primary")"
check_eq "standby down: the primary no longer waits for a standby" "" \
	"$(sql "SHOW synchronous_standby_names")"
check_eq "standby down: the tempfailed message, committed all the same, is stored once" "1" "$(count_msgid "$id")"
check "standby down: its retry was recognised as stored (a duplicate)" \
	grep -q "duplicate.*message-id=<$id>" "$SVC_REAL/ticket-milter-$MILTER_PORT.log"
# A daemon started now has no connection yet: each new one tries the first
# host listed, the stopped node, before the primary; DatabaseTimeout is
# shared among the hosts, so the message still is stored in time.
milter_start "$settings" >/dev/null 2>&1
# Its queue list too comes past the stopped host (milter_start waits 10 s).
check "a restarted daemon, the first host stopped: it loads the queue list" wait_for 30 milter_loaded
t0=$(date +%s%3N)
answer=$(mail fresh@customer.test support@help.test "new connections" "fresh-$run@customer.test" 2>&1)
fresh_ms=$(( $(date +%s%3N) - t0 ))
echo "  a restarted daemon, the first host stopped: answered after $fresh_ms ms"
stored=$(count_msgid "fresh-$run@customer.test")
[ "$stored" = 1 ] || echo "  the client saw: $(grep -m1 '^<\*\* ' <<<"$answer")"
check_eq "a restarted daemon, the first host stopped: a new message is stored (250)" "1" "$stored"
fo_resume "$standby"
check "the standby back: it catches up" fo_wait_state 90 "$standby" secondary
check "the standby back: replication is synchronous again" fo_wait_state 30 "$primary" primary
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
