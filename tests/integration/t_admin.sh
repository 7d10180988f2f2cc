#!/usr/bin/env bash
# t_admin - what a mail admin does and sees: socket forms (inet6, a local
# socket with owner, group and mode), SIGUSR1 reload (a change applied, a
# bad file kept out), SIGTERM with a message in flight, the failure
# actions, the per-message log line; ticketctl message, stats, report,
# queue remove, with their errors and exit codes.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-admin.XXXXXX)
chmod 755 "$work"
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
trap 'milter_stop; PF_MILTER=inet:127.0.0.1:$MILTER_PORT postfix_up >/dev/null 2>&1; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }

# expect_status WANT NAME CMD... - CMD exits WANT; its output in $out
expect_status() {
	local want=$1 name=$2 rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $out"; fi
}

# log_has PATTERN - the milter log has a line matching the extended regex
log_has() { grep -qE "$1" "$log"; }

# log_mark - remember the log's length; log_since prints what came after
log_mark() { mark=$(wc -c <"$log"); }
log_since() { tail -c +$((mark + 1)) "$log"; }

# reload - SIGUSR1 to the running milter, wait until it logged the outcome
reload() {
	log_mark
	kill -USR1 "$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")"
	wait_for 10 sh -c "tail -c +$((mark + 1)) '$log' | grep -q 'reload: '"
}

# outgoing_has SUBJECT - Postfix delivered the MTA's copy of that message
outgoing_has() { grep -rlqF "Subject: $1" "$PF_OUTGOING" 2>/dev/null; }

# --- The per-message log line ---------------------------------------------
milter_start || { fail "ticket-milter starts" "see $log"; exit 1; }
# A fixed Date: the second delivery below is the same message.
first=(--header "Subject: admin log line" --header "Message-Id: <admin-1@customer.test>"
	--header "Date: Sat, 28 Nov 2026 10:00:00 +0000" --body "Hello")
send --from alice@customer.test --to support@help.test,bob@mbox.test "${first[@]}"
line=$(grep -F 'message-id=<admin-1@customer.test>' "$log" | tail -n 1)
check "one log line per message: ticket, decision, rule, sender, recipients" grep -qE \
	'^ticket-milter: [0-9A-F]+: ticket [0-9]+: new \(new\), from=<alice@customer.test> to=<support@help.test>,<bob@mbox.test> queue=support@help.test size=[0-9]+ ' <<<"$line"
check "the log line has the auth results and the times of each step" grep -qE \
	' spf=[a-z]+ dkim=[a-z:.,-]+ dmarc=[a-z]+ confirmation=[a-z-]+ notified=[a-z0-9-]+ parse_ms=[0-9.]+ auth_ms=[0-9.]+ db_ms=[0-9.]+$' <<<"$line"
send --from alice@customer.test --to support@help.test,bob@mbox.test "${first[@]}"
check "a second delivery is logged as a duplicate" \
	grep -qE 'ticket [0-9]+: duplicate \(new\), .*message-id=<admin-1@customer.test>' "$log"

# --- Failure actions --------------------------------------------------------
milter_start "MaximumMessageSize 1k
DatabaseTimeout 2" || fail "ticket-milter restarts" "see $log"
send --from alice@customer.test --to support@help.test --header "Subject: too big" \
	--body "$(head -c 3000 /dev/zero | tr '\0' x)" >/dev/null 2>&1
check "too big: rejected, and the log line says why" \
	grep -qE 'ticket -: rejected \(too-big\), from=<alice@customer.test>' "$log"

# The database too slow: a lock on messages outlasts DatabaseTimeout.
db_slow() { psql -X -q -c "BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($1); COMMIT;" >/dev/null 2>&1; }
db_slow 4 & locker=$!
sleep 0.5
out=$(swaks --server 127.0.0.1:"$PF_PORT" --from alice@customer.test --to support@help.test \
	--header "Subject: db slow tempfail" --header "Message-Id: <admin-slow-1@customer.test>" --body x 2>&1)
check "database too slow: the client gets 451 4.3.0" grep -q '<\*\* 451 4.3.0 Ticket database unavailable' <<<"$out"
check "the log line says tempfailed (database-error)" \
	grep -qE 'ticket -: tempfailed \(database-error\), .*message-id=<admin-slow-1@customer.test> .* db_ms=[0-9]{4}' "$log"
