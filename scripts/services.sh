# services.sh - start and stop a private PostgreSQL cluster and a private
# Postfix instance on loopback. Sourced by scripts/run.sh (`make run`) and
# by the test harness; never touches a system PostgreSQL or Postfix.
#
# Settings (environment):
#   SVC_DIR         state directory (required); created if missing
#   PG_PORT         PostgreSQL port on 127.0.0.1            (15432)
#
# Keep every port below the kernel's ephemeral range (32768 and up): an
# outgoing connection that happens to use the port makes the bind fail.
#   PF_PORT         Postfix smtpd port with the milter        (2525)
#   PF_INJECT_PORT  Postfix smtpd port without milters       (PF_PORT+1)
#   PF_PEER_PORT    Postfix smtpd port with the peer milter   (PF_PORT+2)
#   PF_PEER_MILTER  its smtpd_milters: a second help desk     (inet:127.0.0.1:8892)
#   PF_SASL_PORT    Postfix smtpd port with the milter and SMTP AUTH
#                   (Cyrus SASL: PLAIN and LOGIN against the sasldb
#                   $SVC_DIR/postfix/sasl/sasldb2, realm mx-sasl.ticket.test,
#                   the listener's host name: saslpasswd2 -f FILE -u REALM USER)  (PF_PORT+3)
#   PF_MILTER       smtpd_milters value, e.g. inet:127.0.0.1:8891
#   PF_MAILBOXES    addresses delivered to $SVC_DIR/mail/<domain>/<local>/
#
# pg_up exports PG_CONNINFO (and PGHOST, PGPORT, PGUSER, PGDATABASE).
# Everything else delivered by Postfix lands in $SVC_DIR/outgoing/ (a
# Maildir). The lines for ticket-milter are the ones README gives a mail
# admin (packaging/postfix/main.cf and master.cf): milter_default_action =
# tempfail, recipient_delimiter = +, every smtpd with the milter naming the
# cleanup service ticket-cleanup (in_flow_delay = 0: Postfix's in-flow
# tokens are never returned for mail the milter discards), and a listener
# without milters for OutboxRelay (PF_INJECT_PORT), with ticket-cleanup too. in_flow_delay itself
# keeps Postfix's default, so the tests see what an admin's Postfix does.
# Addresses @discard.test are discarded; mail for @relay.test is
# queued and sent by SMTP to PF_PORT, as a customer's MTA would, so tests
# can see what a queueing sender does with a 4xx; mail for @peer.test goes
# the same way to PF_PEER_PORT, where a second help desk (PF_PEER_MILTER)
# may listen, so two help desks can mail each other. Nothing else is relayed:
# no mail ever leaves the machine. Each *_down stops only what *_up
# started, by the PID it recorded.

PG_PORT=${PG_PORT:-15432}
PF_PORT=${PF_PORT:-2525}
PF_INJECT_PORT=${PF_INJECT_PORT:-$((PF_PORT + 1))}
PF_PEER_PORT=${PF_PEER_PORT:-$((PF_PORT + 2))}
PF_PEER_MILTER=${PF_PEER_MILTER:-inet:127.0.0.1:8892}
PF_SASL_PORT=${PF_SASL_PORT:-$((PF_PORT + 3))}
PF_MILTER=${PF_MILTER:-}
PF_MAILBOXES=${PF_MAILBOXES:-}
# The private cluster's settings (bench/bench_settings.sh lists them).
PG_SETTINGS="-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"

svc_say() { echo "services: $*" >&2; }

# svc_port_busy PORT - true if something accepts connections on 127.0.0.1:PORT
svc_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# svc_wait_port PORT SECONDS - wait until 127.0.0.1:PORT accepts connections
svc_wait_port() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do svc_port_busy "$1" && return 0; sleep 0.2; done
	return 1
}

