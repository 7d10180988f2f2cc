# reliability.sh - what the t_reliability_* scripts share: a queueing
# sender that loads the milter, and the three numbers each scenario is
# judged by. Sourced after testlib.sh and env.sh (env_load done).
#
# The queueing sender is the private Postfix itself: smtp-source hands
# messages to its inject port (no milter), and mail for @relay.test is
# relayed by SMTP to the port with the milter, as a customer's MTA would
# send it: a 4xx there leaves the message queued (deferred), and
# postfix_flush makes it try again now.
#
#   rel_queue QUEUE            add the support queue QUEUE@relay.test (a name
#                              new to the database: counts are per queue)
#   rel_load QUEUE N [BYTES]   hand N messages for QUEUE@relay.test to the sender
#   rel_drain QUEUE N SECONDS  retry until N are stored and the queue is empty
#   rel_stored QUEUE           messages stored for the queue
#   rel_distinct QUEUE         ... with distinct Message-IDs
#   rel_deferred QUEUE         relay attempts answered 4xx (from the mail log)
#   rel_report QUEUE N         one line: sent, answered 4xx, stored, distinct
#   rel_check LABEL QUEUE N    assert: all N stored, none twice
#   rel_finish LABEL QUEUE N LOADER START SECONDS WHAT
#                              wait for the loading sender, drain, report and
#                              assert: WHAT was answered 4xx, nothing lost or
#                              stored twice
#   rel_pair2_up [LINES]       a second MX: a Postfix with its own ticket-milter
#                              (extra config LINES) on the same database
#   rel_pair2_down             stop it
#   rel_msg FILE FROM TO SUBJECT MSGID [HEADER...]   a message file, CRLF
#   rel_deliver DIR WORK [TO]  every file in DIR through both MX at once (to
#                              TO, support@help.test unless given), the 4xx
#                              ones again, as a queueing sender would
#   milter_pid                 the running ticket-milter's process id
#   milter_alive               true if it still answers

# rel_queue QUEUE - add QUEUE@relay.test as a support queue, wait until loaded
rel_queue() { queue_add "$1@relay.test"; }

# rel_load QUEUE N [BYTES] - N messages from QUEUE-load@sender.test to the
# queue, through the queueing sender; true if the sender took all N
rel_load() {
	smtp-source -s 10 -m "$2" -l "${3:-2000}" -f "$1-load@sender.test" \
		-t "$1@relay.test" 127.0.0.1:"$PF_INJECT_PORT"
}

# rel_stored QUEUE - how many messages are stored for the queue
rel_stored() {
	sql "SELECT count(*) FROM messages WHERE envelope_recipients = ARRAY['$1@relay.test']"
}

# rel_distinct QUEUE - how many distinct Message-IDs are stored for it
rel_distinct() {
	sql "SELECT count(DISTINCT message_id) FROM messages WHERE envelope_recipients = ARRAY['$1@relay.test']"
}

# rel_deferred QUEUE - relay attempts the milter side answered with a 4xx
rel_deferred() {
	grep -c "to=<$1@relay.test>.*status=deferred" "$PF_MAILLOG"
}

# rel_queue_empty - true if the Postfix queue holds no message
rel_queue_empty() {
	[ -z "$(find "$SVC_REAL/postfix/spool/incoming" "$SVC_REAL/postfix/spool/active" \
		"$SVC_REAL/postfix/spool/deferred" "$SVC_REAL/postfix/spool/maildrop" -type f 2>/dev/null | head -n1)" ]
}

# rel_drain QUEUE N SECONDS - flush the deferred mail until N messages are
# stored for QUEUE and the Postfix queue is empty, at most SECONDS
rel_drain() {
	local deadline=$(( $(date +%s) + $3 ))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if rel_queue_empty && [ "$(rel_stored "$1")" -ge "$2" ]; then
			return 0
		fi
		postfix_flush
		sleep 2
	done
	return 1
}

# rel_report QUEUE N - the scenario's numbers on one line
rel_report() {
	echo "  sent $2, answered 4xx $(rel_deferred "$1") times (retried), stored $(rel_stored "$1"), distinct $(rel_distinct "$1")"
}

# rel_check LABEL QUEUE N - the two assertions every scenario makes
rel_check() {
	check_eq "$1: nothing lost ($3 sent, all stored)" "$3" "$(rel_stored "$2")"
	check_eq "$1: nothing stored twice" "$(rel_stored "$2")" "$(rel_distinct "$2")"
}

