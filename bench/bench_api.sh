#!/usr/bin/env bash
# bench_api.sh - the "## REST API (ticket-api)" section of BENCHMARKS.md:
# requests/s and p99 latency of ticket-api (the -O2 build) with wrk at 1
# and 20 connections, for GET /v1/tickets/{number} (a ticket with a real
# message, stored through Postfix and the milter) and a filtered list of
# 50 over 100,000 tickets, beside GET /v1/health, the same daemon without
# key or database (the ceiling), as ratios; and mail ingest (swaks through
# Postfix and the milter) alone and beside 20 connections on the list. The
# 100,000 tickets are made with SQL (generate_series), not by mail.
# State under var/bench-api/ (tests/lib/env.sh), removed afterwards.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build}
. "$root/bench/lib.sh"
SECONDS_EACH=${API_BENCH_SECONDS:-10}
TICKETS=${API_BENCH_TICKETS:-100000}
API_PORT=${API_PORT:-18089}
echo "## REST API (ticket-api)"
echo
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk): not measured."; exit 0; }
export SVC_DIR=$root/var/bench-api
. "$root/tests/lib/env.sh"
. "$root/bench/mta_config.sh"
# A durable cluster (fsync, synchronous_commit, full_page_writes on), as a
# mail admin's: the ingest beside the API commits as users' does.
bench_pg_durable
work=$SVC_DIR/work
# wait_for SECONDS CMD... - retry CMD every 0.2 s until it succeeds
wait_for() { local n=$(($1 * 5)); shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done; return 1; }
api_stop() { [ -f "$work/api.pid" ] && kill "$(cat "$work/api.pid")" 2>/dev/null; sleep 1; }
trap 'api_stop; milter_stop; env_down; rm -rf "$SVC_DIR"' EXIT
trap 'exit 1' TERM INT
env_up >"$root/var/bench-api-env.log" 2>&1 && env_load \
	|| { echo "PostgreSQL and Postfix did not start: not measured."; exit 0; }
mkdir -p "$work"
LINES="VerifySenders no
ApiSocket inet:$API_PORT@127.0.0.1
ApiThreads 32
ApiRequestsPerMinute 1000000000"
milter_start "$LINES" >/dev/null 2>&1 || { echo "ticket-milter did not start: not measured."; exit 0; }
BODY="My printer is on fire." mail customer@cust.test support@help.test "Printer" bench-1@cust.test >/dev/null 2>&1
wait_for 10 bash -c "[ \$(psql -X -At -c 'SELECT count(*) FROM messages') -ge 1 ]" || { echo "no message stored: not measured."; exit 0; }
number=$(sql "SELECT number FROM tickets LIMIT 1")
sql "INSERT INTO contacts (address) SELECT 'c' || i || '@bulk.test' FROM generate_series(1, 1000) i" >/dev/null
sql "INSERT INTO tickets (number, queue_id, subject, status, customer_id, created_at, updated_at)
     SELECT 900000000 + i, q.id, 'bulk ' || i, (ARRAY['new','open','pending','solved','closed'])[1 + i % 5],
            (SELECT min(id) FROM contacts) + i % 1000, now() - i * interval '1 minute', now() - i * interval '1 minute'
     FROM generate_series(1, $TICKETS) i, queues q WHERE q.address = 'support@help.test'; ANALYZE" >/dev/null
key=$("$TM_BUILD/ticketctl" -c "$TM_CONF" apikey add bench --all --scope read 2>/dev/null)
"$TM_BUILD/ticket-api" -f -c "$TM_CONF" -p "$work/api.pid" >"$work/api.log" 2>&1 &
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$API_PORT/v1/health" || { echo "ticket-api did not start: not measured."; exit 0; }

# run CONNS PATH - "REQUESTS_PER_S P99_MS" of wrk
run() {
	local threads=$(( $1 < 2 ? 1 : 2 )) out
	out=$(wrk -t"$threads" -c"$1" -d"${SECONDS_EACH}s" --latency -H "Authorization: Bearer $key" \
		"http://127.0.0.1:$API_PORT$2" 2>&1)
	awk '/Requests\/sec/ { r = $2 } / 99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; p = v }
		END { printf "%.0f %.2f\n", r, p }' <<<"$out"
}