# svc_setup_dir - make SVC_DIR exist and be reachable by the postgres and
# postfix users. A checkout under a private home (mode 0700) is not: then
# the state lives in /tmp and SVC_DIR becomes a symbolic link to it.
svc_setup_dir() {
	[ -n "${SVC_DIR:-}" ] || { svc_say "SVC_DIR is not set"; return 1; }
	if [ ! -e "$SVC_DIR" ]; then
		mkdir -p "$(dirname "$SVC_DIR")"
		if (cd / && runuser -u postgres -- test -x "$(dirname "$SVC_DIR")") 2>/dev/null; then
			mkdir -p "$SVC_DIR"
		else
			local real
			real=/tmp/ticket-milter-$(printf '%s' "$SVC_DIR" | md5sum | cut -c1-12)
			mkdir -p "$real"
			ln -s "$real" "$SVC_DIR"
			svc_say "$(dirname "$SVC_DIR") is not reachable by the postgres user; state kept in $real"
		fi
	fi
	chmod 755 "$SVC_DIR"
	SVC_REAL=$(cd "$SVC_DIR" && pwd -P)
}

# pg_bindir - the newest installed PostgreSQL server binaries
pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# pg_as_owner CMD... - run a PostgreSQL server command as its owner
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# pg_up - start the private cluster (initdb on first use), create the database
pg_up() {
	svc_setup_dir || return 1
	local bin data=$SVC_REAL/pg/data log=$SVC_REAL/pg/postgres.log
	bin=$(pg_bindir)
	[ -x "$bin/pg_ctl" ] || { svc_say "no PostgreSQL server found (apt-get install postgresql)"; return 1; }
	mkdir -p "$SVC_REAL/pg"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$SVC_REAL/pg"
	if [ ! -f "$data/PG_VERSION" ]; then
		pg_as_owner "$bin/initdb" -D "$data" -U ticket -A trust -E UTF8 --locale=C --no-sync >"$SVC_REAL/pg/initdb.log" 2>&1 \
			|| { cat "$SVC_REAL/pg/initdb.log" >&2; svc_say "initdb failed"; return 1; }
	fi
	export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=ticket PGDATABASE=tickets
	export PG_CONNINFO="host=127.0.0.1 port=$PG_PORT user=ticket dbname=tickets"
	if ! pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		if svc_port_busy "$PG_PORT"; then svc_say "port $PG_PORT is in use by another program"; return 1; fi
		# Unix sockets are off: everything goes over loopback TCP, so a
		# deep checkout path cannot exceed the socket path limit.
		pg_as_owner setsid "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 -o "-p $PG_PORT $PG_SETTINGS" start >/dev/null \
			|| { tail -n 20 "$log" >&2; svc_say "PostgreSQL did not start"; return 1; }
	fi
	psql -X -q -d postgres -tAc "select 1 from pg_database where datname='tickets'" | grep -q 1 \
		|| psql -X -q -d postgres -c 'create database tickets' >/dev/null
}

# pg_down - stop the private cluster; PURGE=1 also deletes its data
pg_down() {
	[ -n "${SVC_DIR:-}" ] && [ -d "$SVC_DIR/pg/data" ] || return 0
	local bin; bin=$(pg_bindir)
	pg_as_owner "$bin/pg_ctl" -D "$SVC_DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
	[ "${PURGE:-0}" = 1 ] && rm -rf "$SVC_DIR/pg"
	return 0
}

# pf_write FILE - write stdin to FILE only if the content changed; Postfix
# commands slow down while main.cf is very new, and a change means restart.
pf_write() {
	local new; new=$(cat)
	if [ -f "$1" ] && [ "$(cat "$1")" = "$new" ]; then return 1; fi
	printf '%s\n' "$new" >"$1"
}

