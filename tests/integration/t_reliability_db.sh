#!/usr/bin/env bash
# t_reliability_db - PostgreSQL fails under load: restarted, stopped for
# 30 s, and answering slowly (a held lock). A queueing sender keeps every
# message it was answered 4xx for, so nothing may be lost and nothing may
# be stored twice; a slow database must become a 4xx within
# DatabaseTimeout while other mail keeps passing. Then the connection is
# killed while a large message is being stored, before and after its
# COPY. Last, the database is reached through pgbouncer pooling
# transactions, which loses the daemon's prepared statement: every
# message must still be stored.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-rel-db.XXXXXX)
locker=
bouncer=$work/bouncer
trap '[ -n "$locker" ] && kill "$locker" 2>/dev/null; milter_stop; bouncer_down; pg_up >/dev/null 2>&1; rm -rf "$work"' EXIT
N=${REL_DB_MESSAGES:-2000}

# bouncer_up PORT - pgbouncer on PORT in front of the private PostgreSQL,
# pooling transactions over two server connections taken in turn
bouncer_up() {
	# A busy port is another's service: the daemon would store there.
	if svc_port_busy "$1"; then
		echo "port $1 is in use (set PG_BOUNCER_PORT)" >"$bouncer.log"
		return 1
	fi
	mkdir -p "$bouncer"
	cat >"$bouncer/pgbouncer.ini" <<-EOF
	[databases]
	tickets = host=127.0.0.1 port=$PG_PORT dbname=tickets user=ticket
	[pgbouncer]
	listen_addr = 127.0.0.1
	listen_port = $1
	unix_socket_dir =
	auth_type = any
	pool_mode = transaction
	default_pool_size = 2
	server_round_robin = 1
	logfile = $bouncer/pgbouncer.log
	pidfile = $bouncer/pgbouncer.pid
	EOF
	# pgbouncer will not run as root.
	if [ "$(id -u)" -eq 0 ]; then
		chmod 755 "$work"; chown -R postgres: "$bouncer"
		runuser -u postgres -- pgbouncer -d -q "$bouncer/pgbouncer.ini"
	else
		pgbouncer -d -q "$bouncer/pgbouncer.ini"
	fi
	wait_for 10 svc_port_busy "$1"
}
bouncer_down() {
	[ -f "$bouncer/pgbouncer.pid" ] && kill "$(cat "$bouncer/pgbouncer.pid")" 2>/dev/null
	rm -f "$bouncer/pgbouncer.pid"
}

# Verification is off: the load is about the database, not DNS.
milter_start "VerifySenders no
DatabaseTimeout 5" || { fail "ticket-milter starts" "see its log"; exit 1; }

# --- restart, then 30 s down, while N messages are delivered ---
q=pg$$
rel_queue "$q"
start=$(date +%s)
rel_load "$q" "$N" 2000 >"$work/load.out" 2>&1 &
loader=$!
wait_for 30 rel_stored_at_least "$q" 100
echo "  $(rel_stored "$q") stored when PostgreSQL restarts"
pg_down; pg_up >/dev/null
wait_for 30 rel_stored_at_least "$q" 400
echo "  $(rel_stored "$q") stored when PostgreSQL stops for 30 s"
pg_down
sleep 30
pg_up >/dev/null
rel_finish pgload "$q" "$N" "$loader" "$start" 180 "the database down"
check "no message was left half stored" test "$(sql "SELECT count(*) FROM messages WHERE size <> length(raw)")" = 0
check "the milter still takes mail" milter_alive

# --- a held lock: DatabaseTimeout turns it into a 4xx, other mail passes ---
milter_start "VerifySenders no
DatabaseTimeout 3" || { fail "ticket-milter restarts" "see its log"; exit 1; }
psql -X -q -c "BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(25); COMMIT;" >/dev/null 2>&1 &
locker=$!
wait_for 10 sql_is 1 "SELECT count(*) FROM pg_locks WHERE relation = 'messages'::regclass AND mode = 'AccessExclusiveLock' AND granted"
# Three support messages wait for the lock at once, two non-support ones
# pass meanwhile.
slow_pids=()
for i in 1 2 3; do
	( t0=$(date +%s%N)
	  out=$(send --from slow@customer.test --to support@help.test \
		--header "Message-ID: <slow-$i@customer.test>" --header "Subject: slow $i" 2>&1)
	  printf '%s\n%s\n' "$(( ($(date +%s%N) - t0) / 1000000 ))" "$out" >"$work/slow-$i.out" ) &
	slow_pids+=($!)
