#!/usr/bin/env bash
# bench_auth.sh - the "## Authentication" section of BENCHMARKS.md: the
# latency that SPF, DKIM and DMARC verification adds per message, against a
# local DNS server (p50/p99), and support-mail throughput through Postfix
# and ticket-milter with verification on and off. Everything runs inside a
# network namespace of its own with dnsmasq, PostgreSQL and Postfix
# (tests/lib/authns.sh, tests/lib/env.sh), which is deleted afterwards.
# Prints figures only; never fails on timings.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build}
. "$root/tests/lib/authns.sh"
NS=tm-auth-bench-$$
COUNT=${BENCH_AUTH_COUNT:-500}
MESSAGES=${BENCH_AUTH_MESSAGES:-300}
SENDERS=${BENCH_AUTH_SENDERS:-4}

if [ "${1:-}" != "--inside" ]; then
	echo "## Authentication"
	echo
	trap 'authns_down "$NS"' EXIT
	if ! command -v dnsmasq >/dev/null || ! authns_up "$NS" >/dev/null 2>&1; then
		echo "No network namespace or no dnsmasq here: not measured."
		exit 0
	fi
	ip netns exec "$NS" bash "$0" --inside
	exit 0
fi

# --- inside the namespace ---
export SVC_DIR=$root/var/bench-auth
. "$root/tests/lib/env.sh"
work=$SVC_DIR/work
trap 'milter_stop; authns_dns_stop "$work"; env_down' EXIT
mkdir -p "$root/var"
env_up >"$root/var/bench-auth-env.log" 2>&1 && env_load \
	|| { echo "PostgreSQL and Postfix did not start: not measured."; exit 0; }
mkdir -p "$work" && chmod 755 "$work"
authns_keys "$work" >/dev/null 2>&1 && authns_dns_start "$work" || { echo "dnsmasq did not start: not measured."; exit 0; }

# signed ID - a support message from a@dkim.test, DKIM-signed, CRLF
signed() {
	printf 'Date: Sat, 28 Nov 2026 10:00:00 +0000\r\nFrom: Customer <a@dkim.test>\r\nTo: support@help.test\r\nSubject: bench %s\r\nMessage-ID: <%s@bench.test>\r\n\r\nMy printer is on fire.\r\nPlease help.\r\n' "$1" "$1" \
		| opendkim-testmsg -C -d dkim.test -k "$work/sel.private" -s sel
}

signed latency >"$work/latency.eml"
lat=$("$root/build/bench/auth_bench" -n "$COUNT" -i 192.0.2.10 -h mx.client.test \
	-f bounce@dkim.test -d dkim.test "$work/latency.eml" 2>&1)
get() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<<"$lat"; }

# cols "RATE FAILED RATE FAILED" - the table cells of two runs
cols() { set -- $1; echo "${1:--} | ${2:--} | ${3:--} | ${4:--}"; }

# throughput RUN - messages per second through Postfix and the milter
throughput() {
	local i dir=$work/$1
	mkdir -p "$dir"
	for i in $(seq 1 "$MESSAGES"); do signed "$1-$i" >"$dir/$i.eml"; done
	python3 - "$PF_PORT" "$SENDERS" "$dir" <<-'PY'
	import os, smtplib, sys, threading, time
	port, senders, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
	files = sorted(os.path.join(d, f) for f in os.listdir(d))
	lock, failed = threading.Lock(), [0]
	def work():
	    while True:
	        with lock:
	            if not files:
	                return
	            f = files.pop()
	        try:
	            with smtplib.SMTP("127.0.0.1", port, local_hostname="mx.client.test",
	                              source_address=("192.0.2.10", 0), timeout=60) as s:
	                s.sendmail("bounce@dkim.test", ["support@help.test"], open(f, "rb").read())
	        except Exception:
	            with lock:
	                failed[0] += 1
	n = len(files)
	start = time.monotonic()
	threads = [threading.Thread(target=work) for _ in range(senders)]
	for t in threads: t.start()
	for t in threads: t.join()
	print("%.1f %d" % (n / (time.monotonic() - start), failed[0]))
	PY
}

# A warm-up run first (Postfix processes, database caches), then off and on
# in turn, twice, so that neither side gets the warmer system.
milter_start "VerifySenders no" >/dev/null 2>&1 && throughput warm >/dev/null
on="" off=""
for round in 1 2; do
	milter_start "VerifySenders no" >/dev/null 2>&1 && off="$off $(throughput "off$round")"
	milter_start "VerifySenders yes" >/dev/null 2>&1 && on="$on $(throughput "on$round")"
done
# stored PATTERN CONDITION - messages whose Message-ID matches, and the condition
stored() { sql "SELECT count(*) FROM messages WHERE message_id LIKE '$1' AND $2" 2>/dev/null; }
stored_on=$(stored 'on%' "auth #>> '{dmarc,result}' = 'pass'")
stored_off=$(stored 'off%' "jsonb_typeof(auth) = 'object'")
verify_ms=$(grep -h ' dmarc=pass ' "$SVC_REAL"/ticket-milter-*.log | grep -o 'auth_ms=[0-9.]*' | cut -d= -f2 | sort -n \
	| awk '{a[NR] = $1} END { if (NR) printf "%s ms / %s ms", a[int(NR / 2) + 1], a[int(NR * 0.99) + (NR * 0.99 > int(NR * 0.99))] }')

cat <<MD
\`make bench\` on $(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),
normal build (-O2). DNS: dnsmasq on the loopback of a private network
namespace, behind the daemon's own cache (DNSCacheSize, on by default: a
repeated lookup is answered from memory for its TTL, as a mail admin runs it).

Added latency of verification per message (\`auth_verify()\`, bench/auth_bench.c,
$(get count) runs on one DKIM-signed message; SPF $(get spf), DKIM $(get dkim), DMARC $(get dmarc)):

| p50 | p99 | mean | max |
|---|---|---|---|
| $(get p50_us) µs | $(get p99_us) µs | $(get mean_us) µs | $(get max_us) µs |

Throughput of support mail through Postfix and ticket-milter into PostgreSQL
($MESSAGES DKIM-signed messages, $SENDERS SMTP clients in parallel, one connection each):

| verification | messages/s, run 1 | failed | messages/s, run 2 | failed |
|---|---|---|---|---|
| off (\`VerifySenders no\`) | $(cols "$off") |
| on (\`VerifySenders yes\`) | $(cols "$on") |

Of the $((2 * MESSAGES)) messages sent with verification on, $stored_on were stored with dmarc=pass;
of those sent with it off, $stored_off carry results. The milter sets TCP_NODELAY on its
socket (milter/util/sockopt.c): without it, each message that gets a header inserted waited
40 ms for a delayed ACK (Nagle), and throughput with verification on was a quarter.

Verification inside the daemon took $verify_ms (p50 / p99, auth_ms of its log lines).
MD