# Warm-up: the pool opens its database connections on demand; opening 20
# under load would be the first cell's p99 (about 0.7 s), not a request's.
wrk -t2 -c20 -d3s -H "Authorization: Bearer $key" "http://127.0.0.1:$API_PORT/v1/queues" >/dev/null 2>&1
sql "VACUUM ANALYZE" >/dev/null

echo "ticket-api $(cat "$root/VERSION"), thread per connection, $TICKETS tickets in one region, the"
echo "private PostgreSQL of tests/lib/env.sh made durable (fsync, synchronous_commit and"
echo "full_page_writes on, as bench_mta.sh's), wrk for ${SECONDS_EACH} s a cell on $(nproc) cores shared with"
echo "PostgreSQL, after a warm-up that opens the pool's connections. The ratio is requests/s"
echo "over the ceiling's at the same connections. Two settings differ from ticket-api's"
echo "defaults: \`ApiThreads 32\` (default 16), so that 20 wrk connections and the warm-up never"
echo "wait for a free thread; and \`ApiRequestsPerMinute 1000000000\` (default 600), since one key"
echo "makes every request here and the limit would answer 429 after 600 (README's table of"
echo "settings: an integration that reads in bulk needs more)."
echo
echo "| request | connections | requests/s | p99 ms | of the ceiling |"
echo "| --- | ---: | ---: | ---: | ---: |"
for conns in 1 20; do
	read -r ceil_rate ceil_p99 <<<"$(run "$conns" /v1/health)"
	echo "| GET /v1/health (constant, the ceiling) | $conns | $ceil_rate | $ceil_p99 | 1.00 |"
	read -r rate p99 <<<"$(run "$conns" "/v1/tickets/$number")"
	echo "| GET /v1/tickets/{number} | $conns | $rate | $p99 | $(ratio "$rate" "$ceil_rate") |"
	read -r rate p99 <<<"$(run "$conns" "/v1/tickets?status=open&limit=50")"
	echo "| GET /v1/tickets?status=open&limit=50 | $conns | $rate | $p99 | $(ratio "$rate" "$ceil_rate") |"
done

# ingest TAG - messages/s stored when MESSAGES mails go through Postfix and
# the milter one after the other (swaks, as the tests send)
MESSAGES=${API_BENCH_MESSAGES:-100}
ingest() {
	local before start end i
	before=$(sql "SELECT count(*) FROM messages")
	start=$(date +%s.%N)
	for i in $(seq 1 "$MESSAGES"); do
		BODY="ingest $1 $i" mail "c$i@cust.test" support@help.test "ingest $1 $i" "ingest-$1-$i@cust.test" >/dev/null 2>&1
	done
	wait_for 60 bash -c "[ \$(psql -X -At -c 'SELECT count(*) FROM messages') -ge $((before + MESSAGES)) ]"
	end=$(date +%s.%N)
	awk -v n="$MESSAGES" -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", n / (b - a) }'
}
alone=$(ingest alone)
wrk -t2 -c20 -d600s -H "Authorization: Bearer $key" "http://127.0.0.1:$API_PORT/v1/tickets?status=open&limit=50" >/dev/null 2>&1 &
load=$!
busy=$(ingest busy)
kill "$load" 2>/dev/null
wait "$load" 2>/dev/null
echo
echo "Mail ingest beside the API: $MESSAGES messages through Postfix and the milter, one after"
echo "the other (swaks), stored per second without API traffic and while wrk keeps 20 connections"
echo "on the filtered list."
echo
echo "| ingest | messages/s | ratio |"
echo "| --- | ---: | ---: |"
echo "| alone | $alone | 1.00 |"
echo "| beside 20 API connections | $busy | $(ratio "$busy" "$alone") |"