wait "$locker"
milter_start "DatabaseTimeout 2
On-DatabaseError accept" || fail "ticket-milter restarts" "see $log"
db_slow 4 & locker=$!
sleep 0.5
expect_status 0 "On-DatabaseError accept: the message passes" \
	swaks --server 127.0.0.1:"$PF_PORT" --from alice@customer.test --to support@help.test \
	--header "Subject: db slow accept" --header "Message-Id: <admin-slow-2@customer.test>" --body x
check "the log line says ignored (database-error)" \
	grep -qE 'ticket -: ignored \(database-error\), .*message-id=<admin-slow-2@customer.test>' "$log"
wait "$locker"
check_eq "ignored means not stored" "0" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id = 'admin-slow-2@customer.test'")"

# --- SIGUSR1: reload -------------------------------------------------------
milter_start "MtaCopy remove" || fail "ticket-milter restarts" "see $log"
send --from alice@customer.test --to support@help.test --header "Subject: reload before"
postfix_queue_wait 10
check "MtaCopy remove: Postfix's copy is discarded" sh -c "! grep -rlqF 'Subject: reload before' '$PF_OUTGOING'"
sed -i 's/^MtaCopy.*/MtaCopy keep/' "$TM_CONF"
reload
check "SIGUSR1: the reload is logged" grep -qE 'reload: .*ticket-milter.conf read again' <<<"$(log_since)"
send --from alice@customer.test --to support@help.test --header "Subject: reload after"
wait_for 10 outgoing_has "reload after"
check "after SIGUSR1, MtaCopy keep: Postfix delivers its copy" outgoing_has "reload after"
check "the copy carries X-Ticket-Number" sh -c "grep -rlF 'Subject: reload after' '$PF_OUTGOING' | xargs grep -q '^X-Ticket-Number: [0-9]'"

# A bad file is kept out; the configuration in force goes on serving.
printf 'MtaCopy remove\nMaximumMessageSize lots\n' >>"$TM_CONF"
sed -i '0,/^MtaCopy keep/{/^MtaCopy keep/d}' "$TM_CONF"
bad_line=$(grep -n '^MaximumMessageSize lots' "$TM_CONF" | cut -d: -f1)
reload
check "a bad file: the error names file, line and key" \
	grep -qF "error: reload: $TM_CONF, line $bad_line: MaximumMessageSize: expected a size" <<<"$(log_since)"
check "a bad file: the log says the configuration in force stays" \
	grep -qF "the configuration in force stays" <<<"$(log_since)"
send --from alice@customer.test --to support@help.test --header "Subject: reload bad file"
wait_for 10 outgoing_has "reload bad file"
check "after a bad file the old configuration serves (MtaCopy keep)" outgoing_has "reload bad file"

# Keys read at start only are named and ignored until a restart.
sed -i '/^MaximumMessageSize lots/d; s/^Socket .*/Socket inet:1@127.0.0.1/' "$TM_CONF"
sed -i 's/^UserID .*/UserID nobody/' "$TM_CONF"
reload
check "a restart-only key: named, ignored until restart" \
	grep -qF "warning: reload: Socket, UserID changed; ignored until a restart" <<<"$(log_since)"
send --from alice@customer.test --to support@help.test --header "Subject: reload after restart keys"
check_eq "the milter still serves its socket" "1" \
	"$(sql "SELECT count(*) FROM messages WHERE subject = 'reload after restart keys'")"
check "...with the reloaded MtaCopy remove" sh -c "! grep -rlqF 'Subject: reload after restart keys' '$PF_OUTGOING'"

# --- SIGTERM with a message in flight ---------------------------------------
# The message waits on a lock in the database while the milter is told to
# stop; libmilter returns from smfi_main() about 5 s later, and the daemon
# must still answer and store the message before it exits.
milter_start || fail "ticket-milter restarts" "see $log"
pid=$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")
psql -X -q -c "BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;" >/dev/null 2>&1 &
locker=$!
sleep 0.5
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from alice@customer.test --to support@help.test \
	--header "Subject: in flight at SIGTERM" --header "Message-Id: <admin-term@customer.test>" \
	--body x >"$work/term.out" 2>&1 &