done
# A fourth, past 1 MB: its bytes go by COPY before ingest_message() waits.
{ printf 'From: slow@customer.test\r\nTo: support@help.test\r\nSubject: slow large\r\n'
  printf 'Message-ID: <slow-4@customer.test>\r\n\r\n'
  head -c 1200000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'; } >"$work/slow-4.eml"
( t0=$(date +%s%N)
  out=$(send --from slow@customer.test --to support@help.test --data "@$work/slow-4.eml" 2>&1)
  printf '%s\n%s\n' "$(( ($(date +%s%N) - t0) / 1000000 ))" "$out" >"$work/slow-4.out" ) &
slow_pids+=($!)
sleep 0.5
t0=$(date +%s%N)
for i in 1 2; do
	send --from other@customer.test --to bob@mbox.test --header "Message-ID: <pass-$i@customer.test>" \
		>"$work/pass-$i.out" 2>&1
done
other_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# (wait names its jobs: the milter is a background job of this shell too)
wait "${slow_pids[@]}"
check "slow database: support mail answered 451 4.3.0" \
	grep -q '^<\*\* 451 4.3.0 Ticket database unavailable' "$work/slow-1.out"
slow_ms=$(head -n1 "$work/slow-1.out")
echo "  support mail answered after $slow_ms ms (DatabaseTimeout 3 s); other mail took $other_ms ms for 2 messages"
check "slow database: the 4xx comes within DatabaseTimeout (+2 s), long before Postfix's milter timeout" \
	test "$slow_ms" -lt 5000
check "slow database: all four waiting messages got the 4xx, the large one too" \
	test "$(cat "$work"/slow-*.out | grep -c '^<\*\* 451 4.3.0')" = 4
large_db_ms=$(grep -F 'message-id=<slow-4@customer.test>' "$SVC_REAL/ticket-milter-$MILTER_PORT.log" | tail -n 1 | grep -o 'db_ms=[0-9]*' | cut -d= -f2)
echo "  the large one answered after $(head -n1 "$work/slow-4.out") ms, ${large_db_ms:-?} ms of it for the database"
check "slow database: the large one's database wait ends at DatabaseTimeout too" \
	test "${large_db_ms:-99999}" -lt 4000
check "slow database: other mail passes meanwhile" test "$other_ms" -lt 3000
check "slow database: other mail delivered" \
	wait_for 10 bash -c "grep -rqs 'pass-2@customer.test' '$PF_MAILDIR/mbox.test/bob/new'"
check_eq "slow database: the timed-out queries were cancelled, not left waiting" "0" \
	"$(sql "SELECT count(*) FROM pg_stat_activity WHERE (query LIKE 'SELECT ingest_message%' OR query LIKE 'WITH u AS (DELETE FROM ingest_upload%') AND state = 'active'")"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE%'" >/dev/null
wait "$locker" 2>/dev/null; locker=
wait_for 10 sql_is 0 "SELECT count(*) FROM pg_locks WHERE relation = 'messages'::regclass AND mode = 'AccessExclusiveLock'"
check_eq "slow database: nothing stored while locked" "0" "$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'slow-%'")"
check_eq "slow database: the large one's upload rolled back" "0" "$(sql "SELECT count(*) FROM ingest_upload")"
send --from slow@customer.test --to support@help.test --header "Message-ID: <slow-1@customer.test>" \
	--header "Subject: slow 1" >/dev/null 2>&1
check_eq "lock gone: the retried message is stored" "1" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'slow-1@customer.test'")"

# --- the database connection dies while a large message is being stored:
# waiting to start its COPY, then after the COPY, waiting to ingest it.
# Each time a 451, nothing stored, the upload rolled back; the retry
# stores it once. ---
milter_start "VerifySenders no
DatabaseTimeout 15" || { fail "ticket-milter restarts" "see its log"; exit 1; }
# killed_while TABLE QUERY_START N - send the large message N while TABLE is
# locked, terminate the milter's backend once it waits for the lock in a
# query starting with QUERY_START; the SMTP client's output goes to N.out
killed_while() {
	local table=$1 query=$2 n=$3 sender pid
	psql -X -q -c "BEGIN; LOCK TABLE $table IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;" >/dev/null 2>&1 &
	locker=$!
	wait_for 10 sql_is 1 "SELECT count(*) FROM pg_locks WHERE relation = '$table'::regclass AND mode = 'AccessExclusiveLock' AND granted"
	{ printf 'From: dying@customer.test\r\nTo: support@help.test\r\nSubject: dying %s\r\n' "$n"
	  printf 'Message-ID: <dying-%s@customer.test>\r\n\r\n' "$n"
	  head -c 1200000 /dev/urandom | base64 -w 76 | sed 's/$/\r/'; } >"$work/dying-$n.eml"
	send --from dying@customer.test --to support@help.test --data "@$work/dying-$n.eml" >"$work/dying-$n.out" 2>&1 &
	sender=$!
	wait_for 10 sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ticket-milter' AND query LIKE '$query%' AND wait_event_type = 'Lock'"
	pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'ticket-milter' AND query LIKE '$query%' AND wait_event_type = 'Lock'")
	sql "SELECT pg_terminate_backend(${pid:-0})" >/dev/null
	wait "$sender"
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'BEGIN; LOCK TABLE%'" >/dev/null
	wait "$locker" 2>/dev/null; locker=
}
killed_while ingest_upload "COPY ingest_upload" 1
check "connection killed before the COPY: 451 4.3.0" grep -q '^<\*\* 451 4.3.0' "$work/dying-1.out"
killed_while messages "WITH u AS (DELETE FROM ingest_upload" 2
check "connection killed after the COPY: 451 4.3.0" grep -q '^<\*\* 451 4.3.0' "$work/dying-2.out"
# The 451s came from the killed connections, not from DatabaseTimeout (15 s).
check_eq "killed connections: both answered within a few seconds, not at the timeout" "2" \
	"$(grep -E 'tempfailed .*message-id=<dying-[12]@customer.test>' "$SVC_REAL/ticket-milter-$MILTER_PORT.log" \
		| grep -o 'db_ms=[0-9]*' | cut -d= -f2 | awk '$1 < 5000' | wc -l)"
