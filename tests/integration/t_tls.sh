#!/usr/bin/env bash
# t_tls - the daemon and ticketctl reach PostgreSQL over TLS with the
# server's certificate verified (sslmode=verify-full). The test makes a CA
# and server certificates with openssl, turns ssl on in the private
# cluster (restored at the end), and lets its role tm_tls in by TLS only
# (pg_hba hostssl; hostnossl rejects). Every connection the daemon holds
# (pool, queue list, outbox senders) and ticketctl's must be TLS in
# pg_stat_ssl. Then a man in the middle: a certificate of another CA, one
# for another host name, and a server without TLS under sslmode=require:
# nothing is stored, the sender gets 451 and the log names the failure.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-tls.XXXXXX)
tls=$SVC_REAL/tls-test
hba=$SVC_REAL/pg/data/pg_hba.conf
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
locker=

# tls_restore - the cluster's own settings and the default config back
tls_restore() {
	[ -n "$locker" ] && kill "$locker" 2>/dev/null
	milter_stop
	[ -f "$work/pg_hba.conf" ] && cp "$work/pg_hba.conf" "$hba"
	for key in ssl ssl_cert_file ssl_key_file; do sql "ALTER SYSTEM RESET $key" 2>/dev/null; done
	sql "SELECT pg_reload_conf()" >/dev/null 2>&1
	milter_config "$TM_CONF" "$MILTER_PORT"
	rm -rf "$work" "$tls"
}
trap tls_restore EXIT

# --- certificates ------------------------------------------------------------

# make_ca NAME - a CA: NAME.pem and NAME.key
make_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=ticket-milter test $1" -keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null
}

# make_cert NAME CA CN SAN - a server certificate NAME.pem/.key signed by CA
make_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$3" \
		-keyout "$tls/$1.key" -out "$work/$1.csr" 2>/dev/null &&
	openssl x509 -req -in "$work/$1.csr" -CA "$tls/$2.pem" -CAkey "$tls/$2.key" -CAcreateserial \
		-days 2 -out "$tls/$1.pem" -extfile <(printf 'subjectAltName=%s\n' "$4") 2>/dev/null
}

mkdir -p "$tls" && chmod 755 "$tls"
make_ca ca && make_ca other-ca &&
make_cert server ca "tm-tls server" "IP:127.0.0.1,DNS:localhost" &&
make_cert rogue other-ca "tm-tls rogue" "IP:127.0.0.1,DNS:localhost" &&
make_cert wrong-host ca "other.test" "DNS:other.test"
check "openssl made the CAs and the certificates" test -s "$tls/wrong-host.pem"
# PostgreSQL refuses a key that others can read.
chown postgres: "$tls"/*.key "$tls"/*.pem 2>/dev/null
chmod 600 "$tls"/*.key

# --- the cluster with TLS ----------------------------------------------------

# server_cn - the CN of the certificate the server presents now
server_cn() {
	openssl s_client -starttls postgres -connect 127.0.0.1:"$PG_PORT" </dev/null 2>/dev/null \
		| openssl x509 -noout -subject -nameopt multiline 2>/dev/null | sed -n 's/^ *commonName *= *//p'
}

# serve CERT - the server presents CERT to new connections (ssl on, reload)
serve() {
	sql "ALTER SYSTEM SET ssl_cert_file = '$tls/$1.pem'" && sql "ALTER SYSTEM SET ssl_key_file = '$tls/$1.key'" &&
	sql "ALTER SYSTEM SET ssl = on" && sql "SELECT pg_reload_conf()" >/dev/null &&
	wait_for 10 bash -c "[ \"\$(server_cn)\" = '$2' ]"
}
export -f server_cn
export PG_PORT