sender=$!
sleep 1.5
log_mark
kill -TERM "$pid"
wait "$sender"; rc=$?
check_eq "SIGTERM: the message in flight is answered 250" "0" "$rc"
wait "$locker"
for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
check "SIGTERM: the daemon exits after the message" sh -c "! kill -0 $pid 2>/dev/null"
check_eq "SIGTERM: the message in flight is stored" "1" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id = 'admin-term@customer.test'")"
check "SIGTERM: the log shows stop, the message, stopped, in that order" sh -c \
	"tail -c +$((mark + 1)) '$log' | grep -E 'stopping: waiting|message-id=<admin-term@customer.test>|stopped' | cut -c1-60 | tr '\n' '|' | grep -qE '^ticket-milter: stopping: waiting.*\|ticket-milter: [0-9A-F]+: ticket [0-9]+: new.*\|ticket-milter: stopped\|$'"
milter_stop

# --- Socket forms -----------------------------------------------------------
# inet6: a milter option negotiation over ::1 (neither the test Postfix nor
# miltertest speaks IPv6 here).
if ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
	milter_config "$TM_CONF" "$MILTER_PORT" "Socket inet6:$MILTER_PORT@::1"
	setsid "$TM_BUILD/ticket-milter" -f -c "$TM_CONF" >>"$log" 2>&1 </dev/null &
	echo $! >"$SVC_REAL/ticket-milter-$MILTER_PORT.pid"
	negotiate() {
		python3 - "$MILTER_PORT" <<-'PY'
		import socket, struct, sys
		s = socket.create_connection(("::1", int(sys.argv[1])), timeout=5)
		body = b"O" + struct.pack(">III", 6, 0x1ff, 0x1fffff)
		s.sendall(struct.pack(">I", len(body)) + body)
		n = struct.unpack(">I", s.recv(4))[0]
		reply = s.recv(n)
		sys.exit(0 if reply[:1] == b"O" else 1)
		PY
	}
	wait_for 20 negotiate
	check "inet6:PORT@::1: the milter negotiates over IPv6" negotiate
	milter_stop
else
	skip "inet6:PORT@::1" "this machine has no ::1 on lo"
fi

# local: a UNIX socket with SocketMode and SocketGroup, the daemon started
# as root and running as nobody; Postfix (its smtpd runs as postfix) must
# reach it.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && getent group postfix >/dev/null; then
	sock=$work/run/tm.sock
	mkdir -p "$work/run" && chmod 755 "$work/run"
	chmod 1777 "$SVC_REAL/tmp"
	milter_config "$TM_CONF" "$MILTER_PORT" "Socket local:$sock
SocketMode 0660
SocketGroup postfix
UserID nobody
PidFile $work/run/piddir/tm.pid"
	setsid "$TM_BUILD/ticket-milter" -f -c "$TM_CONF" >>"$log" 2>&1 </dev/null &
	echo $! >"$SVC_REAL/ticket-milter-$MILTER_PORT.pid"
	wait_for 20 test -S "$sock"
	check_eq "local socket: owner, group and mode" "nobody postfix 660" "$(stat -c '%U %G %a' "$sock")"
	check_eq "the daemon runs as UserID" "nobody" "$(ps -o user= -p "$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")")"
	check_eq "the pid file was written before privileges were dropped" \
		"$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")" "$(cat "$work/run/piddir/tm.pid" 2>/dev/null)"
	check_eq "without systemd, the PidFile's directory is created for UserID" "nobody 755" \
		"$(stat -c '%U %a' "$work/run/piddir" 2>&1)"
	PF_MILTER=unix:$sock postfix_up >/dev/null
	send --from alice@customer.test --to support@help.test --header "Subject: over the local socket"
	check_eq "Postfix reaches the milter over the local socket" "1" \
		"$(sql "SELECT count(*) FROM messages WHERE subject = 'over the local socket'")"
	milter_stop
	check "at exit, the daemon (now nobody) removed its pid file" test ! -e "$work/run/piddir/tm.pid"
	PF_MILTER=inet:127.0.0.1:$MILTER_PORT postfix_up >/dev/null
	milter_config "$TM_CONF" "$MILTER_PORT"
