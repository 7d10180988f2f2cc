#!/usr/bin/env bash
# bench_failover.sh - the "## Failover" section of BENCHMARKS.md: what
# synchronous replication costs and how long mail is tempfailed when the
# database fails over. A pg_auto_failover cluster on loopback
# (tests/lib/failover.sh: a monitor and two nodes) behind Postfix and
# ticket-milter (tests/lib/env.sh), under var/bench-failover/, stopped and
# deleted afterwards. Prints figures only; never fails on timings.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build} TM_RESULTS=/dev/null
export SVC_DIR=${BENCH_FAILOVER_DIR:-$root/var/bench-failover}
MESSAGES=${BENCH_FAILOVER_MESSAGES:-300}
SENDERS=${BENCH_FAILOVER_SENDERS:-4}
. "$root/tests/lib/testlib.sh"
. "$root/tests/lib/env.sh"
. "$root/bench/lib.sh"

echo "## Failover"
echo
if ! command -v pg_autoctl >/dev/null; then
	echo "pg_auto_failover is not installed (scripts/install-deps.sh): not measured."
	exit 0
fi
mkdir -p "$root/var"
env_up >"$root/var/bench-failover-env.log" 2>&1 && env_load \
	|| { echo "PostgreSQL and Postfix did not start: not measured."; exit 0; }
. "$root/tests/lib/failover.sh"
work=$SVC_REAL/work
trap 'milter_stop; PURGE=1 fo_down; env_down' EXIT
mkdir -p "$work"
fo_up >"$work/fo.log" 2>&1 || { echo "The pg_auto_failover cluster did not start: not measured."; exit 0; }
settings="VerifySenders no
Database $(fo_conninfo)
DatabaseTimeout 5"
milter_config "$TM_CONF" "$MILTER_PORT" "$settings"
"$TM_BUILD/ticketctl" -c "$TM_CONF" init >/dev/null 2>&1
fo_use
"$TM_BUILD/ticketctl" -c "$TM_CONF" queue add support@help.test --name Support >/dev/null 2>&1
milter_start "$settings" >/dev/null 2>&1 || { echo "ticket-milter did not start: not measured."; exit 0; }

# throughput RUN - support messages per second through Postfix and the milter
throughput() {
	local i dir=$work/$1 out
	mkdir -p "$dir"
	for i in $(seq 1 "$MESSAGES"); do
		printf 'From: c%s@customer.test\r\nTo: support@help.test\r\nSubject: bench %s\r\nMessage-ID: <%s-%s@bench.test>\r\n\r\nMy printer is on fire.\r\n' \
			"$i" "$i" "$1" "$i" >"$dir/$i.eml"
	done
	out=$(python3 "$root/tests/lib/smtpc.py" send --port "$PF_PORT" --conns "$SENDERS" "$dir"/*.eml)
	awk -v n="$MESSAGES" '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1) }
		END { printf "%.1f | %d\n", v["ok"] / v["seconds"], n - v["ok"] }' <<<"$out"
}

# standby_stop / standby_start - node2 away (the primary commits alone), back
standby_stop() {
	fo_as pg_autoctl stop --pgdata "$FO_DIR/node2" >/dev/null 2>&1
	fo_wait_state 60 node1 wait_primary
}
standby_start() {
	fo_start node2
	fo_wait_state 120 node2 secondary && fo_wait_state 30 node1 primary
}

# taken_after START_MS ID - send one message again every 0.2 s until it is
# taken (250); milliseconds since START_MS, or "-" after 180 s
taken_after() {
	local f=$work/$2.eml
	printf 'From: w@customer.test\r\nTo: support@help.test\r\nSubject: wait\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nWaiting.\r\n' "$2" >"$f"
	while [ $(( $(date +%s%3N) - $1 )) -lt 180000 ]; do
		if send --from w@customer.test --to support@help.test --data "@$f" >/dev/null 2>&1; then
			echo $(( $(date +%s%3N) - $1 ))
			return
		fi
		sleep 0.2
	done
	echo "-"
}

# Synchronous standby vs the primary alone, in turn, twice, after a warm-up.
throughput warm >/dev/null
sync_rates="" alone_rates="" sync_cells="" alone_cells=""
for round in 1 2; do
	r=$(throughput "sync$round"); sync_rates="$sync_rates ${r%% *}"; sync_cells="$sync_cells | $r"
	standby_stop >/dev/null 2>&1
	r=$(throughput "alone$round"); alone_rates="$alone_rates ${r%% *}"; alone_cells="$alone_cells | $r"
	standby_start >/dev/null 2>&1
done

# Failover: the primary's node killed; how long until mail is taken again,
# with the test's short monitor timeouts, then with pg_auto_failover's own.
failover_ms() {
	local primary start ms
	primary=$(fo_primary)
	start=$(date +%s%3N)
	fo_kill "$primary"
	ms=$(taken_after "$start" "failover-$1@bench.test")
	fo_start "$primary"
	fo_wait_state 180 "$primary" secondary >/dev/null 2>&1
	fo_wait_state 30 "$(fo_primary)" primary >/dev/null 2>&1
	echo "$ms"
}
short_ms=$(failover_ms short)
fo_monitor_defaults
default_ms=$(failover_ms default)
# The standby stops answering (SIGSTOP): commits wait until the monitor
# drops to asynchronous replication (defaults).
standby=node1; [ "$(fo_primary)" = node1 ] && standby=node2
start=$(date +%s%3N)
fo_pause "$standby"
wait_ms=$(taken_after "$start" "standby-down@bench.test")
fo_resume "$standby"

cpus=$(nproc)
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/ [0-9]*-Core.*//; s/(R)//g; s/(TM)//g')
cat <<EOF
\`make bench\` on $(date -u +%Y-%m-%d), $cpus CPUs (${model:-unknown}),
normal build (-O2), bench/bench_failover.sh. PostgreSQL 15 under
pg_auto_failover 2.0 on one machine: a monitor and two nodes on loopback,
PostgreSQL's defaults (fsync on) apart from memory and connections; ticket-milter with
\`Database host=127.0.0.1,127.0.0.1 port=P1,P2 target_session_attrs=read-write\`,
\`VerifySenders no\`, \`DatabaseTimeout 5\`.

Throughput of support mail through Postfix and ticket-milter ($MESSAGES
messages, $SENDERS SMTP clients in parallel), the primary with its
synchronous standby (a COMMIT returns once the standby has the WAL) and
alone (the standby stopped: the monitor sets the primary to wait_primary,
which commits without waiting), in turn:

| replication | messages/s, run 1 | failed | messages/s, run 2 | failed |
|---|---|---|---|---|
| synchronous standby$sync_cells |
| primary alone$alone_cells |

Ratio synchronous / alone (medians): **$(ratio "$(median $sync_rates)" "$(median $alone_rates)")**.
Both nodes share this machine's disk and CPUs; on two hosts the standby's
acknowledgement adds a network round trip per COMMIT instead.

Time support mail is tempfailed (451) until a message is taken again:

| event | monitor timeouts | tempfailed for |
|---|---|---|
| the primary's node killed (SIGKILL), the standby promoted | shortened (tests/lib/failover.sh) | ${short_ms} ms |
| the primary's node killed (SIGKILL), the standby promoted | pg_auto_failover's defaults | ${default_ms} ms |
| the standby stops answering (SIGSTOP) until the monitor drops to asynchronous | pg_auto_failover's defaults | ${wait_ms} ms |

Meanwhile every support message is answered 451 4.3.0 within DatabaseTimeout
and the sending MTA retries (t_reliability_failover asserts it).
EOF
