# env.sh - the real services the integration tests use, started once per
# test run by tests/run.sh: a private PostgreSQL and a private Postfix on
# loopback under var/check/, with ticket-milter attached on MILTER_PORT.
# Ports differ from `make run`, so both can run at once; to run two test
# runs at once, give the second its own SVC_DIR, PG_PORT, PF_PORT,
# PF_INJECT_PORT, PF_PEER_PORT and MILTER_PORT (the peer milter of
# t_loop.sh listens on MILTER_PORT+1; Postfix's SMTP AUTH listener, for
# t_sasl.sh, on PF_SASL_PORT, PF_PORT+3 unless set; t_sendmail's private
# Sendmail on SM_PORT and SM_PORT+1, 3735 unless set: tests/lib/sendmail.sh;
# t_reliability_db's pgbouncer on PG_BOUNCER_PORT, PG_PORT+1 unless set;
# t_reliability_failover's pg_auto_failover monitor and nodes on FO_PORT to
# FO_PORT+2, PG_PORT+10 unless set: tests/lib/failover.sh).
#
#   env_up / env_down      start (fresh state) / stop everything
#   milter_start [LINES]   (re)start ticket-milter with extra config LINES
#   milter_stop            stop it
#   queue_add ARGS...      ticketctl queue add ARGS, then wait until the
#                          running milter has loaded the new queue list
#   sql QUERY              run a query, print unaligned rows
#   send ARGS...           swaks through the Postfix instance with the milter
#   mail FROM TO SUBJECT MSGID [HEADER...]
#                          send a plain message built from these (body: $BODY)
#   outgoing_to ADDRESS    the delivered outgoing mail for an address, oldest first
#   header FILE NAME       one header field's value, unfolded
#   check_unchanged NAME FILE MSGID
#                          pass if the mail with MSGID delivered to
#                          bob@mbox.test is FILE from its Date field on

export SVC_DIR=${SVC_DIR:-$TM_ROOT/var/check} PG_PORT=${PG_PORT:-15442}
export PF_PORT=${PF_PORT:-2625} PF_INJECT_PORT=${PF_INJECT_PORT:-2626}
export MILTER_PORT=${MILTER_PORT:-8991} PF_PEER_PORT=${PF_PEER_PORT:-$((PF_PORT + 2))}
export PF_SASL_PORT=${PF_SASL_PORT:-$((PF_PORT + 3))}
export PF_MILTER=inet:127.0.0.1:$MILTER_PORT PF_PEER_MILTER=inet:127.0.0.1:$((MILTER_PORT + 1))
export PF_MAILBOXES="bob@mbox.test"
. "$TM_ROOT/scripts/services.sh"
export TM_CONF=$SVC_DIR/ticket-milter.conf

# env_up - fresh PostgreSQL with the schema and a queue, Postfix, no milter yet
env_up() {
	PURGE=1 env_down
	rm -rf "$SVC_DIR"
	pg_up || return 1
	milter_config "$TM_CONF" "$MILTER_PORT" || return 1
	"$TM_BUILD/ticketctl" -c "$TM_CONF" init >/dev/null || return 1
	"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add support@help.test --name Support >/dev/null || return 1
	postfix_up || return 1
}

# env_down - stop what env_up and the tests started
env_down() {
	[ -e "$SVC_DIR" ] || return 0
	SVC_REAL=$(cd "$SVC_DIR" && pwd -P)
	milter_down "$MILTER_PORT"
	# A Sendmail that a killed t_sendmail left running (tests/lib/sendmail.sh)
	[ -f "$SVC_REAL/sendmail/sendmail.pid" ] && kill "$(head -n1 "$SVC_REAL/sendmail/sendmail.pid")" 2>/dev/null
	postfix_down
	pg_down
}

# env_load - in a test script: the settings env_up exported
env_load() {
	SVC_REAL=$(cd "$SVC_DIR" && pwd -P)
	export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=ticket PGDATABASE=tickets
	export PG_CONNINFO="host=127.0.0.1 port=$PG_PORT user=ticket dbname=tickets"
	export PF_MAILDIR=$SVC_REAL/mail PF_OUTGOING=$SVC_REAL/outgoing PF_MAILLOG=$SVC_REAL/postfix/maillog
	export PF_SASLDB=$SVC_REAL/postfix/sasl/sasldb2
}

# milter_start [LINES] - (re)start ticket-milter, extra config lines appended
milter_start() {
	local log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
	milter_down "$MILTER_PORT"
	# Only what the new daemon writes counts: the old one may have
	# reloaded its queue list just before it stopped.
	MILTER_LOG_MARK=$(cat "$log" 2>/dev/null | wc -l)
	milter_config "$TM_CONF" "$MILTER_PORT" "${1:-}"
	milter_up "$TM_BUILD/ticket-milter" "$TM_CONF" "$MILTER_PORT" || return 1
	# Until its first load of the queues the daemon tempfails support mail;
	# wait for it (a test that keeps the database down waits in vain, 10 s).
	wait_for 10 milter_loaded || true
}