else
	skip "local socket with SocketMode, SocketGroup, UserID" "needs root, the user nobody and the group postfix"
fi

# Root: no UserID, no running as root; PidFile not through a symbolic link.
if [ "$(id -u)" -eq 0 ]; then
	milter_config "$work/root.conf" "$MILTER_PORT" "PidFile $work/run/root.pid"
	sed -i '/^UserID[[:space:]]/d' "$work/root.conf"
	expect_status 1 "started as root without UserID: refused" timeout 20 "$TM_BUILD/ticket-milter" -f -c "$work/root.conf"
	check "the refusal names the file and the key" grep -qF \
		"fatal: $work/root.conf: UserID is not set: ticket-milter does not run as root" <<<"$out"
	mkdir -p "$work/run" && printf 'precious\n' >"$work/precious"
	ln -sfn "$work/precious" "$work/run/link.pid"
	milter_config "$work/link.conf" "$MILTER_PORT" "PidFile $work/run/link.pid"
	expect_status 1 "a PidFile that is a symbolic link: refused" timeout 20 "$TM_BUILD/ticket-milter" -f -c "$work/link.conf"
	check "the refusal says why" grep -qF "PidFile $work/run/link.pid: is a symbolic link; it is not followed" <<<"$out"
	check_eq "the file the link points to is untouched" "precious" "$(cat "$work/precious")"
	# Started in the background, logging to syslog: why it did not start
	# is on stderr too, also where no syslog daemon listens.
	milter_config "$work/bg.conf" "$MILTER_PORT" "Socket local:$work/run/bg.sock
Syslog yes
PidFile $work/none/run/tm.pid"
	expect_status 1 "started in the background, a PidFile it cannot create: exit 1" \
		timeout 20 "$TM_BUILD/ticket-milter" -c "$work/bg.conf"
	check "the reason is on stderr" grep -qF \
		"fatal: PidFile $work/none/run/tm.pid: cannot create its directory $work/none/run: No such file or directory" <<<"$out"
else
	skip "root without UserID; PidFile through a symbolic link" "needs root"
fi

expect_status 1 "-n refuses SocketMode with an inet socket" "$TM_BUILD/ticket-milter" -n -c <(
	printf 'Socket inet:1@127.0.0.1\nDatabase x\nSocketMode 0660\n')
check "the error says a mode is for a local socket" grep -qF "only a local: socket has a mode" <<<"$out"
expect_status 1 "-n refuses a socket without a kind" "$TM_BUILD/ticket-milter" -n -c <(
	printf 'Socket 127.0.0.1:8891\nDatabase x\n')
check "the error shows the forms" grep -qF "expected inet:PORT@HOST, inet6:PORT@HOST or local:/path" <<<"$out"
check "no sanitizer or leak report in the milter log" milter_log_clean

# --- ticketctl message ----------------------------------------------------
id=$(sql "SELECT id FROM messages WHERE message_id = 'admin-1@customer.test'")
number=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = $id")
expect_status 0 "message show" ctl message show "$id"
check "message show: the header block" grep -qE "^Message #$id of ticket $number  \[in, customer, " <<<"$out"
check "message show: the text" grep -qx "Hello" <<<"$out"
expect_status 0 "message show --json" ctl message show "#$id" --json
check_eq "message show --json: ticket and id" "$number $id" "$(jq -r '"\(.ticket) \(.id)"' <<<"$out")"
ctl message show "$id" --raw >"$work/raw.eml"
check_eq "message show --raw: the original bytes exactly" \
	"$(sql "SELECT encode(sha256(raw), 'hex') FROM messages WHERE id = $id")" "$(sha256sum <"$work/raw.eml" | cut -d' ' -f1)"
expect_status 1 "message show of an unknown id" ctl message show 999999999
check "the error says what to look at" grep -qF "no message 999999999 (ticketctl ticket show NUMBER lists" <<<"$out"
expect_status 1 "message show of a non-number" ctl message show abc
expect_status 2 "message show --json --raw is a usage error" ctl message show "$id" --json --raw
expect_status 2 "message without a subcommand" ctl message
expect_status 0 "message --help" ctl message --help
check "message --help shows both forms" grep -qF "message replay ID [--dry-run] [--json]" <<<"$out"

