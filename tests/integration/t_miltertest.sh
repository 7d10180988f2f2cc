#!/usr/bin/env bash
# t_miltertest - miltertest plays the MTA: the milter's replies and actions
# for a support message, a mixed one and another one, checked step by step.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
trap milter_stop EXIT
milter_start || { fail "ticket-milter starts" "see its log"; exit 1; }

out=$(miltertest -D sock="inet:$MILTER_PORT@127.0.0.1" -D dir="$TM_ROOT/tests/integration/miltertest" -s "$TM_ROOT/tests/integration/miltertest/ingest.lua" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
for case in "support message stored, copy discarded" \
	"mixed recipients: support recipient removed, other kept" \
	"other mail accepted at DATA"; do
	check "miltertest: $case" grep -qF "ok $case" <<<"$out"
done
check_eq "miltertest exits 0 and passes" "0 PASS" "$rc $(tail -n1 <<<"$out")"
check_eq "the miltertest message is stored with its client" "1|192.0.2.10|client.customer.test|MTQUEUE1" \
	"$(sql "SELECT count(*) || '|' || max(host(client_ip)) || '|' || max(helo) || '|' || max(mta_queue_id) FROM messages WHERE message_id = 'mt-1@customer.test'")"
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
