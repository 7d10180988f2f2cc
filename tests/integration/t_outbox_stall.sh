#!/usr/bin/env bash
# t_outbox_stall - the database stalls under the daemon's own threads (a
# lock held in a psql session): every query of an outbox sender and of
# the queue cache ends within DatabaseTimeout, cancelled on the server,
# with a warning naming what the thread was doing; the thread goes on
# once the lock is gone, and nothing is lost or sent twice.
#
#   templates locked  a sender stalls rendering a mail it has locked; the
#                     support message is stored meanwhile; the mail stays
#                     pending (its transaction rolled back) and is sent
#                     once after the lock
#   blobs locked      a sender stalls reading an attachment for a
#                     notification: the mail stays pending (not failed),
#                     and is sent once with it after the lock; a read
#                     the database refuses counts an attempt instead
#   outbox locked     a sender stalls taking the next due mail; support
#                     mail is answered 451 meanwhile (its ingest waits
#                     too); after the lock it is stored and answered once
#   queues locked     the queue cache's reload stalls; mail to other
#                     addresses passes; after the lock the list loads again
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-stall.XXXXXX)
locker=
trap '[ -n "$locker" ] && kill "$locker" 2>/dev/null; milter_stop; rm -rf "$work"' EXIT
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
timeout=3
"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add stall@help.test --name Stall --confirm always >/dev/null
"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add stallatt@help.test --name "Stall Files" --confirm never >/dev/null
"$TM_BUILD/ticketctl" -c "$TM_CONF" agent add agent-stall@agents.test --queue stallatt@help.test >/dev/null
# One sender, so that the lock waits counted below are its own.
milter_start "DatabaseTimeout $timeout
OutboxSenders 1
OutboxPoll 2
QueueRefresh 2" || { fail "ticket-milter starts" "see its log"; exit 1; }