# Replay: a damaged text is restored from the original; dry run changes nothing.
sql "UPDATE messages SET body_text = 'damaged', facts = '{}' WHERE id = $id"
expect_status 0 "message replay --dry-run" ctl message replay "$id" --dry-run
check "dry run: says what would change" grep -qF "would change: text, facts" <<<"$out"
check_eq "dry run: nothing changed" "damaged" "$(sql "SELECT body_text FROM messages WHERE id = $id")"
expect_status 0 "message replay" ctl message replay "$id"
check "replay: says what changed" grep -qF "message #$id of ticket $number: parsed again; changed: text, facts" <<<"$out"
check_eq "replay: the text is the parser's again" "Hello" "$(sql "SELECT trim(body_text, E' \r\n') FROM messages WHERE id = $id")"
expect_status 0 "message replay --json" ctl message replay "$id" --json
check_eq "replay --json: nothing left to change, same ticket" "[] $number" "$(jq -c -j '.changed, " ", .ticket' <<<"$out")"
# A follow-up (In-Reply-To) stays where it is, and replay says where threading puts it now.
milter_start || fail "ticket-milter restarts" "see $log"
send --from alice@customer.test --to support@help.test --header "Subject: Re: admin log line" \
	--header "In-Reply-To: <admin-1@customer.test>" --header "Message-Id: <admin-2@customer.test>" --body "More"
id2=$(sql "SELECT id FROM messages WHERE message_id = 'admin-2@customer.test'")
expect_status 0 "message replay of a follow-up" ctl message replay "$id2"
check "replay: threading now as stored" grep -qF "threading now: ticket $number by in-reply-to, as stored (by in-reply-to)" <<<"$out"
# Replay tells the database what the delivery's checks said: the stored
# results, and the verdict stored with them (an authenticated sender).
# A wrapper around message_refresh() keeps the meta it is given.
auth_pass='{"spf": {"result": "pass"}, "dkim": [], "dmarc": {"result": "pass", "from_domain": "customer.test"},
	"sender_authenticated": true}'
sql "UPDATE messages SET auth = '$auth_pass' WHERE id = $id2;
     CREATE TABLE replay_meta (meta jsonb);
     ALTER FUNCTION message_refresh(bigint, jsonb, bytea) RENAME TO message_refresh_real;
     CREATE FUNCTION message_refresh(msg bigint, meta jsonb, blob_data bytea) RETURNS jsonb
     LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO replay_meta VALUES (meta);
     RETURN message_refresh_real(msg, meta, blob_data); END \$\$"
expect_status 0 "message replay with stored results" ctl message replay "$id2"
check_eq "replay: the stored results and the authenticated sender reach the database" "pass true" \
	"$(sql "SELECT (meta->'auth'->'dmarc'->>'result') || ' ' || (meta->>'sender_authenticated') FROM replay_meta")"
sql "DROP FUNCTION message_refresh(bigint, jsonb, bytea);
     ALTER FUNCTION message_refresh_real(bigint, jsonb, bytea) RENAME TO message_refresh;
     DROP TABLE replay_meta"
expect_status 1 "message replay of an unknown id" ctl message replay 999999999

# --- ticketctl stats and report ------------------------------------------
expect_status 0 "stats --json" ctl stats --json
check_eq "stats: tickets and messages of the queue" \
	"$(sql "SELECT count(*) FILTER (WHERE status = 'new') || ' ' || (SELECT count(*) FROM messages m JOIN tickets t2 ON t2.id = m.ticket_id JOIN queues q2 ON q2.id = t2.queue_id WHERE q2.address = 'support@help.test' AND m.direction = 'in' AND NOT agent_answer(m.direction, m.kind, m.facts)) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = 'support@help.test'")" \
	"$(jq -r '.queues[] | select(.queue == "support@help.test") | "\(.tickets.new) \(.messages_in)"' <<<"$out")"
expect_status 0 "stats" ctl stats
check "stats: a header and the queue" grep -qE '^support@help.test +[0-9]+' <<<"$out"
# The figures themselves, from real mail: t_report.sh.
sql "UPDATE tickets SET assignee = 'agent1@help.test' WHERE number = '$number'"
expect_status 0 "report queues --json" ctl report queues --json
check_eq "report queues: the tickets of the queue" \
	"$(sql "SELECT count(*) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = 'support@help.test' AND t.created_at > now() - interval '30 days'")" \
	"$(jq -r '.[] | select(.queue == "support@help.test") | .created' <<<"$out")"