# postfix_config - generate main.cf, master.cf and maps; true if changed
postfix_config() {
	local d=$SVC_REAL/postfix changed=1 a
	mkdir -p "$d/etc/sasl" "$d/spool" "$d/data" "$d/sasl" "$SVC_REAL/mail" "$SVC_REAL/outgoing"
	chown postfix: "$d/data" "$d/sasl" "$SVC_REAL/mail" "$SVC_REAL/outgoing"
	# SMTP AUTH on PF_SASL_PORT: Cyrus SASL with a private sasldb. Debian's
	# Postfix reads $config_directory/sasl/smtpd.conf whatever
	# cyrus_sasl_config_path says; others read that path.
	pf_write "$d/etc/sasl/smtpd.conf" <<-CONF
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN
	sasldb_path: $d/sasl/sasldb2
	CONF
	pf_write "$d/etc/main.cf" <<-CF && changed=0
	compatibility_level = 3.6
	queue_directory = $d/spool
	data_directory = $d/data
	myhostname = mx.ticket.test
	mydomain = ticket.test
	myorigin = ticket.test
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mydestination =
	alias_maps =
	alias_database =
	mynetworks = 127.0.0.0/8
	maillog_file = $d/maillog
	maillog_file_prefixes = $d
	recipient_delimiter = +
	virtual_mailbox_domains = static:all
	virtual_mailbox_base = $SVC_REAL
	virtual_mailbox_maps = texthash:$d/etc/vmailbox, static:outgoing/
	virtual_uid_maps = static:$(id -u postfix)
	virtual_gid_maps = static:$(id -g postfix)
	transport_maps = inline:{ discard.test=discard:silently, relay.test=smtp:[127.0.0.1]:$PF_PORT, peer.test=smtp:[127.0.0.1]:$PF_PEER_PORT }
	smtpd_milters = $PF_MILTER
	non_smtpd_milters =
	milter_default_action = tempfail
	smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
	CF
	pf_write "$d/etc/master.cf" <<-CF && changed=0
	127.0.0.1:$PF_PORT inet n - n - - smtpd -o myhostname=mx-in.ticket.test
	  -o cleanup_service_name=ticket-cleanup
	127.0.0.1:$PF_INJECT_PORT inet n - n - - smtpd -o smtpd_milters= -o non_smtpd_milters=
	  -o cleanup_service_name=ticket-cleanup
	127.0.0.1:$PF_PEER_PORT inet n - n - - smtpd -o smtpd_milters=$PF_PEER_MILTER -o myhostname=mx-peer.ticket.test
	  -o cleanup_service_name=ticket-cleanup
	127.0.0.1:$PF_SASL_PORT inet n - n - - smtpd -o myhostname=mx-sasl.ticket.test -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=cyrus -o smtpd_sasl_path=smtpd -o cyrus_sasl_config_path=$d/etc/sasl -o smtpd_sasl_security_options=noanonymous
	  -o cleanup_service_name=ticket-cleanup
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	ticket-cleanup unix n   -       n       -       0       cleanup
	  -o in_flow_delay=0
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	virtual   unix  -       n       n       -       -       virtual
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	CF
	for a in $PF_MAILBOXES; do
		echo "$a mail/${a#*@}/${a%@*}/"
	done | pf_write "$d/etc/vmailbox" && changed=0
	return $changed
}

