#!/usr/bin/env bash
# t_reliability_kill - ticket-milter killed with SIGKILL in the middle of a
# load, three times, and started again. Postfix's milter_default_action =
# tempfail answers 4xx while it is gone; a message the daemon had stored
# but not yet answered for comes again and must be recognized. Nothing
# lost, nothing stored twice.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-rel-kill.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
N=${REL_KILL_MESSAGES:-1500}
conf="VerifySenders no"

milter_start "$conf" || { fail "ticket-milter starts" "see its log"; exit 1; }
q=kill$$
rel_queue "$q"
start=$(date +%s)
rel_load "$q" "$N" 3000 >"$work/load.out" 2>&1 &
loader=$!
kills=0
for at in 150 500 900; do
	wait_for 60 rel_stored_at_least "$q" "$at"
	pid=$(milter_pid)
	{ kill -KILL "$pid" && kills=$((kills + 1)); wait "$pid"; } 2>/dev/null
	echo "  SIGKILL at $(rel_stored "$q") stored"
	rm -f "$SVC_REAL/ticket-milter-$MILTER_PORT.pid"
	sleep 2
	milter_up "$TM_BUILD/ticket-milter" "$TM_CONF" "$MILTER_PORT" || fail "ticket-milter starts again after SIGKILL"
done
wait "$loader"
check "the sender took all $N messages" test $? = 0
check_eq "killed three times" 3 "$kills"
rel_drain "$q" "$N" 180
echo "  ($(( $(date +%s) - start )) s)"
rel_report "$q" "$N"
check "while the milter was gone, Postfix answered 4xx and the sender retried" \
	test "$(rel_deferred "$q")" -gt 0
rel_check "killload" "$q" "$N"
# A message stored just before a kill comes again: that is the exactly-once case.
dups=$(grep -c ": duplicate .* to=<$q@relay.test>" "$SVC_REAL/ticket-milter-$MILTER_PORT.log")
echo "  $dups deliveries recognized as already stored"
check "no message was left half stored" test "$(sql "SELECT count(*) FROM messages WHERE size <> length(raw)")" = 0
check "the milter takes mail after the restarts" milter_alive
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
