#!/usr/bin/env bash
# bench_mta.sh - the "## Mail through Postfix" section of BENCHMARKS.md:
# what ticket-milter costs an MTA. Postfix throughput with Postfix's own
# smtp-source, without a milter, with ticket-milter for other mail and for
# support mail (SPF/DKIM/DMARC off, on against a DNS server, on with no DNS
# server), and with OpenDKIM verifying; latency per support message; the
# daemon's memory at rest, under 50 and 200 connections and with a 50 MB
# message; throughput by message size; ingest with 10,000 and 1,000,000
# stored messages, and the query plans of the threading lookups.
# Everything runs in a network namespace of its own (dnsmasq, PostgreSQL,
# Postfix; tests/lib/authns.sh, tests/lib/env.sh), deleted afterwards.
# Prints figures only; never fails on timings.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build}
. "$root/tests/lib/authns.sh"
NS=tm-mta-bench-$$
RUNS=${BENCH_MTA_RUNS:-3}		# runs of each throughput figure
MSGS=${BENCH_MTA_MESSAGES:-1000}	# messages per smtp-source run
SESS=${BENCH_MTA_SESSIONS:-20}	# its parallel sessions
FILL=${BENCH_MTA_FILL:-1000000}	# stored messages for the scaling run

if [ "${1:-}" != "--inside" ]; then
	echo "## Mail through Postfix"
	echo
	trap 'authns_down "$NS"' EXIT
	if ! authns_up "$NS" >/dev/null 2>&1; then
		echo "No network namespace here: not measured."
		exit 0
	fi
	ip netns exec "$NS" bash "$0" --inside
	exit 0
fi

# --- inside the namespace ---
export SVC_DIR=$root/var/bench-mta
. "$root/tests/lib/env.sh"
. "$root/bench/mta_config.sh"
# A durable cluster (fsync, synchronous_commit, full_page_writes on).
bench_pg_durable
work=$root/var/bench-mta-work
rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"
dkim_pid=
trap '[ -n "$dkim_pid" ] && kill "$dkim_pid" 2>/dev/null; other_down; milter_stop; authns_dns_stop "$work"; env_down; rm -rf "$work"' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
env_up >/dev/null 2>&1 && env_load || { echo "PostgreSQL and Postfix did not start: not measured."; exit 0; }
# Room for the 50 MB message and for 200 sessions at once; and a third
# smtpd whose milter is on a unix socket (the milter socket's two forms).
sock=$SVC_REAL/milter.sock PF_UNIX_PORT=$((PF_PORT + 10))
bench_mta_config "$PF_CONFIG" "$PF_UNIX_PORT" "$sock"
postfix -c "$PF_CONFIG" reload >/dev/null 2>&1; sleep 1
authns_keys "$work" >/dev/null 2>&1 && authns_dns_start "$work" || { echo "dnsmasq did not start: not measured."; exit 0; }
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
smtpc() { python3 "$root/tests/lib/smtpc.py" "$@"; }

. "$root/bench/lib.sh"
# quantiles - p50 and p99 of the numbers on stdin, "P50 / P99"
quantiles() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) { printf "-"; exit }
		i = int(NR * 0.99) + 1; if (i > NR) i = NR
		printf "%s / %s", a[int(NR * 0.5) + 1], a[i] }'
}
# log_mark - the milter log's length now; log_since MARK KEY - KEY=values logged since
log_mark() { wc -l <"$log" 2>/dev/null || echo 0; }
log_since() { tail -n +"$(($1 + 1))" "$log" | grep -o "$2=[0-9.]*" | cut -d= -f2; }
# rss PID FIELD - VmRSS or VmHWM of a process, in MB
rss() { awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# source_as COMMAND... - COMMAND, its connections from the address SRC if
# set (bench/bind_source.c: smtp-source has no option for it)
source_as() {
	if [ -n "${SRC:-}" ]; then BIND_SOURCE=$SRC LD_PRELOAD=$TM_BUILD/bench/bind_source.so "$@"; else "$@"; fi
}
# rate PORT RCPT SENDER [BYTES COUNT SESSIONS] - messages per second that
# Postfix accepts from smtp-source (SS_OPTS: more options, -d to reuse
# connections; SRC: the client's address); the queue is empty before and after
rate() {
	local n=${5:-$MSGS} t0 t1
	postfix_queue_wait 300
	t0=$(date +%s%N)
	source_as smtp-source ${SS_OPTS:-} -s "${6:-$SESS}" -m "$n" -l "${4:-4096}" -f "$3" -t "$2" 127.0.0.1:"$1" >/dev/null 2>&1 || { echo -; return; }
	t1=$(date +%s%N)
	postfix_queue_wait 300
	awk -v n="$n" -v ns=$((t1 - t0)) 'BEGIN { r = n / (ns / 1e9); printf(r < 100 ? "%.1f" : "%.0f", r) }'
}

# cpu_snap - CPU seconds (user + system) used so far by PostgreSQL, Postfix
# and the milter (other_up's, else the one on the milter port): each daemon
# and its children, the living ones and those it has reaped (an smtpd
# exits after 100 connections, a PostgreSQL backend with its client)
cpu_snap() {
	python3 - "$(head -n1 "$SVC_REAL/pg/data/postmaster.pid")" \
		"$(tr -d ' ' <"$SVC_REAL/postfix/spool/pid/master.pid")" \
		"${other_pid:-$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid" 2>/dev/null || echo 0)}" <<-'PY'
	import os, sys
	roots = dict(zip(sys.argv[1:], ("postgres", "postfix", "milter")))
	cpu = dict.fromkeys(roots.values(), 0)
	for p in filter(str.isdigit, os.listdir("/proc")):
	    try:
	        s = open("/proc/%s/stat" % p).read()
	    except OSError:
	        continue
	    f = s[s.rindex(")") + 2:].split()
	    who = roots.get(p) or roots.get(f[1])
	    if who:
	        cpu[who] += int(f[11]) + int(f[12])
	    if p in roots:
	        cpu[who] += int(f[13]) + int(f[14])
	hz = os.sysconf("SC_CLK_TCK")
	print(" ".join("%.2f" % (cpu[k] / hz) for k in ("postgres", "postfix", "milter")))
	PY
}
# cpu_per_message BEFORE AFTER N - "postgres postfix milter" ms per message
cpu_per_message() {
	awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN { split(b, x); split(a, y)
		printf "%.2f %.2f %.2f", (y[1] - x[1]) * 1000 / n, (y[2] - x[2]) * 1000 / n, (y[3] - x[3]) * 1000 / n }'
}
# rate_cpu KEY ARGS... - rate ARGS into R[KEY], and the CPU per message
# into CPU[KEY]
declare -A CPU R M
rate_cpu() {
	local key=$1 before after; shift
	before=$(cpu_snap)
	R[$key]+=" $(rate "$@")"
	after=$(cpu_snap)
	CPU[$key]+="$(cpu_per_message "$before" "$after" "$MSGS");"
}
# cpu_cell KEY FIELD - the median over the runs of one CPU figure
cpu_cell() { median $(tr ';' '\n' <<<"${CPU[$1]}" | awk -v f="$2" 'NF { print $f }'); }

