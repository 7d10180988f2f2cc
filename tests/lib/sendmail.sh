# sendmail.sh - a private Sendmail on loopback with ticket-milter attached,
# for t_sendmail.sh and bench/bench_sendmail.sh. The binary and the m4
# files are Debian's, unpacked by scripts/fetch-sendmail.sh into
# var/sendmail/root (never installed: sendmail-bin conflicts with postfix).
# Source after tests/lib/env.sh (SVC_REAL, PF_INJECT_PORT, MILTER_PORT).
#
#   sm_fetch               get the private Sendmail; false if it cannot be had
#   sm_up [MILTER]         write sendmail.cf with m4 and start the daemon:
#                          SM_PORT (3735) with README's INPUT_MAIL_FILTER
#                          line, SM_OUTBOX_PORT (SM_PORT+1) without filters
#                          (README: OutboxRelay names such a daemon). With
#                          MILTER "none", no INPUT_MAIL_FILTER line at all
#   sm_down                stop it
#   sm_queue_wait SECONDS  wait until its queue is empty
#
# Mail for @discard.test is discarded (Sendmail's discard mailer); for
# every other domain it goes on by SMTP to Postfix's listener without
# milters (PF_INJECT_PORT, as SMART_HOST), which delivers everything into
# the harness's Maildirs: nothing leaves the machine. Sendmail runs as
# root; every file it writes is under $SVC_REAL/sendmail (its own queue,
# pid file, status file, service switch, empty aliases), no DNS is asked
# (service switch: hosts from files), and it listens on 127.0.0.1 only.

SM_ROOT=${SM_ROOT:-$TM_ROOT/var/sendmail}
SM_PORT=${SM_PORT:-3735}
SM_OUTBOX_PORT=${SM_OUTBOX_PORT:-$((SM_PORT + 1))}
SM_BIN=$SM_ROOT/root/usr/libexec/sendmail/sendmail

# sm_fetch - the private Sendmail and m4 are there, or are fetched now
sm_fetch() {
	command -v m4 >/dev/null || { echo "sendmail: m4 is missing (scripts/install-deps.sh)" >&2; return 1; }
	bash "$TM_ROOT/scripts/fetch-sendmail.sh" "$SM_ROOT" || return 1
	"$SM_BIN" -d0.1 -bt -C /dev/null </dev/null 2>&1 | grep -q '^Version 8\.' \
		|| { echo "sendmail: the private binary does not run (libwrap0 missing?)" >&2; return 1; }
}

# sm_filter_line - README's INPUT_MAIL_FILTER line, the one a mail admin copies
sm_filter_line() {
	grep -m1 "^ *INPUT_MAIL_FILTER(\`ticket-milter'" "$TM_ROOT/README.md" | sed 's/^ *//'
}

# sm_outbox_line - README's DAEMON_OPTIONS line: the daemon for OutboxRelay
sm_outbox_line() {
	grep -m1 "^ *DAEMON_OPTIONS(\`Port=10026" "$TM_ROOT/README.md" | sed 's/^ *//'
}

# sm_mc [MILTER] - the sendmail.mc on stdout
sm_mc() {
	local d=$SVC_REAL/sendmail filter outbox
	# README's lines; the harness changes only the addresses: the filter's
	# unix socket becomes the test daemon's loopback port, the port of the
	# daemon for OutboxRelay SM_OUTBOX_PORT.
	filter=$(sm_filter_line | sed "s|S=local:[^,]*|S=inet:$MILTER_PORT@127.0.0.1|")
	[ "${1:-}" = none ] && filter="dnl no filter"
	outbox=$(sm_outbox_line | sed "s|Port=10026|Port=$SM_OUTBOX_PORT|")
	cat <<-MC
	divert(-1)
	# sendmail.mc of the harness's private Sendmail (tests/lib/sendmail.sh)
	divert(0)dnl
	OSTYPE(\`linux')dnl
	define(\`confDOMAIN_NAME', \`mx-sm.ticket.test')dnl
	define(\`QUEUE_DIR', \`$d/queue')dnl
	define(\`confPID_FILE', \`$d/sendmail.pid')dnl
	define(\`STATUS_FILE', \`$d/sendmail.st')dnl
	define(\`ALIAS_FILE', \`$d/aliases')dnl
	define(\`HELP_FILE', \`$SM_ROOT/root/etc/mail/helpfile')dnl
	define(\`confSERVICE_SWITCH_FILE', \`$d/service.switch')dnl
	define(\`confDONT_PROBE_INTERFACES', \`True')dnl
	define(\`confQUEUE_LA', \`1000')dnl
	define(\`confREFUSE_LA', \`1000')dnl
	define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
	define(\`RELAY_MAILER_ARGS', \`TCP \$h $PF_INJECT_PORT')dnl
	FEATURE(\`no_default_msa')dnl
	FEATURE(\`nocanonify')dnl
	FEATURE(\`accept_unresolvable_domains')dnl
	DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
	RELAY_DOMAIN(\`sm.test help.test')dnl
	$outbox
	$filter
	MAILER(\`smtp')dnl
	MAILER_DEFINITIONS
	Mdiscard, P=$d/discard, F=, A=discard \$u
	LOCAL_RULE_0
	R\$* < @ discard.test . > \$*	\$#discard \$@ discard.test \$: discard
	MC
}

# sm_running - true if the private daemon is alive
sm_running() {
	local pid; pid=$(head -n1 "$SVC_REAL/sendmail/sendmail.pid" 2>/dev/null)
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# sm_up [MILTER] - generate sendmail.cf and (re)start the daemon
sm_up() {
	local d=$SVC_REAL/sendmail cf=$SM_ROOT/root/usr/share/sendmail/cf p
	sm_down
	mkdir -p "$d/queue"
	chmod 700 "$d/queue"
	: >"$d/aliases"
	printf '#!/bin/sh\nexec cat >/dev/null\n' >"$d/discard"
	chmod 755 "$d/discard"
	printf 'hosts\tfiles\naliases\tfiles\n' >"$d/service.switch"
	sm_mc "${1:-}" >"$d/sendmail.mc"
	m4 -D_CF_DIR_="$cf/" "$cf/m4/cf.m4" "$d/sendmail.mc" >"$d/sendmail.cf" 2>"$d/m4.log" \
		|| { cat "$d/m4.log" >&2; return 1; }
	for p in "$SM_PORT" "$SM_OUTBOX_PORT"; do
		if svc_port_busy "$p"; then svc_say "port $p is in use by another program"; return 1; fi
	done
	"$SM_BIN" -C "$d/sendmail.cf" -bd -q10s >"$d/start.log" 2>&1 </dev/null \
		|| { cat "$d/start.log" >&2; return 1; }
	svc_wait_port "$SM_PORT" 20 && svc_wait_port "$SM_OUTBOX_PORT" 5 \
		|| { cat "$d/start.log" >&2; svc_say "Sendmail does not listen on $SM_PORT"; return 1; }
}

# sm_down - stop the daemon this harness started, by its pid file
sm_down() {
	local pid i
	pid=$(head -n1 "$SVC_REAL/sendmail/sendmail.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$SVC_REAL/sendmail/sendmail.pid"
}

# sm_queue_wait SECONDS - wait until the private queue is empty
sm_queue_wait() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[ -z "$(find "$SVC_REAL/sendmail/queue" -type f -name 'qf*' 2>/dev/null | head -n1)" ] && return 0
		sleep 0.2
	done
	return 1
}