check_eq "killed connections: nothing stored, the uploads rolled back" "0 0" \
	"$(sql "SELECT (SELECT count(*) FROM messages WHERE message_id LIKE 'dying-%'), (SELECT count(*) FROM ingest_upload)" | tr '|' ' ')"
for n in 1 2; do
	send --from dying@customer.test --to support@help.test --data "@$work/dying-$n.eml" >/dev/null 2>&1
done
check_eq "killed connections: the retries are stored, once each, whole" "2 2" \
	"$(sql "SELECT count(*), count(*) FILTER (WHERE size = length(raw)) FROM messages WHERE message_id LIKE 'dying-%'" | tr '|' ' ')"
check "killed connections: the milter still takes mail" milter_alive
# A streamed message is compressed once, as the columns ask (012).
{ printf 'From: long@customer.test\r\nTo: support@help.test\r\nSubject: long\r\n'
  printf 'Message-ID: <long-1@customer.test>\r\n\r\n'
  yes 'A long and dull line of text, the same again and again.' | head -n 30000 | sed 's/$/\r/'; } >"$work/long.eml"
send --from long@customer.test --to support@help.test --data "@$work/long.eml" >/dev/null 2>&1
check_eq "a streamed message's raw bytes are stored compressed with lz4" "lz4" \
	"$(sql "SELECT pg_column_compression(raw) FROM messages WHERE message_id = 'long-1@customer.test'")"

# --- through pgbouncer pooling transactions: the prepared statement is
# lost between transactions; the daemon says so once and sends each query
# in full ---
bouncer_port=${PG_BOUNCER_PORT:-$((PG_PORT + 1))}
if ! command -v pgbouncer >/dev/null; then
	skip "through pgbouncer" "pgbouncer is not installed (scripts/install-deps.sh)"
elif ! bouncer_up "$bouncer_port"; then
	fail "pgbouncer starts" "$(tail -n 5 "$bouncer.log" "$bouncer/pgbouncer.log" 2>/dev/null)"
else
	milter_start "VerifySenders no
Database host=127.0.0.1 port=$bouncer_port user=ticket dbname=tickets
DatabaseConnections 4" || fail "ticket-milter starts behind pgbouncer" "see its log"
	mkdir -p "$work/bouncer-mail"
	for i in $(seq 1 40); do
		printf 'From: pool@customer.test\r\nTo: support@help.test\r\nSubject: pooled %s\r\nMessage-ID: <pooled-%s@customer.test>\r\n\r\nThrough the pool.\r\n' \
			"$i" "$i" >"$work/bouncer-mail/$i.eml"
	done
	python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT" --conns 8 --to support@help.test \
		--from pool@customer.test --codes "$work/bouncer-codes" "$work"/bouncer-mail/*.eml >/dev/null
	check_eq "through pgbouncer: all 40 messages answered 250" "40" "$(awk '$3 == 250' "$work/bouncer-codes" | wc -l)"
	check_eq "through pgbouncer: all 40 stored, once" "40 40" \
		"$(sql "SELECT count(*), count(DISTINCT message_id) FROM messages WHERE message_id LIKE 'pooled-%'" | tr '|' ' ')"
	check_eq "through pgbouncer: the shared server connections are logged once" "1" \
		"$(grep -c 'share or lose prepared statements' "$SVC_REAL/ticket-milter-$MILTER_PORT.log")"
	bouncer_down
fi
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