expect_status 0 "report queues --csv --since a date" ctl report queues --csv --since 2000-01-01
check "report --csv: the header" grep -qx 'queue,since,created,solved,customer_messages,replies,first_response_median_s,first_response_p90_s,open,open_under_1d,open_1d_to_7d,open_over_7d' <<<"$(head -n1 <<<"$out")"
check "report --csv: one row per queue" grep -qE '^support@help.test,2000-01-01 00:00:00' <<<"$out"
expect_status 0 "report agents --json" ctl report agents --json --since 7d
check_eq "report agents: grouped by assignee" "1" \
	"$(jq -r '.[] | select(.agent == "agent1@help.test") | .open' <<<"$out")"
check "report agents: unassigned tickets are one row (agent null)" jq -e 'any(.[]; .agent == null)' <<<"$out"
expect_status 0 "report agents" ctl report agents
check "report agents says whom each figure counts for" grep -qF "tickets count for their assignee, replies for the agent who wrote them" <<<"$out"
expect_status 2 "report with a bad --since" ctl report queues --since yesterday
check "the error shows good values" grep -qF "use a duration back from now (30d, 12h, 90m, 2w) or a date" <<<"$out"
expect_status 2 "report of an unknown kind" ctl report people
expect_status 2 "report --json --csv" ctl report queues --json --csv

# --- ticketctl queue remove ---------------------------------------------
ctl queue add empty@help.test >/dev/null
expect_status 0 "queue remove of a queue without tickets" ctl queue remove empty@help.test
check "queue remove says so" grep -qF "queue empty@help.test removed" <<<"$out"
check_eq "the queue is gone" "0" "$(sql "SELECT count(*) FROM queues WHERE address = 'empty@help.test'")"
expect_status 1 "queue remove refuses a queue with tickets" ctl queue remove support@help.test
check "the refusal says why and what to do" grep -qF -- "never deletes tickets; to stop taking mail for it and keep them: ticketctl queue remove support@help.test --keep-tickets" <<<"$out"
check_eq "nothing was removed" "1" "$(sql "SELECT count(*) FROM queues WHERE address = 'support@help.test' AND retired_at IS NULL")"
expect_status 1 "queue remove of an unknown queue" ctl queue remove nobody@help.test
check "the error names the queue" grep -qF "no queue nobody@help.test" <<<"$out"
expect_status 2 "queue remove without an address" ctl queue remove

# Retire: the daemon stops taking the address at once, the tickets stay.
ctl queue add retire@help.test >/dev/null
milter_start || fail "ticket-milter restarts" "see $log"
send --from alice@customer.test --to retire@help.test --header "Subject: before retiring"
tickets=$(sql "SELECT count(*) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = 'retire@help.test'")
check_eq "a queue to retire has a ticket" "1" "$tickets"
expect_status 0 "queue remove --keep-tickets retires it" ctl queue remove retire@help.test --keep-tickets
check "it says the tickets stay" grep -qF "retired: its 1 ticket(s) stay" <<<"$out"
sleep 1
send --from alice@customer.test --to retire@help.test --header "Subject: after retiring"
check_eq "a retired queue takes no more mail" "1" \
	"$(sql "SELECT count(*) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = 'retire@help.test'")"
expect_status 0 "queue list shows it retired" ctl queue list --json
check "queue list --json: retired_at is set" jq -e '.[] | select(.address == "retire@help.test") | .retired_at != null' <<<"$out"
expect_status 0 "queue add takes a retired queue back" ctl queue add retire@help.test
check "queue add says it is back" grep -qF "queue retire@help.test taken back into service" <<<"$out"
milter_stop

# The schema check names a missing migration (numbered apart, landed late).
sql "DELETE FROM schema_migrations WHERE version = 1"
expect_status 1 "a database lacking one migration is refused" ctl stats
check "the refusal names it and says what to run" grep -qF "lacks migration 001_base: run 'ticketctl migrate'" <<<"$out"
sql "INSERT INTO schema_migrations (version, name) VALUES (1, '001_base')"