# kick - close the daemon's connections: what it opens next meets the server as it is now
kick() { sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tm_tls'" >/dev/null; }

cp "$hba" "$work/pg_hba.conf"
{ printf 'hostssl all tm_tls 127.0.0.1/32 trust\nhostnossl all tm_tls 127.0.0.1/32 reject\n'; cat "$work/pg_hba.conf"; } >"$hba"
sql "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tm_tls') THEN CREATE ROLE tm_tls LOGIN IN ROLE ticket; END IF; END\$\$"
check "PostgreSQL serves TLS with the test's certificate" serve server "tm-tls server"

good="host=127.0.0.1 port=$PG_PORT user=tm_tls dbname=tickets sslmode=verify-full sslrootcert=$tls/ca.pem"
check "without TLS the role tm_tls is refused by the server (hostnossl reject)" \
	bash -c "! psql -X -At 'host=127.0.0.1 port=$PG_PORT user=tm_tls dbname=tickets sslmode=disable' -c 'SELECT 1' 2>&1 | grep -q '^1\$'"

# ticketctl and the daemon, both with the verify-full conninfo
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
milter_start "Database $good
VerifySenders no
OutboxSenders 2" || { fail "ticket-milter starts" "see its log"; exit 1; }
check "ticketctl adds a queue over TLS" queue_add tls-desk@help.test --name "TLS desk" --confirm always
check "ticketctl by host name (the certificate's DNS:localhost)" \
	"$TM_BUILD/ticketctl" -c <(sed "s/host=127.0.0.1/host=localhost/" "$TM_CONF") queue list

BODY="Encrypted hello." mail "Carol Customer <carol@customer.test>" tls-desk@help.test "Over TLS" tls-1@customer.test
check_eq "the message is stored over TLS" 1 "$(count_msgid tls-1@customer.test)"
check "the outbox sender sends the confirmation (it reads the outbox over TLS)" \
	wait_for 15 outgoing_to carol@customer.test

# daemon_tls - for each connection the daemon holds to PostgreSQL (by its
# client port): "connections TLS-ones TLS-versions"
daemon_tls() {
	local pid ports
	pid=$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")
	ports=$(ss -Htnp state established "( dport = :$PG_PORT )" | grep "pid=$pid," \
		| awk '{ n = split($3, a, ":"); print a[n] }' | paste -sd, -)
	[ -n "$ports" ] || { echo "0 0 -"; return; }
	sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE s.ssl) || ' ' || coalesce(string_agg(DISTINCT s.version, ','), '-')
	     FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
	     WHERE a.client_addr = '127.0.0.1' AND a.client_port IN ($ports)"
}
read -r conns tlsconns versions <<<"$(daemon_tls)"
echo "  the daemon holds $conns connections, $tlsconns over TLS ($versions)"
# The pool's connection, the queue list's and one per outbox sender.
check "the daemon holds pool, queue list and both outbox senders' connections" test "${conns:-0}" -ge 4
check_eq "every connection of the daemon is TLS" "$conns" "$tlsconns"
check "... with a TLS version in pg_stat_ssl" grep -qE '^TLSv1\.[23]' <<<"$versions"

# ticketctl's connection, caught while it waits for a lock the test holds
# (the idle daemon reads no queue meanwhile: only ticketctl waits)
locked="SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
	WHERE a.application_name = 'tm-tls-locker' AND l.mode = 'AccessExclusiveLock' AND l.granted"
waiting="SELECT s.ssl || ' ' || s.version FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
	WHERE a.usename = 'tm_tls' AND (SELECT pid FROM pg_stat_activity
	WHERE application_name = 'tm-tls-locker') = ANY (pg_blocking_pids(a.pid))"
export locked waiting
PGAPPNAME=tm-tls-locker psql -X -q -c "BEGIN; LOCK TABLE queues IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20); COMMIT" \
	>/dev/null 2>&1 & locker=$!
wait_for 10 bash -c '[ -n "$(psql -X -At -c "$locked")" ]'
ctl queue list >/dev/null 2>&1 & ctlpid=$!
wait_for 10 bash -c '[ -n "$(psql -X -At -c "$waiting")" ]'
got=$(sql "$waiting")
echo "  ticketctl's connection: ssl, version = $got"
check "ticketctl's connection is TLS in pg_stat_ssl" grep -qE '^true TLSv1\.[23]$' <<<"$got"
kill "$locker" 2>/dev/null; sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'tm-tls-locker'" >/dev/null
wait "$locker" 2>/dev/null; locker=
wait "$ctlpid"
check_eq "ticketctl's command completes once the lock is gone" 0 $?