# lock TABLE - hold an exclusive lock on TABLE in a psql session until unlock
lock() {
	psql -X -q -c "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;" >/dev/null 2>&1 &
	locker=$!
	wait_for 10 sql_is 1 "SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND mode = 'AccessExclusiveLock' AND granted"
}
# unlock [TABLE] - end the locking session (of TABLE only: the other stays)
unlock() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE ${1:-}%'" >/dev/null
	[ -z "${1:-}" ] && { wait "$locker" 2>/dev/null; locker=; }
	wait_for 10 sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE ${1:-}%'"
}
# logged_since LINE PATTERN - the daemon logged PATTERN after line LINE
logged_since() { tail -n +"$(( $1 + 1 ))" "$log" | grep -qE "$2"; }
# stall_logged NAME SINCE PATTERN WITHIN - wait WITHIN s for the warning
# PATTERN after log line SINCE; pass NAME if it came, saying after how long
stall_logged() {
	local t0=$(date +%s%N) ms
	if wait_for "$4" logged_since "$2" "$3"; then
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		echo "  warning logged after $ms ms (DatabaseTimeout $timeout s)"
		pass "$1"
	else
		fail "$1" "no [$3] in $4 s; last: $(tail -n 2 "$log")"
	fi
}
# lock_waits - the daemon's queries waiting for a lock now
lock_waits() { sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ticket-milter' AND wait_event_type = 'Lock'"; }
# count_to ADDRESS - mails delivered to ADDRESS
count_to() { outgoing_to "$1" | wc -l; }
# delivered_once ADDRESS - wait for a mail to ADDRESS, then a while for a second
delivered_once() {
	wait_for 20 test "$(count_to "$1")" -ge 1
	sleep 3
	postfix_queue_wait 10
	count_to "$1"
}
timed_out="the database did not answer within the DatabaseTimeout \($timeout s\), cancelled; will retry"

# --- templates locked: the sender holds a mail while rendering it stalls ---
n0=$(wc -l <"$log")
lock templates
check "templates locked: support mail is answered 250 meanwhile" \
	mail "Carol <carol-stall@customer.test>" stall@help.test "Held back" held-1@customer.test
check_eq "... and stored, its confirmation queued" "1 1" \
	"$(sql "SELECT count(*), (SELECT count(*) FROM outbox WHERE recipient = 'carol-stall@customer.test') FROM messages WHERE message_id = 'held-1@customer.test'" | tr '|' ' ')"
stall_logged "templates locked: the sender's stall is logged within DatabaseTimeout (+2 s)" \
	"$n0" "outbox: rendering a mail: $timed_out" $((timeout + 2))
# Another round of the sender stalls and is cancelled again meanwhile.
n1=$(wc -l <"$log")
stall_logged "templates locked: the sender goes on and tries again" \
	"$n1" "outbox: rendering a mail: $timed_out" $((timeout + 5))
check "templates locked: the cancelled queries do not pile up (one sender, one wait at most)" \
	test "$(lock_waits)" -le 1
check_eq "templates locked: nothing sent, the mail pending, no attempt counted" "0 pending 0" \
	"$(count_to carol-stall@customer.test) $(sql "SELECT status || ' ' || attempts FROM outbox WHERE recipient = 'carol-stall@customer.test'")"
unlock
check_eq "lock gone: the held mail is sent exactly once" "1" "$(delivered_once carol-stall@customer.test)"
check_eq "... recorded as sent, in one attempt" "sent 1" \
	"$(sql "SELECT status || ' ' || attempts FROM outbox WHERE recipient = 'carol-stall@customer.test'")"

# --- blobs locked: the sender stalls reading an attachment it carries ---
# The notification is held at its template first, so that it is surely
# pending when the attachments' table is locked too.
n0=$(wc -l <"$log")
lock templates
locker_templates=$locker
check "blobs: a customer's mail with an attachment is stored" \
	send --from fay-stall@customer.test --to stallatt@help.test --header "Message-ID: <att-stall@customer.test>" \
	--attach-type application/pdf --attach-name stall.pdf --attach @"$TM_ROOT/README.md"
lock blobs
unlock templates
wait "$locker_templates" 2>/dev/null
stall_logged "blobs locked: the sender's stall on the attachment is logged as one to retry" \
	"$n0" "outbox: mail [0-9]+ to <agent-stall@agents.test>: .*did not answer.*\(will retry\)" $((timeout + 5))
check_eq "blobs locked: nothing sent, the mail pending (not failed), no attempt counted" "0 pending 0" \
	"$(count_to agent-stall@agents.test) $(sql "SELECT status || ' ' || attempts FROM outbox WHERE recipient = 'agent-stall@agents.test'")"
unlock
check_eq "lock gone: the notification is sent exactly once" "1" "$(delivered_once agent-stall@agents.test)"
got=$(outgoing_to agent-stall@agents.test | head -n1)
check "... with the attachment" grep -q 'filename="\?stall.pdf' "${got:-/dev/null}"

# --- blobs refuse: an error, not a stall, counts an attempt ---
n0=$(wc -l <"$log")
lock templates
check "blobs refuse: another mail with an attachment is stored" \
	send --from gus-stall@customer.test --to stallatt@help.test --header "Message-ID: <att-stall-2@customer.test>" \
	--attach-type application/pdf --attach-name refused.pdf --attach @"$TM_ROOT/README.md"
sql "ALTER TABLE blobs RENAME TO blobs_away" >/dev/null
unlock
stall_logged "blobs refuse: the failed read is logged as one to retry" \
	"$n0" "outbox: mail [0-9]+ to <agent-stall@agents.test>: .*\(will retry\)" $((timeout + 5))
check_eq "blobs refuse: the mail stays pending, one attempt counted (the backoff applies)" "pending 1" \
	"$(sql "SELECT o.status || ' ' || o.attempts FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = 'att-stall-2@customer.test'")"
sql "ALTER TABLE blobs_away RENAME TO blobs" >/dev/null
"$TM_BUILD/ticketctl" -c "$TM_CONF" outbox retry "$(sql "SELECT o.id FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = 'att-stall-2@customer.test'")" >/dev/null
check "... and is sent with its attachment once the table is back" wait_for 20 bash -c \
	"grep -rlsi '^X-Original-To: agent-stall@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'refused.pdf' | grep -q ."

# --- outbox locked: the sender stalls taking the next due mail ---
n0=$(wc -l <"$log")
lock outbox
# It wakes within OutboxPoll (2 s), then waits DatabaseTimeout.
stall_logged "outbox locked: the sender's stall is logged within OutboxPoll + DatabaseTimeout (+2 s)" \
	"$n0" "outbox: (taking the next due mail|looking for the next mail due|committing): $timed_out" \
	$((2 + timeout + 2))
out=$(mail "Dave <dave-stall@customer.test>" stall@help.test "Locked out" locked-1@customer.test 2>&1)
check "outbox locked: support mail is answered 451 4.3.0 (its ingest waits for the lock too)" \
	grep -q '451 4.3.0' <<<"$out"
check "outbox locked: the cancelled queries do not pile up" test "$(lock_waits)" -le 1
unlock
check "lock gone: the support mail is stored" \
	mail "Dave <dave-stall@customer.test>" stall@help.test "Locked out" locked-1@customer.test
check_eq "... once" "1" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'locked-1@customer.test'")"
check_eq "... and answered exactly once" "1" "$(delivered_once dave-stall@customer.test)"

# --- queues locked: the queue cache's reload stalls ---
n0=$(wc -l <"$log")
lock queues
stall_logged "queues locked: the reload's stall is logged within QueueRefresh + DatabaseTimeout (+2 s)" \
	"$n0" "support queues: reading the support addresses: $timed_out" $((2 + timeout + 2))
check "queues locked: mail to other addresses passes (the last list in use)" \
	send --from erin@customer.test --to bob@mbox.test --header "Message-ID: <pass-stall@customer.test>"
check "... and is delivered" \
	wait_for 10 bash -c "grep -rqs 'pass-stall@customer.test' '$PF_MAILDIR/mbox.test/bob/new'"
n1=$(wc -l <"$log")
unlock
check "lock gone: the support addresses load again" \
	wait_for $((2 + timeout + 4)) logged_since "$n1" "loaded [0-9]+ support address"
check "lock gone: the milter takes support mail" milter_alive

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