# opendkim_up / opendkim_down - OpenDKIM verifying, on the milter's port
opendkim_up() {
	cat >"$work/opendkim.conf" <<-EOF
	Mode                v
	Socket              inet:$MILTER_PORT@127.0.0.1
	AuthservID          mx.ticket.test
	AlwaysAddARHeader   yes
	Syslog              no
	PidFile             $work/opendkim.pid
	EOF
	opendkim -f -x "$work/opendkim.conf" >>"$work/opendkim.log" 2>&1 </dev/null &
	dkim_pid=$!
	svc_wait_port "$MILTER_PORT" 20
}
opendkim_down() {
	[ -n "$dkim_pid" ] || return 0
	kill "$dkim_pid" 2>/dev/null; wait "$dkim_pid" 2>/dev/null; dkim_pid=
	for _ in $(seq 1 50); do svc_port_busy "$MILTER_PORT" || break; sleep 0.1; done
}

# other_up SOCKET COMMAND... - a milter other than the test one, until
# other_down: ticket-milter on the unix socket, or null_milter
other_pid=
other_up() {
	local s=$1; shift
	setsid "$@" >>"$work/other.log" 2>&1 </dev/null &
	other_pid=$!
	case "$s" in
	unix:*) for _ in $(seq 1 100); do [ -S "${s#unix:}" ] && break; sleep 0.1; done
		chmod 666 "${s#unix:}" ;;
	*) svc_wait_port "$MILTER_PORT" 20 ;;
	esac
}
other_down() {
	[ -n "$other_pid" ] || return 0
	kill "$other_pid" 2>/dev/null; wait "$other_pid" 2>/dev/null; other_pid=
	for _ in $(seq 1 50); do svc_port_busy "$MILTER_PORT" || break; sleep 0.1; done
	rm -f "$sock"
}
# ticket_milter_unix LINES - the test milter's config, on the unix socket
ticket_milter_unix() {
	milter_config "$work/unix.conf" "$MILTER_PORT" "$(printf 'Socket local:%s\nPidFile %s\n%s' "$sock" "$work/unix.pid" "$1")"
	other_up "unix:$sock" "$TM_BUILD/ticket-milter" -f -c "$work/unix.conf"
}

# --- what a mail admin runs: durable PostgreSQL, the daemon's defaults
# (VerifySenders yes, its DNS cache), a client that is not loopback ---
CLIENT=192.0.2.10		# on the namespace's lo (tests/lib/authns.sh)
CSENDER=a@dmarc-spf.test	# its SPF allows CLIENT; p=reject, aligned
SMSGS=${BENCH_MTA_SMTPC_MESSAGES:-1000}	# messages per smtpc.py run
OLD_RUNS=${BENCH_MTA_OLD_RUNS:-1}	# runs of the other throughput rows
# The stored-only queue support@ confirms nothing and has no agents; a
# second queue, desk@, confirms to proven senders (the default) and has
# two agents: each new ticket there queues three mails for the outbox.
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@" >/dev/null; }
ctl queue set support@help.test --confirm never
ctl queue add desk@help.test --name Desk
ctl agent add agent1@agents.test --queue desk@help.test
ctl agent add agent2@agents.test --queue desk@help.test