# postfix_running - true if this instance's master process is alive
postfix_running() {
	local pid; pid=$(cat "$SVC_REAL/postfix/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# postfix_up - start the private instance, restarting it if the config changed
postfix_up() {
	svc_setup_dir || return 1
	id postfix >/dev/null 2>&1 || { svc_say "no postfix user (apt-get install postfix)"; return 1; }
	local d=$SVC_REAL/postfix
	if postfix_config && postfix_running; then
		postfix -c "$d/etc" stop >/dev/null 2>&1
		postfix_wait_gone
	fi
	if ! postfix_running; then
		for p in "$PF_PORT" "$PF_INJECT_PORT" "$PF_PEER_PORT" "$PF_SASL_PORT"; do
			if svc_port_busy "$p"; then svc_say "port $p is in use by another program"; return 1; fi
		done
		postfix -c "$d/etc" start >/dev/null 2>&1 \
			|| { tail -n 20 "$d/maillog" >&2; svc_say "Postfix did not start"; return 1; }
		svc_wait_port "$PF_PORT" 20 || { tail -n 20 "$d/maillog" >&2; svc_say "Postfix does not listen on $PF_PORT"; return 1; }
	fi
	export PF_MAILDIR=$SVC_REAL/mail PF_OUTGOING=$SVC_REAL/outgoing PF_MAILLOG=$d/maillog PF_CONFIG=$d/etc
	export PF_SASLDB=$d/sasl/sasldb2
}

# postfix_wait_gone - wait for the master process to exit, else abort it
postfix_wait_gone() {
	local i
	for i in $(seq 1 50); do postfix_running || return 0; sleep 0.2; done
	postfix -c "$SVC_REAL/postfix/etc" abort >/dev/null 2>&1 || true
}

# postfix_down - stop the private instance; PURGE=1 also deletes its state
postfix_down() {
	[ -n "${SVC_DIR:-}" ] && [ -d "$SVC_DIR/postfix/etc" ] || return 0
	SVC_REAL=$(cd "$SVC_DIR" && pwd -P)
	if postfix_running; then
		postfix -c "$SVC_REAL/postfix/etc" stop >/dev/null 2>&1
		postfix_wait_gone
	fi
	[ "${PURGE:-0}" = 1 ] && rm -rf "$SVC_REAL/postfix" "$SVC_REAL/mail" "$SVC_REAL/outgoing"
	return 0
}

# postfix_queue_wait SECONDS - wait until the instance's queue is empty
postfix_queue_wait() {
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[ -z "$(find "$SVC_REAL/postfix/spool/incoming" "$SVC_REAL/postfix/spool/active" \
			"$SVC_REAL/postfix/spool/deferred" "$SVC_REAL/postfix/spool/maildrop" -type f 2>/dev/null | head -n1)" ] && return 0
		sleep 0.2
	done
	return 1
}

# postfix_flush - ask the instance to retry its deferred mail now
postfix_flush() { postqueue -c "$SVC_REAL/postfix/etc" -f >/dev/null 2>&1; }

# milter_config FILE PORT [EXTRA] - write a ticket-milter config for the
# private PostgreSQL, listening on 127.0.0.1:PORT; EXTRA lines replace the
# settings of the same keys. UserID is the user running this (ticket-milter
# refuses to run as root without UserID).
milter_config() {
	local key
	mkdir -p "$SVC_REAL/tmp"
	cat >"$1.new" <<-CONF
	# ticket-milter configuration for the private services under $SVC_DIR
	Socket              inet:$2@127.0.0.1
	Database            $PG_CONNINFO
	PidFile             $SVC_REAL/ticket-milter-$2.pid
	Syslog              no
	TemporaryDirectory  $SVC_REAL/tmp
	MtaCopy             remove
	OutboxRelay         127.0.0.1:$PF_INJECT_PORT
	DatabaseTimeout     10
	UserID              $(id -un)
	CONF
	for key in $(printf '%s\n' "${3:-}" | awk '{print $1}'); do
		sed -i "/^$key[[:space:]]/Id" "$1.new"
	done
	[ -n "${3:-}" ] && printf '%s\n' "$3" >>"$1.new"
	mv "$1.new" "$1"
}

# milter_up BIN CONF PORT - start ticket-milter in the foreground mode in
# the background, logging to $SVC_REAL/ticket-milter-PORT.log
milter_up() {
	local bin=$1 conf=$2 port=$3 pidfile=$SVC_REAL/ticket-milter-$3.pid
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
	if svc_port_busy "$port"; then svc_say "port $port is in use by another program"; return 1; fi
	# setsid: the daemon outlives the shell (and the terminal) that started it.
	setsid "$bin" -f -c "$conf" >>"$SVC_REAL/ticket-milter-$port.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	svc_wait_port "$port" 20 || { tail -n 20 "$SVC_REAL/ticket-milter-$port.log" >&2; svc_say "ticket-milter did not start"; return 1; }
}

# milter_down PORT - stop the ticket-milter on PORT (SIGTERM, then SIGKILL)
milter_down() {
	local pidfile=$SVC_REAL/ticket-milter-$1.pid pid i
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if kill -TERM "$pid" 2>/dev/null; then
		# libmilter notices a stop only every 5 s.
		for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}