# rel_finish LABEL QUEUE N LOADER START SECONDS WHAT - the end of a load
# scenario: the sender (process LOADER) took all N, the queue drains within
# SECONDS, the time since START and the numbers; WHAT was answered 4xx
rel_finish() {
	wait "$4"
	check "the sender took all $3 messages" test $? = 0
	rel_drain "$2" "$3" "$6"
	echo "  ($(( $(date +%s) - $5 )) s)"
	rel_report "$2" "$3"
	check "$7 was answered 4xx and retried" test "$(rel_deferred "$2")" -gt 0
	rel_check "$1" "$2" "$3"
}

# milter_pid - the process id of the ticket-milter on MILTER_PORT
milter_pid() { cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid" 2>/dev/null; }

# milter_alive - true if the daemon runs and takes a support message
milter_alive() {
	local id="alive-$RANDOM-$(date +%s%N)@rel.test"
	kill -0 "$(milter_pid)" 2>/dev/null || return 1
	send --from alive@rel.test --to support@help.test --header "Message-ID: <$id>" \
		--header "Subject: still alive?" >/dev/null 2>&1 || return 1
	[ "$(sql "SELECT count(*) FROM messages WHERE message_id = '$id'")" = 1 ]
}

# rel_stored_at_least QUEUE N - true once N messages are stored (for wait_for)
rel_stored_at_least() { [ "$(rel_stored "$1")" -ge "$2" ]; }

# sql_is VALUE QUERY - true if the query prints VALUE (for wait_for)
sql_is() { [ "$(sql "$2")" = "$1" ]; }

# The second MX of the t_reliability_pair* scenarios.
PF2_PORT=${REL_PF2_PORT:-$((PF_PORT + 10))}
PF2_INJECT_PORT=${REL_PF2_INJECT_PORT:-$((PF_INJECT_PORT + 10))}	# and PF2_PORT + 2, unused
MILTER2_PORT=${REL_MILTER2_PORT:-$((MILTER_PORT + 10))}
pair2=$SVC_REAL/pair2
conf2=$pair2/ticket-milter.conf

# rel_pair2_up [LINES] - a second Postfix and ticket-milter (extra config
# LINES) on the same database; true if both run
rel_pair2_up() {
	mkdir -p "$pair2"
	(export SVC_DIR=$pair2 PF_PORT=$PF2_PORT PF_INJECT_PORT=$PF2_INJECT_PORT \
		PF_PEER_PORT=$((PF2_PORT + 2)) PF_SASL_PORT=$((PF2_PORT + 3)) PF_MILTER=inet:127.0.0.1:$MILTER2_PORT \
		PF_PEER_MILTER=inet:127.0.0.1:$MILTER2_PORT; postfix_up) >"$pair2.log" 2>&1 \
		|| { fail "a second Postfix starts" "$(tail -n 5 "$pair2.log")"; return 1; }
	milter_config "$conf2" "$MILTER2_PORT" "${1:-}"
	milter_up "$TM_BUILD/ticket-milter" "$conf2" "$MILTER2_PORT" \
		|| { fail "a second ticket-milter starts" "see ticket-milter-$MILTER2_PORT.log"; return 1; }
}

# rel_pair2_down - stop the second milter and the second Postfix
rel_pair2_down() {
	milter_down "$MILTER2_PORT"
	(SVC_DIR=$pair2; PURGE=1 postfix_down)
	rm -rf "$pair2" "$pair2.log"
}

# rel_msg FILE FROM TO SUBJECT MSGID [HEADER...] - a message file, CRLF
rel_msg() {
	local f=$1 from=$2 to=$3 subject=$4 id=$5 h; shift 5
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n' "$from" "$to" "$subject" "$id"
		printf 'Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n'
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\nMessage %s.\r\n' "$id"
	} >"$f"
}

# rel_deliver DIR WORK [TO] - every file in DIR through both MX at once, to
# TO (support@help.test); the 4xx ones again, as a queueing sender would,
# until all are taken (5 rounds at most); WORK holds the answers
rel_deliver() {
	local files round out tempfails=0
	files=("$1"/*.eml)
	for round in 1 2 3 4 5; do
		out=$(python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT,$PF2_PORT" --conns 16 \
			--from customer@customer.test --to "${3:-support@help.test}" --codes "$2/codes" "${files[@]}")
		echo "  round $round: $out"
		tempfails=$((tempfails + $(awk '$3 >= 400 && $3 < 500' "$2/codes" | wc -l)))
		mapfile -t files < <(awk '$3 != 250 { print $1 }' "$2/codes" | sort -u)
		[ ${#files[@]} -eq 0 ] && break
	done
	echo "  answered 4xx: $tempfails"
	[ ${#files[@]} -eq 0 ]
}