# --- a man in the middle -----------------------------------------------------

# attack NAME MSGID PATTERN - mail while the server is as the case made it:
# up to three messages (the first may meet a connection the kick closed)
# until one is refused for lack of a connection; pass if each got 451,
# none is stored, and the log names the failure (PATTERN)
attack() {
	local name=$1 from i out answers=0 stored=0 lines=
	from=$(wc -l <"$log")
	kick
	for i in 1 2 3; do
		out=$(swaks --server 127.0.0.1:"$PF_PORT" --from carol@customer.test --to tls-desk@help.test \
			--header "Subject: $name" --header "Message-Id: <$2-$i@customer.test>" --body "x" 2>&1)
		grep -q '^<\*\* 451 4.3.0 Ticket database unavailable' <<<"$out" && answers=$((answers + 1))
		stored=$((stored + $(count_msgid "$2-$i@customer.test")))
		lines=$(tail -n +"$((from + 1))" "$log" | grep 'not stored: cannot connect to the database')
		[ -n "$lines" ] && break
	done
	check_eq "$name: every message answered 451 4.3.0 (the sender keeps it)" "$i" "$answers"
	check_eq "$name: nothing stored" 0 "$stored"
	check "$name: the log says why" grep -qE "$3" <<<"$lines"
	printf '    %s\n' "$(head -n1 <<<"$lines")"
}

check "the server presents a certificate of another CA" serve rogue "tm-tls rogue"
attack "a certificate of another CA" tls-rogue \
	'not stored: cannot connect to the database: .*certificate verify failed \(the server.s TLS certificate is not signed by a CA in the file sslrootcert names'
check "ticketctl refuses it and says why" bash -c "ctl_out=\$('$TM_BUILD/ticketctl' -c '$TM_CONF' queue list 2>&1); [ \$? -ne 0 ] && grep -q 'certificate verify failed' <<<\"\$ctl_out\""

check "the server presents a certificate for another host name" serve wrong-host "other.test"
attack "a certificate for another host name" tls-host \
	'not stored: cannot connect to the database: .*server certificate for "other.test" .*does not match host name "127.0.0.1"'

# sslmode=require and a server without TLS: the daemon starts while TLS is
# on (require checks no certificate), then the server drops TLS.
serve server "tm-tls server"
milter_start "Database host=127.0.0.1 port=$PG_PORT user=tm_tls dbname=tickets sslmode=require
VerifySenders no
OutboxSenders 2" || fail "ticket-milter restarts with sslmode=require" "see its log"
sql "ALTER SYSTEM SET ssl = off" && sql "SELECT pg_reload_conf()" >/dev/null
check "the server no longer offers TLS" wait_for 10 bash -c '[ -z "$(server_cn)" ]'
attack "sslmode=require, a server without TLS" tls-plain \
	'not stored: cannot connect to the database: .*server does not support SSL, but SSL was required'

# And back: with the right certificate the daemon stores again, once it
# has read the queue list over TLS (a loaded machine may take a while).
serve server "tm-tls server"
milter_start "Database $good
VerifySenders no" || fail "ticket-milter restarts" "see its log"
wait_for 30 milter_loaded
BODY="Hello again." mail "Carol Customer <carol@customer.test>" tls-desk@help.test "Again" tls-2@customer.test
check_eq "the right certificate again: stored" 1 "$(count_msgid tls-2@customer.test)"
check "no sanitizer report in the daemon's log" milter_log_clean

# The cluster as the other scripts expect it: no TLS, pg_hba as it was.
tls_restore
check "the cluster's settings are restored: ssl off" wait_for 10 bash -c '[ "$(psql -X -At -c "SHOW ssl")" = off ]'
check_eq "... and pg_hba.conf without the test's lines" 0 "$(sql "SELECT count(*) FROM pg_hba_file_rules WHERE 'tm_tls' = ANY (user_name)")"