# customers DIR N TAG RCPT - N distinct 4 KB messages to RCPT, each From a
# customer of its own at dmarc-spf.test (a confirmation per address is
# rate-limited: five an hour)
customers() {
	python3 - "$@" <<-'PY'
	import os, sys
	d, n, tag, to = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
	os.makedirs(d, exist_ok=True)
	body = b"".join(b"%05d lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod\r\n" % i for i in range(50))
	for i in range(n):
	    with open("%s/%05d.eml" % (d, i), "wb") as f:
	        f.write(b"From: Customer %d <c-%s-%d@dmarc-spf.test>\r\nTo: %s\r\n"
	                b"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nSubject: question %s %d\r\n"
	                b"Message-ID: <%s-%d@bench.test>\r\n\r\n%s" % (i, tag.encode(), i, to.encode(), tag.encode(), i, tag.encode(), i, body))
	PY
}
# srate PORT RCPT TAG - "RATE DRAIN": messages/s that Postfix accepts from
# tests/lib/smtpc.py (SMSGS messages from customers(), SESS connections
# from CLIENT, a new one per message), and the seconds from the last
# acceptance until the outbox has sent everything
srate() {
	local out t1 drain=-
	customers "$work/s-$3" "$SMSGS" "$3" "$2"
	postfix_queue_wait 300
	out=$(smtpc send --port "$1" --to "$2" --from "$CSENDER" --source "$CLIENT" --conns "$SESS" "$work/s-$3"/*.eml)
	t1=$(date +%s%N)
	for _ in $(seq 1 1500); do
		[ "$(sql "SELECT count(*) FROM outbox WHERE status = 'pending'")" = 0 ] && { drain=$(awk -v ns=$(($(date +%s%N) - t1)) 'BEGIN { printf "%.1f", ns / 1e9 }'); break; }
		sleep 0.2
	done
	postfix_queue_wait 300
	rm -rf "${work:?}/s-$3"
	awk -v d="$drain" '{ for (i = 1; i < NF; i++) if ($i == "seconds") s = $(i + 1)
		if ($4 == '"$SMSGS"' && s > 0) printf "%.0f %s", $4 / s, d; else printf "- -" }' <<<"$out"
}
# srate_cpu KEY PORT RCPT - srate into R[KEY] and DRAIN[KEY], CPU per
# message (its outgoing mail's included) into CPU[KEY]
declare -A DRAIN
srate_cpu() {
	local key=$1 before after r d; shift
	before=$(cpu_snap)
	read -r r d <<<"$(srate "$@" "$key$round")"
	after=$(cpu_snap)
	R[$key]+=" $r" DRAIN[$key]+=" $d"
	CPU[$key]+="$(cpu_per_message "$before" "$after" "$SMSGS");"
}
# last KEY - the latest run's figure of R[KEY]
last() { awk '{ print $NF }' <<<"${R[$1]}"; }
# db_set SETTINGS - ALTER DATABASE tickets SET/RESET ...; restart the
# daemon, whose new connections take the settings
db_set() { sql "$1" >/dev/null; milter_start >/dev/null 2>&1; }
declare -A RAT
h_db="" h_auth="" q_db="" hs_db="" hg_db=""
for round in $(seq 1 "$RUNS"); do
	milter_start >/dev/null 2>&1
	SRC=$CLIENT rate_cpu ha "$PF_INJECT_PORT" x@discard.test "$CSENDER"
	a1=$(last ha)
	m=$(log_mark)
	SRC=$CLIENT rate_cpu hc "$PF_PORT" support@help.test "$CSENDER"
	h_db+=" $(log_since "$m" db_ms)" h_auth+=" $(log_since "$m" auth_ms)"
	SRC=$CLIENT SS_OPTS=-d rate_cpu had "$PF_INJECT_PORT" x@discard.test "$CSENDER"
	SRC=$CLIENT SS_OPTS=-d rate_cpu hcd "$PF_PORT" support@help.test "$CSENDER"
	srate_cpu sa "$PF_INJECT_PORT" x@discard.test
	srate_cpu sc "$PF_PORT" support@help.test
	m=$(log_mark)
	srate_cpu sq "$PF_PORT" desk@help.test
	q_db+=" $(log_since "$m" db_ms)"
	db_set "ALTER DATABASE tickets SET synchronous_commit = off"
	m=$(log_mark)
	SRC=$CLIENT rate_cpu hs "$PF_PORT" support@help.test "$CSENDER"
	hs_db+=" $(log_since "$m" db_ms)"
	db_set "ALTER DATABASE tickets RESET synchronous_commit; ALTER DATABASE tickets SET commit_delay = 1000"
	m=$(log_mark)
	SRC=$CLIENT rate_cpu hg "$PF_PORT" support@help.test "$CSENDER"
	hg_db+=" $(log_since "$m" db_ms)"
	db_set "ALTER DATABASE tickets RESET commit_delay"
	SRC=$CLIENT rate_cpu ha "$PF_INJECT_PORT" x@discard.test "$CSENDER"
	a=$(awk -v x="$a1" -v y="$(last ha)" 'BEGIN { print (x + y) / 2 }')
	for k in hc hs hg; do RAT[$k]+=" $(ratio "$(last $k)" "$a")"; done
	RAT[hcd]+=" $(ratio "$(last hcd)" "$(last had)")"
	RAT[sc]+=" $(ratio "$(last sc)" "$(last sa)")"
	RAT[sq]+=" $(ratio "$(last sq)" "$(last sa)")"
done
for k in ha hc had hcd sa sc sq hs hg; do M[$k]=$(median ${R[$k]:--}); done

# One more run of (hc) for the profile: PostgreSQL's statistics of WAL
# and commits (flushed by each server process within 10 s of idling, so
# read after a pause) and, where perf works, where PostgreSQL spends its CPU.
pg_stats() {
	sleep 11
	psql -X -At -F' ' -c "SELECT w.wal_sync, w.wal_sync_time, w.wal_write_time, d.xact_commit,
	    pg_current_wal_lsn() - '0/0' FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = 'tickets'"
}
milter_start >/dev/null 2>&1
SRC=$CLIENT rate "$PF_PORT" support@help.test "$CSENDER" >/dev/null
p0=$(pg_stats)
perf_ok=0
if command -v perf >/dev/null && perf record -e cpu-clock -o /dev/null true >/dev/null 2>&1; then
	perf record -e cpu-clock -F 999 -a -o "$work/perf.data" >/dev/null 2>&1 &
	perf_pid=$! perf_ok=1
	sleep 1
fi
SRC=$CLIENT rate "$PF_PORT" support@help.test "$CSENDER" >/dev/null
[ $perf_ok = 1 ] && { kill -INT "$perf_pid"; wait "$perf_pid"; }
p1=$(pg_stats)
read -r wal_syncs wal_sync_ms wal_write_ms commits wal_bytes <<<"$(awk -v n="$MSGS" '{ for (i = 1; i <= NF; i++) if (NR == 1) b[i] = $i; else d[i] = $i - b[i] }
	END { printf "%.2f %.3f %.3f %.2f %.0f", d[1] / n, d[2] / n, d[3] / n, d[4] / n, d[5] / n }' <<<"$p0
$p1")"
if [ $perf_ok = 1 ]; then
	profile=$(perf report -i "$work/perf.data" --comm postgres --no-children --percentage relative --sort sym --stdio 2>/dev/null \
		| grep -E '^ +[0-9.]+%' | head -n 15 | sed -E 's/ +$//')
	profile_share=$(perf report -i "$work/perf.data" --no-children --sort comm --stdio 2>/dev/null \
		| awk '$2 == "postgres" { print $1 }')
fi
milter_stop

# --- throughput: a) no milter, b) other mail, c) support mail, d) OpenDKIM,
# n) null_milter, the floors (accepting at CONNECT, and at DATA after the
# steps ticket-milter needs); b and n also with the milter on a unix socket ---
have_dkim=0; command -v opendkim >/dev/null && have_dkim=1
auth_on_ms="" auth_nodns_ms="" db_ms=""
for round in $(seq 1 "$OLD_RUNS"); do
	milter_start "VerifySenders no" >/dev/null 2>&1
	rate_cpu a "$PF_INJECT_PORT" x@discard.test a@sender.test
	rate_cpu b "$PF_PORT" x@discard.test a@sender.test
	m=$(log_mark)
	rate_cpu c "$PF_PORT" support@help.test a@sender.test
	db_ms+=" $(log_since "$m" db_ms)"
	milter_start "VerifySenders yes" >/dev/null 2>&1
	m=$(log_mark)
	R[cv]+=" $(rate "$PF_PORT" support@help.test a@dkim.test)"
	auth_on_ms+=" $(log_since "$m" auth_ms)"
	authns_dns_stop "$work"
	m=$(log_mark)
	R[cn]+=" $(rate "$PF_PORT" support@help.test a@dkim.test)"
	auth_nodns_ms+=" $(log_since "$m" auth_ms)"
	authns_dns_start "$work"
	milter_stop
	if [ $have_dkim = 1 ] && opendkim_up; then
		R[d]+=" $(rate "$PF_PORT" x@discard.test a@sender.test)"
		opendkim_down
	fi
	ticket_milter_unix "VerifySenders no"
	R[bu]+=" $(rate "$PF_UNIX_PORT" x@discard.test a@sender.test)"
	other_down
	for floor in n:connect nd:data; do
		key=${floor%:*} mode=${floor#*:}
		other_up "inet:$MILTER_PORT@127.0.0.1" "$TM_BUILD/bench/null_milter" "inet:$MILTER_PORT@127.0.0.1" $mode
		rate_cpu "$key" "$PF_PORT" x@discard.test a@sender.test
		other_down
		other_up "unix:$sock" "$TM_BUILD/bench/null_milter" "unix:$sock" $mode
		R[${key}u]+=" $(rate "$PF_UNIX_PORT" x@discard.test a@sender.test)"
		other_down
	done
	R[a2]+=" $(rate "$PF_INJECT_PORT" x@discard.test a@sender.test)"
done
R[a]+=" ${R[a2]}"
for k in a b bu n nu nd ndu c cv cn d; do M[$k]=$(median ${R[$k]:--}); done

# --- latency per message at 1 and 20 connections ---
# lat PORT RCPT CONNS TAG - "p50 p99" of whole transactions, in ms
lat() {
	customers "$work/lat-$4" 400 "$4" "$2"
	smtpc send --port "$1" --to "$2" --from "$CSENDER" --source "$CLIENT" --conns "$3" --latency "$work/lat-$4"/*.eml \
		| awk '/^p50_ms/ { print $2, $4 }'
	rm -rf "${work:?}/lat-$4"
}
# The first messages after a start open the daemon's database connections,
# each preparing its statement and compiling the SQL functions: measured
# apart (c20first), then the figures of a daemon in service.
milter_start "VerifySenders no" >/dev/null 2>&1
declare -A L
L[c20first]=$(lat "$PF_PORT" support@help.test 20 lcfirst)
for c in 1 20; do
	L[a$c]=$(lat "$PF_INJECT_PORT" x@discard.test "$c" "la$c")
	L[c$c]=$(lat "$PF_PORT" support@help.test "$c" "lc$c")
done
milter_start >/dev/null 2>&1
lat "$PF_PORT" support@help.test 20 lvfirst >/dev/null
for c in 1 20; do L[v$c]=$(lat "$PF_PORT" support@help.test "$c" "lv$c"); done
# added CELL_A CELL_C COLUMN - the difference of two latency figures
added() { awk -v a="$(cut -d' ' -f"$3" <<<"${L[$1]}")" -v c="$(cut -d' ' -f"$3" <<<"${L[$2]}")" \
	'BEGIN { if (a != "" && c != "") printf "%.1f", c - a; else printf "-" }'; }
lcell() { cut -d' ' -f"$2" <<<"${L[$1]}"; }

# --- memory ---
milter_start "VerifySenders no" >/dev/null 2>&1
pid=$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")
sleep 1
mem_idle=$(rss "$pid" VmRSS)
# hold N - RSS while N SMTP sessions sit between RCPT and DATA
hold() {
	local out=$work/hold.out
	smtpc hold --port "$PF_PORT" --to support@help.test "$1" 30 >"$out" 2>&1 &
	local h=$!
	for _ in $(seq 1 300); do grep -q '^open' "$out" 2>/dev/null && break; sleep 0.1; done
	sleep 1
	echo "$(rss "$pid" VmRSS) $(ls "/proc/$pid/task" | wc -l) $(awk '/^open/ { print $2 }' "$out")"
	kill "$h" 2>/dev/null; wait "$h" 2>/dev/null
	# Postfix closes its milter connections when the sessions are gone.
	for _ in $(seq 1 100); do
		[ "$(ss -Htn state established "( sport = :$MILTER_PORT )" | wc -l)" = 0 ] && break
		sleep 0.1
	done
}
read -r mem_50 threads_50 conns_50 <<<"$(hold 50)"
read -r mem_200 threads_200 conns_200 <<<"$(hold 200)"
sleep 2
mem_after=$(rss "$pid" VmRSS)
# 200 support messages of 100 KB at once
python3 - "$work/m100k" <<-'PY'
	import os, sys
	d = sys.argv[1]; os.makedirs(d)
	line = b"x" * 76 + b"\r\n"
	for i in range(200):
	    open("%s/%03d.eml" % (d, i), "wb").write(b"From: a@sender.test\r\nTo: support@help.test\r\nSubject: 100k %d\r\n"
	        b"Message-ID: <m100k-%d-%d@bench.test>\r\n\r\n" % (i, os.getpid(), i) + line * 1300)
	PY
smtpc send --port "$PF_PORT" --conns 200 --to support@help.test "$work"/m100k/*.eml >"$work/m100k.out"
mem_200x100k=$(rss "$pid" VmHWM)
# A 50 MB support message (a 35 MiB attachment), with the default
# BodyMemoryLimit (1m): RSS sampled every 20 ms while it passes.
milter_start "VerifySenders no" >/dev/null 2>&1
pid=$(cat "$SVC_REAL/ticket-milter-$MILTER_PORT.pid")
sleep 1
mem_idle2=$(rss "$pid" VmRSS)
python3 - "$work/big.eml" <<-'PY'
	import base64, os, sys
	data = base64.encodebytes(os.urandom(35 * 1024 * 1024)).replace(b"\n", b"\r\n")
	with open(sys.argv[1], "wb") as f:
	    f.write(b"From: a@sender.test\r\nTo: support@help.test\r\nSubject: 50 MB\r\n"
	            b"Message-ID: <big-%d@bench.test>\r\nMIME-Version: 1.0\r\n"
	            b"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
	            b"Content-Type: text/plain\r\n\r\nThe log is attached.\r\n--B\r\n"
	            b"Content-Type: application/octet-stream; name=\"big.bin\"\r\n"
	            b"Content-Transfer-Encoding: base64\r\n\r\n" % os.getpid())
	    f.write(data)
	    f.write(b"--B--\r\n")
	PY
big_bytes=$(stat -c %s "$work/big.eml")
( peak=0 anon=0; while kill -0 "$pid" 2>/dev/null && [ ! -e "$work/big.done" ]; do
	read -r r a < <(awk '$1 == "VmRSS:" { r = $2 } $1 == "RssAnon:" { a = $2 } END { print r, a }' "/proc/$pid/status")
	[ "$r" -gt "$peak" ] && peak=$r; [ "$a" -gt "$anon" ] && anon=$a
	sleep 0.02; done; echo "$peak $anon" >"$work/big.peak" ) &
sampler=$!
t0=$(date +%s%N)
big_out=$(smtpc send --port "$PF_PORT" --to support@help.test --timeout 300 "$work/big.eml")
big_s=$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')
touch "$work/big.done"; wait "$sampler"
big_peak=$(awk '{ printf "%.1f", $1 / 1024 }' "$work/big.peak")
big_anon=$(awk '{ printf "%.1f", $2 / 1024 }' "$work/big.peak")
big_hwm=$(rss "$pid" VmHWM)
big_stored=$(sql "SELECT length(raw) FROM messages WHERE subject = '50 MB' ORDER BY id DESC LIMIT 1")
rm -f "$work/big.eml"

# --- throughput by message size ---
milter_start "VerifySenders no" >/dev/null 2>&1
declare -A S
for round in $(seq 1 "$RUNS"); do
	S[a1k]+=" $(rate "$PF_INJECT_PORT" x@discard.test a@sender.test 1024 1000)"
	S[c1k]+=" $(rate "$PF_PORT" support@help.test a@sender.test 1024 1000)"
	S[a100k]+=" $(rate "$PF_INJECT_PORT" x@discard.test a@sender.test 102400 200)"
	S[c100k]+=" $(rate "$PF_PORT" support@help.test a@sender.test 102400 200)"
	S[a10m]+=" $(rate "$PF_INJECT_PORT" x@discard.test a@sender.test 10000000 6 2)"
	S[c10m]+=" $(rate "$PF_PORT" support@help.test a@sender.test 10000000 6 2)"
done
for k in a1k c1k a100k c100k a10m c10m; do S[$k]=$(median ${S[$k]}); done
mbps() { awk -v r="$1" -v b="$2" 'BEGIN { if (r + 0 > 0) printf "%.1f", r * b / 1e6; else printf "-" }'; }

# --- ingest with 10,000 and 1,000,000 stored messages ---
# fill FROM TO - stored messages FROM..TO: four to a ticket, a customer
# (a participant) to three tickets, every tenth message with an Outlook
# conversation root
fill() {
	sql "
	INSERT INTO contacts (address)
	    SELECT DISTINCT 'fill' || ((k - 1) / 3 + 1) || '@customer.test' FROM generate_series(($1 - 1) / 4 + 1, $2 / 4) k
	    ON CONFLICT DO NOTHING;
	INSERT INTO tickets (number, queue_id, subject, status)
	    SELECT (9000000 + k)::text, (SELECT id FROM queues WHERE address = 'support@help.test'), 'filled ' || k, 'open'
	    FROM generate_series(($1 - 1) / 4 + 1, $2 / 4) k;
	INSERT INTO ticket_participants (ticket_id, contact_id, role)
	    SELECT t.id, c.id, 'customer' FROM generate_series(($1 - 1) / 4 + 1, $2 / 4) k
	    JOIN tickets t ON t.number = (9000000 + k)::text
	    JOIN contacts c ON c.address = 'fill' || ((k - 1) / 3 + 1) || '@customer.test'
	    ON CONFLICT DO NOTHING;
	INSERT INTO messages (ticket_id, message_id, subject, from_address, envelope_sender,
	                      envelope_recipients, size, raw, digest, thread_root, thread_rule)
	    SELECT t.id, 'fill-' || i || '@bench.test', 'filled', 'fill' || (i % 1000) || '@customer.test',
	           'x@customer.test', '{support@help.test}', 5, '\\x66696c6c2e'::bytea, md5(i::text),
	           CASE WHEN i % 10 = 0 THEN encode(substr(sha256(convert_to('root' || i, 'UTF8')), 1, 22), 'hex') END, 'new'
	    FROM generate_series($1, $2) i JOIN tickets t ON t.number = (9000000 + (i - 1) / 4 + 1)::text;
	ANALYZE contacts; ANALYZE tickets; ANALYZE ticket_participants; ANALYZE messages;" >/dev/null
}
# ingest_run STORED TAG - messages/s for 400 support messages over 8
# connections: new ones, and replies by In-Reply-To, subject tag and
# Thread-Index to stored messages
ingest_run() {
	python3 - "$work/ing-$2" "$1" "$2" <<-'PY'
	import base64, hashlib, os, random, sys
	d, stored, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	os.makedirs(d)
	rnd = random.Random(tag)
	for n in range(400):
	    i = rnd.randint(1, stored)
	    k = (i - 1) // 4 + 1
	    head = b"To: support@help.test\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <%s-%d@bench.test>\r\n" % (tag.encode(), n)
	    kind = n % 4
	    if kind == 0:
	        head += b"From: new%d@customer.test\r\nSubject: new question %d\r\n" % (n, n)
	    elif kind == 1:
	        head += b"From: someone@customer.test\r\nSubject: Re: filled\r\nIn-Reply-To: <fill-%d@bench.test>\r\n" % i
	    elif kind == 2:
	        head += b"From: fill%d@customer.test\r\nSubject: Re: [#%d] filled\r\n" % ((k - 1) // 3 + 1, 9000000 + k)
	    else:
	        i = max(10, i - i % 10)
	        root = hashlib.sha256(b"root%d" % i).digest()[:22]
	        head += b"From: someone@customer.test\r\nSubject: RE: filled\r\nThread-Index: %s\r\n" % base64.b64encode(root + os.urandom(5))
	    open("%s/%03d.eml" % (d, n), "wb").write(head + b"\r\nA reply.\r\n")
	PY
	local out
	out=$(smtpc send --port "$PF_PORT" --to support@help.test --from a@sender.test --conns 8 "$work/ing-$2"/*.eml)
	rm -rf "${work:?}/ing-$2"
	awk '{ for (i = 1; i < NF; i++) if ($i == "seconds") s = $(i + 1); if ($4 > 0 && s > 0) printf "%.0f", $4 / s; else printf "-" }' <<<"$out"
}
declare -A I
first=10000
t0=$(date +%s)
fill 1 "$first"
milter_start "VerifySenders no" >/dev/null 2>&1
m=$(log_mark)
for round in $(seq 1 "$RUNS"); do I[small]+=" $(ingest_run "$first" "s$round")"; done
db_small=$(log_since "$m" db_ms | quantiles)
rules_small=$(sql "SELECT string_agg(thread_rule || ' ' || n, ', ' ORDER BY thread_rule) FROM (SELECT thread_rule, count(*) n FROM messages WHERE message_id LIKE 's_-%@bench.test' GROUP BY 1) r")
t1=$(date +%s)
fill $((first + 1)) "$FILL"
fill_s=$(( $(date +%s) - t1 ))
m=$(log_mark)
for round in $(seq 1 "$RUNS"); do I[big]+=" $(ingest_run "$FILL" "b$round")"; done
db_big=$(log_since "$m" db_ms | quantiles)
rules_big=$(sql "SELECT string_agg(thread_rule || ' ' || n, ', ' ORDER BY thread_rule) FROM (SELECT thread_rule, count(*) n FROM messages WHERE message_id LIKE 'b_-%@bench.test' GROUP BY 1) r")
stored_big=$(sql "SELECT count(*) FROM messages")
db_size=$(sql "SELECT pg_size_pretty(pg_database_size('tickets'))")
# The lookups of thread_find() and of the duplicate check, as the plpgsql
# functions run them: prepared, with the generic plan forced.
plans=$(psql -X -q -At <<-'SQL' 2>&1
	SET plan_cache_mode = force_generic_plan;
	PREPARE by_id(jsonb) AS SELECT m.ticket_id FROM jsonb_array_elements_text($1) WITH ORDINALITY r(id, n)
	    JOIN messages m ON m.message_id = r.id ORDER BY r.n, m.id DESC LIMIT 1;
	PREPARE by_root(text) AS SELECT m.ticket_id FROM messages m WHERE m.thread_root = $1 ORDER BY m.id DESC LIMIT 1;
	PREPARE by_number(text) AS SELECT t.id FROM tickets t WHERE t.number = $1;
	PREPARE by_participant(bigint, text) AS SELECT 1 FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id
	    WHERE p.ticket_id = $1 AND c.address = $2;
	PREPARE once(text, text) AS SELECT m.id FROM messages m JOIN tickets tk ON tk.id = m.ticket_id
	    WHERE coalesce(m.message_id, '') = coalesce($1, '') AND m.digest = $2;
	\echo -- thread_find 2: In-Reply-To / References -> messages.message_id
	EXPLAIN (COSTS OFF) EXECUTE by_id('["fill-5@bench.test"]');
	\echo -- thread_find 3: Thread-Index -> messages.thread_root
	EXPLAIN (COSTS OFF) EXECUTE by_root('00');
	\echo -- thread_find 4: subject tag -> tickets.number
	EXPLAIN (COSTS OFF) EXECUTE by_number('9000001');
	\echo -- thread_find 4: is the sender a participant?
	EXPLAIN (COSTS OFF) EXECUTE by_participant(1, 'fill1@customer.test');
	\echo -- ingest_message: the same message stored before?
	EXPLAIN (COSTS OFF) EXECUTE once('fill-5@bench.test', 'x');
	SQL
)
milter_stop
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# How this libmilter serves sessions: a thread each, or Debian's build
# with a worker pool (_FFR_WORKERS_POOL), which hands a session back to a
# polling controller thread whenever it has nothing to read.
libmilter=$(ldd "$TM_BUILD/ticket-milter" | awk '/libmilter/ { print $3 }')
if grep -q mi_pool_controller "$libmilter" 2>/dev/null; then
	milter_threads="a pool of worker threads and a controller thread that polls the sessions waiting for the MTA"
else
	milter_threads="a thread per session"
fi

# verdict VALUE TARGET min|max - whether a figure meets its target
verdict() {
	awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { if (v == "-" || v == "") print "not measured"
		else if ((d == "min" && v + 0 >= t) || (d == "max" && v + 0 <= t)) print "met"; else print "**not met**" }'
}
# cpu_sum KEY - the sum of the three daemons' median CPU figures
cpu_sum() { awk -v a="$(cpu_cell "$1" 1)" -v b="$(cpu_cell "$1" 2)" -v c="$(cpu_cell "$1" 3)" 'BEGIN { printf "%.2f", a + b + c }'; }
# profile_md - where PostgreSQL's CPU went in the profiled run, if perf worked
profile_md() {
	[ "$perf_ok" = 1 ] && [ -n "$profile" ] || { echo; echo "(perf could not profile here.)"; return; }
	cat <<-PROF

	Where PostgreSQL's CPU goes (\`perf record -e cpu-clock -a\` during that run;
	PostgreSQL had ${profile_share:-?} of all samples; its 15 largest functions, share of
	PostgreSQL's samples):

	\`\`\`
	$profile
	\`\`\`
	PROF
}
# --- the section ---
cat <<MD
\`make bench\` on $(date -u +%Y-%m-%d): $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),
$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM; PostgreSQL $(psql -X -At -c 'SHOW server_version' | cut -d' ' -f1) durable
(\`fsync\`, \`synchronous_commit\` and \`full_page_writes\` on, PostgreSQL's
defaults: each ingest commit waits for its WAL on the disk), Postfix
$(postconf -d -h mail_version) with its defaults and README's lines, ticket-milter normal build (-O2)
with its defaults. All on one machine, in a network namespace of its own
(bench/bench_mta.sh); load average before and after: $load_before / $load_after
(other sessions share the machine's CPUs, which makes the figures
noisier; the ratios compare runs interleaved in the same minutes).

### What a mail admin runs

Clients at $CLIENT, an address on the namespace's loopback that is not
127.0.0.1: Postfix looks up its name (dnsmasq), and the daemon evaluates
SPF for it (\`$CSENDER\`: SPF pass, DMARC pass) with its defaults,
\`VerifySenders yes\` and its DNS cache. smtp-source (bound to $CLIENT
by bench/bind_source.c) sends \`-s $SESS -m $MSGS -l 4096\`, a new connection per message
unless \`-d\` (reused). Support mail goes to \`support@help.test\`, a
queue that confirms nothing and has no agents (stored only). The realistic
queue \`desk@help.test\` confirms to proven senders (the default) and has
two agents: each new ticket queues a confirmation and two notifications,
which the daemon's outbox submits to README's OutboxRelay listener and
Postfix delivers (virtual(8), into a Maildir); as smtp-source sends one
sender's mail, and confirmations are rate-limited per address, those rows
send $SMSGS distinct messages, each from a customer of its own, with
tests/lib/smtpc.py ($SESS connections, a new one per message), against
Postfix alone with the same client. Messages per second accepted, the
queue empty before each run; medians of $RUNS runs, and the ratios are
medians of each round's ratio (to the mean of Postfix alone at the start
and the end of the round, or to its row beside it).

| | configuration | messages/s | runs | ratio | target |
|---|---|---|---|---|---|
| A | Postfix alone, smtp-source, new connection per message | ${M[ha]} | ${R[ha]} | | |
| C | support mail stored | ${M[hc]} | ${R[hc]} | **$(median ${RAT[hc]})** (${RAT[hc]} ) | at least 0.65: $(verdict "$(median ${RAT[hc]})" 0.65 min) |
| A | Postfix alone, connections reused (\`-d\`) | ${M[had]} | ${R[had]} | | |
| C | support mail stored, connections reused | ${M[hcd]} | ${R[hcd]} | $(median ${RAT[hcd]}) | |
| C | stored, \`synchronous_commit = off\` for the database (not the default: the commit does not wait for the disk) | ${M[hs]} | ${R[hs]} | $(median ${RAT[hs]}) | |
| C | stored, \`commit_delay = 1000\` (not the default, which is 0: group commit, with \`commit_siblings\` 5) | ${M[hg]} | ${R[hg]} | $(median ${RAT[hg]}) | |
| A | Postfix alone, smtpc.py, $SMSGS customers | ${M[sa]} | ${R[sa]} | | |
| C | support mail stored, smtpc.py | ${M[sc]} | ${R[sc]} | $(median ${RAT[sc]}) | |
| Q | the realistic queue: a confirmation and two agents' notifications per message, smtpc.py | ${M[sq]} | ${R[sq]} | **$(median ${RAT[sq]})** (${RAT[sq]} ) | at least 0.45: $(verdict "$(median ${RAT[sq]})" 0.45 min) |

The outbox had sent the realistic queue's mail (three per message) ${DRAIN[sq]} s
after the last message was accepted (each run).

Where the CPU goes (ms of CPU per message, median of the runs; each
daemon with its child processes; for Q with the sending of its three mails
and Postfix's delivery of them):

| | PostgreSQL | Postfix | ticket-milter | all |
|---|---|---|---|---|
| A: Postfix alone | $(cpu_cell ha 1) | $(cpu_cell ha 2) | - | $(cpu_sum ha) |
| C: stored | $(cpu_cell hc 1) | $(cpu_cell hc 2) | $(cpu_cell hc 3) | $(cpu_sum hc) |
| C: stored, reused connections | $(cpu_cell hcd 1) | $(cpu_cell hcd 2) | $(cpu_cell hcd 3) | $(cpu_sum hcd) |
| C: stored, \`synchronous_commit = off\` | $(cpu_cell hs 1) | $(cpu_cell hs 2) | $(cpu_cell hs 3) | $(cpu_sum hs) |
| A: Postfix alone, smtpc.py | $(cpu_cell sa 1) | $(cpu_cell sa 2) | - | $(cpu_sum sa) |
| C: stored, smtpc.py | $(cpu_cell sc 1) | $(cpu_cell sc 2) | $(cpu_cell sc 3) | $(cpu_sum sc) |
| Q: realistic queue | $(cpu_cell sq 1) | $(cpu_cell sq 2) | $(cpu_cell sq 3) | $(cpu_sum sq) |

The two CPUs are shared by everything here, the load generator too: at
$SESS sessions the rate is about what the CPU per message allows, so
each millisecond that the milter and PostgreSQL add to Postfix's own
costs its share of throughput. From the daemons' CPU alone, (C)/(A) would
be about $(ratio "$(cpu_sum ha)" "$(cpu_sum hc)") (measured $(median ${RAT[hc]})): the target needs PostgreSQL's and the
daemon's CPU per message, not waits, to shrink. Q's figures count the
three mails each message causes, which the outbox sends and Postfix
delivers mostly after the last message was accepted (the seconds above),
so they weigh less on the rate than on the CPU. Inside the daemon (its log, p50 / p99 over
all runs): SPF, DKIM and DMARC $(echo $h_auth | tr ' ' '\n' | quantiles) ms (with the cache, most
lookups are answered from memory); the database transaction of a stored
message $(echo $h_db | tr ' ' '\n' | quantiles) ms, $(echo $hs_db | tr ' ' '\n' | quantiles) ms with
\`synchronous_commit = off\` (the difference is the wait for the WAL's
fsync at commit), $(echo $hg_db | tr ' ' '\n' | quantiles) ms with \`commit_delay\`; of a message in
the realistic queue (its three outbox rows too) $(echo $q_db | tr ' ' '\n' | quantiles) ms.

PostgreSQL per stored message (one more run of C, pg_stat_wal and
pg_stat_database, \`track_wal_io_timing\` on): $commits transactions committed (the
outbox senders' polls included), $wal_bytes bytes of WAL,
$wal_syncs WAL fsyncs taking $wal_sync_ms ms (WAL writes $wal_write_ms ms). Commits
of concurrent sessions share an fsync when they wait together (PostgreSQL
flushes all the WAL written so far), so fsyncs per message fall below one
under load.
$(profile_md)

### Throughput

Other configurations, from 127.0.0.1 (loopback), $OLD_RUNS run(s) of each (the
rows with the targets are above), the same durable PostgreSQL:
\`smtp-source -s $SESS -m $MSGS -l 4096 -f SENDER -t RCPT 127.0.0.1:PORT\`, to Postfix's
smtpd with \`smtpd_milters\` (or to its second smtpd without milters for a):
messages per second accepted, the queue empty before each run.

| | configuration | RCPT | messages/s | runs |
|---|---|---|---|---|
| a | no milter (measured at the start and the end of each round) | x@discard.test (discard transport) | ${M[a]} | ${R[a]} |
| n | null_milter (bench/null_milter.c: accepts at CONNECT, nothing else), inet socket | x@discard.test | ${M[n]} | ${R[n]} |
| n | the same on a unix socket | x@discard.test | ${M[nu]} | ${R[nu]} |
| n | null_milter data: negotiates as ticket-milter, accepts at DATA, nothing else, inet socket | x@discard.test | ${M[nd]} | ${R[nd]} |
| n | the same on a unix socket | x@discard.test | ${M[ndu]} | ${R[ndu]} |
| b | ticket-milter, mail not for support, inet socket | x@discard.test | ${M[b]} | ${R[b]} |
| b | the same on a unix socket | x@discard.test | ${M[bu]} | ${R[bu]} |
| c | ticket-milter, support mail stored, \`VerifySenders no\` | support@help.test (\`MtaCopy remove\`) | ${M[c]} | ${R[c]} |
| c | the same, \`VerifySenders yes\`, SPF/DKIM/DMARC against dnsmasq | support@help.test, from a@dkim.test | ${M[cv]} | ${R[cv]} |
| c | the same, \`VerifySenders yes\`, no DNS server reachable | support@help.test, from a@dkim.test | ${M[cn]} | ${R[cn]} |
| d | OpenDKIM $(opendkim -V 2>/dev/null | awk 'NR == 1 { print $NF }') verifying (\`Mode v\`, \`AlwaysAddARHeader yes\`) | x@discard.test | ${M[d]:--} | ${R[d]:--} |

Ratios: **(b)/(a) $(ratio "${M[b]}" "${M[a]}")** on an inet socket and **$(ratio "${M[bu]}" "${M[a]}")** on a unix
socket (target 0.9). The floors, milters that do nothing, (n)/(a): accepting
at CONNECT $(ratio "${M[n]}" "${M[a]}") and $(ratio "${M[nu]}" "${M[a]}"); taking the steps up to DATA that any milter
needs to see all recipients, and accepting there, $(ratio "${M[nd]}" "${M[a]}") and $(ratio "${M[ndu]}" "${M[a]}"). So
ticket-milter keeps (b)/(n data) $(ratio "${M[b]}" "${M[nd]}") and $(ratio "${M[bu]}" "${M[ndu]}") of what a milter that steps aside
at DATA can leave. **(c)/(a) $(ratio "${M[c]}" "${M[a]}")** (target 0.5;
with verification against DNS $(ratio "${M[cv]}" "${M[a]}"), with no DNS $(ratio "${M[cn]}" "${M[a]}")),
**(c)/(d) $(ratio "${M[c]}" "${M[d]:-}")** (target: at least 1; with verification $(ratio "${M[cv]}" "${M[d]:-}")).

Where the CPU goes (ms of CPU per message, median of the runs; each
daemon with its child processes):

| | PostgreSQL | Postfix | ticket-milter |
|---|---|---|---|
| a: no milter | $(cpu_cell a 1) | $(cpu_cell a 2) | - |
| n: null_milter, accepts at CONNECT | $(cpu_cell n 1) | $(cpu_cell n 2) | $(cpu_cell n 3) (null_milter) |
| n: null_milter, accepts at DATA | $(cpu_cell nd 1) | $(cpu_cell nd 2) | $(cpu_cell nd 3) (null_milter) |
| b: other mail | $(cpu_cell b 1) | $(cpu_cell b 2) | $(cpu_cell b 3) |
| c: support mail stored | $(cpu_cell c 1) | $(cpu_cell c 2) | $(cpu_cell c 3) |

For other mail the daemon asks for no CONNECT event and no reply before
DATA, classifies the recipients and answers ACCEPT at DATA; what it costs
is the milter connection of each SMTP session on both sides and the
steps up to DATA, which null_milter pays too: that is why (n) bounds (b),
and why a unix socket, which spares both sides TCP, moves both. This
libmilter serves sessions with
$milter_threads; each SMTP command after a pause is a hand-over between
threads, in the kernel more than in the callbacks. For support mail the largest part
is the ingest transaction in PostgreSQL on the same two CPUs.

Inside the daemon (its log, p50 / p99 over all runs): the database
transaction of one support message $(echo $db_ms | tr ' ' '\n' | quantiles) ms; SPF, DKIM
and DMARC against dnsmasq $(echo $auth_on_ms | tr ' ' '\n' | quantiles) ms; the same with no DNS
server (every lookup refused at once, so it fails fast: temperror, stored
as usual) $(echo $auth_nodns_ms | tr ' ' '\n' | quantiles) ms.

### Latency per support message

Whole SMTP transactions (MAIL FROM to the reply to the final dot), 400
distinct 4 KB messages, one per transaction (tests/lib/smtpc.py), from
$CLIENT as \`$CSENDER\` (SPF and DMARC pass), to the stored-only queue,
with the durable PostgreSQL; p50 / p99 in ms, with the daemon in service:
after 400 messages over 20 connections, which opened its database
connections and filled its DNS cache.

| connections | a: no milter | c: stored, \`VerifySenders no\` | added | c: the defaults (\`VerifySenders yes\`, DNS cache) | added |
|---|---|---|---|---|---|
| 1 | $(lcell a1 1) / $(lcell a1 2) | $(lcell c1 1) / $(lcell c1 2) | $(added a1 c1 1) / $(added a1 c1 2) | $(lcell v1 1) / $(lcell v1 2) | $(added a1 v1 1) / $(added a1 v1 2) |
| 20 | $(lcell a20 1) / $(lcell a20 2) | $(lcell c20 1) / $(lcell c20 2) | $(added a20 c20 1) / $(added a20 c20 2) | $(lcell v20 1) / $(lcell v20 2) | $(added a20 v20 1) / $(added a20 v20 2) |
| 20, the first 400 after the daemon started | | $(lcell c20first 1) / $(lcell c20first 2) | $(added a20 c20first 1) / $(added a20 c20first 2) | | |

Added p99 at 20 connections with the defaults: **$(added a20 v20 2) ms** (target: at
most 20 ms: $(verdict "$(added a20 v20 2)" 20 max)). With 20 transactions in flight on two CPUs, a message waits
mostly for CPU: Postfix's own p99 is $(lcell a20 2) ms without a milter.

After a start, the first message on each of the daemon's database
connections waits for the connection to open, its statement to be
prepared and the SQL functions to be compiled in its server process:
that is the last row's p99.

### Memory of the daemon

| state | RSS (MB) |
|---|---|
| idle, after start | $mem_idle |
| 50 SMTP sessions open (between RCPT and DATA) | $mem_50 ($conns_50 sessions open, $threads_50 threads) |
| 200 sessions open | $mem_200 ($conns_200 sessions open, $threads_200 threads) |
| after they closed | $mem_after |
| peak (VmHWM) after 200 support messages of 100 KB at once | $mem_200x100k |
| a $(awk -v b="$big_bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB support message (35 MiB attachment), idle before | $mem_idle2 |
| ... peak while it passes (sampled every 20 ms / VmHWM) | $big_peak / $big_hwm |
| ... of which anonymous memory (RssAnon, sampled), the rest being mapped files | $big_anon |

The 50 MB message took $big_s s through Postfix and the milter ($(awk '{ print $4 == 1 ? "accepted" : "not accepted: " $0 }' <<<"$big_out"); $big_stored bytes stored).
The body goes to a temporary file past \`BodyMemoryLimit\` (1 MB) while it
arrives, so open sessions cost little. At the end of the message the
daemon maps the file (page cache, counted in RSS as a mapped file, not
as the daemon's own memory), the parser decodes the attachments (the
anonymous part: bounded by \`MaximumDecodedSize\`, 64 MB), and
\`store_ingest()\` streams the raw message and the attachments to
PostgreSQL with COPY in 256 KB pieces (milter/core/store_ingest.c), so libpq never
holds them whole. Memory per large message in flight is thus about its
decoded attachments, plus the mapped file.

### How cost grows

By message size (\`smtp-source -l BYTES\`; 1000, 200 and 6 messages a run,
20, 20 and 2 sessions):

| size | a: messages/s | a: MB/s | c: messages/s | c: MB/s | (c)/(a) |
|---|---|---|---|---|---|
| 1 KB | ${S[a1k]} | $(mbps "${S[a1k]}" 1024) | ${S[c1k]} | $(mbps "${S[c1k]}" 1024) | $(ratio "${S[c1k]}" "${S[a1k]}") |
| 100 KB | ${S[a100k]} | $(mbps "${S[a100k]}" 102400) | ${S[c100k]} | $(mbps "${S[c100k]}" 102400) | $(ratio "${S[c100k]}" "${S[a100k]}") |
| 10 MB | ${S[a10m]} | $(mbps "${S[a10m]}" 10000000) | ${S[c10m]} | $(mbps "${S[c10m]}" 10000000) | $(ratio "${S[c10m]}" "${S[a10m]}") |

By what the database holds: 400 support messages over 8 connections, a
quarter each new, a reply by In-Reply-To, by subject tag from a
participant, and by Thread-Index, to random stored messages
(\`VerifySenders no\`). The table is filled with generate_series in SQL
($((FILL - first)) more rows took $fill_s s; $db_size on disk at the end).

| stored messages | messages/s | runs | database transaction p50 / p99 (ms) | threaded by |
|---|---|---|---|---|
| $first | $(median ${I[small]}) | ${I[small]} | $db_small | $rules_small |
| $stored_big | $(median ${I[big]}) | ${I[big]} | $db_big | $rules_big |

The lookups stay index scans with $stored_big stored messages (generic plans of
the prepared statements, as the plpgsql functions run them):

\`\`\`
$plans
\`\`\`
MD