# milter_loaded - the daemon milter_start started last has loaded its queue list
milter_loaded() {
	tail -n +$((${MILTER_LOG_MARK:-0} + 1)) "$SVC_REAL/ticket-milter-$MILTER_PORT.log" 2>/dev/null \
		| grep -q 'loaded [0-9]* support address'
}

# milter_stop - stop ticket-milter and show sanitizer reports from its log
milter_stop() {
	milter_down "$MILTER_PORT"
}

# milter_log_clean - true unless the milter's log holds a sanitizer report
milter_log_clean() {
	! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$SVC_REAL/ticket-milter-$MILTER_PORT.log"
}

# queue_add ARGS... - add a queue; wait until the milter's last "loaded N
# support address(es)" log line counts every queue in service
queue_add() {
	local log=$SVC_REAL/ticket-milter-$MILTER_PORT.log want
	"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add "$@" >/dev/null || return 1
	want=$(sql "SELECT count(*) FROM queues WHERE retired_at IS NULL")
	wait_for 10 bash -c "grep 'loaded [0-9]* support address' '$log' | tail -n 1 | grep -q 'loaded $want '"
}

# sql QUERY - run a query against the test database
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# stored_raw MSGID - the stored bytes of the message with that Message-ID
stored_raw() { sql "SELECT encode(raw, 'base64') FROM messages WHERE message_id = '$1'" | base64 -d; }

# count_msgid MSGID - how many stored messages carry that Message-ID
count_msgid() { sql "SELECT count(*) FROM messages WHERE message_id = '$1'"; }

# crlf - standard input with CRLF line ends, as SMTP carries it
crlf() { sed 's/$/\r/'; }

# exact_message TO MSGID - a message with a folded header, a tab after a
# colon, an encoded subject, a leading dot and trailing blank lines, which
# the help desk must store byte for byte; CRLF line ends
exact_message() {
	crlf <<MSG
Date: Sat, 28 Nov 2026 10:00:00 +0100
From: =?UTF-8?Q?Ren=C3=A9e_Customer?= <Renee@Customer.test>
To: Support <$1>
Subject: =?UTF-8?B?RHJ1Y2tlciBrYXB1dHQg4oCUIGJpdHRlIGhlbGZlbg==?=
Message-ID: <$2>
X-Folded: first part
	second part
X-Tab:	after a tab
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The printer says "PC LOAD LETTER".
.a line with a leading dot

MSG
}

# send ARGS - swaks through the Postfix instance that has the milter. swaks
# replaces its own header field only when the name is spelled as its own:
# "Message-ID:" would be a second field after its "Message-Id:", and the
# parser reads the first (two Message-IDs are a defect).
send() { swaks --server 127.0.0.1:"$PF_PORT" --silent 2 "$@"; }

# mail FROM TO SUBJECT MSGID [HEADER...] - send a plain message with these
# fields and extra header lines (e.g. "In-Reply-To: <x>"); body from $BODY
mail() {
	local from=$1 to=$2 subject=$3 msgid=$4 f rc h; shift 4
	f=$(mktemp /tmp/tm-mail.XXXXXX)
	{
		printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n' "$from" "$to" "$subject" "$msgid"
		printf 'Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n'
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\n%s\r\n' "${BODY:-Hello.}"
	} >"$f"
	h=${from##*<}
	send --from "${h%>}" --to "$to" --data "@$f"
	rc=$?
	rm -f "$f"
	return $rc
}

# outgoing_to ADDRESS - the outgoing mail files delivered to ADDRESS, oldest first
outgoing_to() {
	grep -rlsi "^X-Original-To: $1\$" "$PF_OUTGOING/new" 2>/dev/null | xargs -r ls -tr 2>/dev/null
}

# header FILE NAME - one header field's value, unfolded
header() {
	sed -n '/^$/q;p' "$1" | sed -e ':a' -e 'N;$!ba' -e 's/\n[ \t]\+/ /g' \
		| grep -i "^$2:" | head -n1 | sed "s/^[^:]*: *//"
}

# check_unchanged NAME FILE MSGID - pass if the mail with MSGID that
# reached bob@mbox.test is FILE (CRLF, sent by SMTP) from its Date field
# on: the MTAs prepend Return-Path, X-Original-To, Delivered-To and
# their Received fields, and change nothing else
check_unchanged() {
	local delivered
	wait_for 15 bash -c "grep -rqsl '$3' '$PF_MAILDIR/mbox.test/bob/new'"
	delivered=$(grep -rls "$3" "$PF_MAILDIR/mbox.test/bob/new" | head -n1)
	if [ -z "$delivered" ]; then
		fail "$1" "not delivered to bob@mbox.test"
		return
	fi
	check "$1" cmp <({ tr -d '\r' <"$2"; echo; }) <(sed -n '/^Date:/,$p' "$delivered")
}
