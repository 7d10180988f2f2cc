#!/usr/bin/env bash
# t_webhooks - webhooks against the private PostgreSQL, Postfix and the real
# daemon's senders, with receivers in python3 on loopback
# (tests/lib/webhook_receiver.py):
#   ticketctl webhook add refuses what is no http(s) URL, an unknown event
#   or queue, and prints a secret once; list never shows a secret
#   a mailed message gives ticket.created and message.received, a status
#   change ticket.updated: each once, signed (the HMAC checked here), with
#   its delivery id and event in the headers, each body valid against the
#   OpenAPI document's webhook payload
#   the assignee set through ticket-api and a merge give ticket.updated
#   a receiver down for a while gets what happened meanwhile after retries,
#   each delivery once, one ticket's in the order of its events
#   a receiver answering 500 gets WebhookMaxAttempts tries, then webhook
#   deliveries --failed lists the delivery; webhook retry sends it again
#   privacy erase deletes the deliveries of the person's tickets
#   with two regions, a webhook and its deliveries live in its queue's
#   region, whose name the payload's region and message id carry; a
#   ticket set aside as spam sends nothing until it leaves spam
#   a removed webhook gets nothing more; a body changed on the way fails
#   the signature check
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d -t tm-hooks.XXXXXX)
HOOK_PORT=${HOOK_PORT:-18110}
API_PORT=${API_PORT:-18080}
BAD_PORT=$((HOOK_PORT + 1))
receivers=()
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
# receiver PORT STATUS LOG SECRET - start a receiver; wait until it listens
receiver() {
	python3 "$TM_ROOT/tests/lib/webhook_receiver.py" "$@" &
	receivers[$1]=$!
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 1)"
}
# receiver_stop PORT - stop that receiver
receiver_stop() { [ -n "${receivers[$1]:-}" ] && kill "${receivers[$1]}" 2>/dev/null && wait "${receivers[$1]}" 2>/dev/null; receivers[$1]=; }
cleanup() {
	for p in "${!receivers[@]}"; do receiver_stop "$p"; done
	[ -f "$work/api.pid" ] && kill "$(cat "$work/api.pid")" 2>/dev/null && wait_for 10 bash -c "! [ -f '$work/api.pid' ]"
	sql "DELETE FROM webhooks" 2>/dev/null
	sql "DELETE FROM api_keys WHERE name = 'hookwriter'; DELETE FROM agents WHERE address = 'hookagent@help.test'" 2>/dev/null
	milter_stop; milter_config "$TM_CONF" "$MILTER_PORT"; rm -rf "$work"
	for db in hooks_home hooks_eu; do PGOPTIONS="-c client_min_messages=warning" sql "DROP DATABASE IF EXISTS $db" 2>/dev/null; done
}
trap cleanup EXIT
# lines LOG - how many requests a receiver got
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
# deliveries_of HOOK STATE - how many deliveries of that webhook are in STATE
deliveries_of() { sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1 AND state = '$2'"; }

LINES="WebhookSenders 3
WebhookRetryDelay 1s
WebhookMaxAttempts 6
WebhookTimeout 5s
ApiSocket inet:$API_PORT@127.0.0.1"
milter_start "$LINES" || { fail "ticket-milter starts"; exit 1; }
queue_add hooks@help.test --name Hooks || fail "queue add hooks"

# --- ticketctl webhook add, list ---
for url in ftp://127.0.0.1/x file:///etc/passwd http:// "http:///x" "http://a b/" gopher://x; do
	ctl webhook add "$url" --queue hooks@help.test --events ticket.created >"$work/out" 2>&1
	check_eq "webhook add $url: refused" "1 1" "$? $(grep -c 'not an http:// or https:// URL' "$work/out")"
done
ctl webhook add http://127.0.0.1:1/ --queue hooks@help.test --events ticket.created,ticket.deleted >"$work/out" 2>&1
check_eq "an unknown event: refused" "1" "$?"
ctl webhook add http://127.0.0.1:1/ --queue nosuch@help.test --events ticket.created >"$work/out" 2>&1
check_eq "an unknown queue: refused" "1" "$?"
ctl webhook add http://127.0.0.1:1/ --queue hooks@help.test >"$work/out" 2>&1
check_eq "no --events: usage" "2" "$?"
check_eq "nothing refused was stored" "0" "$(sql 'SELECT count(*) FROM webhooks')"
secret=$(ctl webhook add "http://127.0.0.1:$HOOK_PORT/hook" --queue Hooks@Help.test \
	--events ticket.created,message.received,ticket.updated 2>"$work/err")
check "webhook add prints a secret" grep -qE '^tm_[0-9a-f]{64}$' <<<"$secret"
check "... and says it is shown once" grep -q "not shown again" "$work/err"
hook=$(sql "SELECT id FROM webhooks WHERE url = 'http://127.0.0.1:$HOOK_PORT/hook'")
check_eq "webhook list shows it" "hooks@help.test http://127.0.0.1:$HOOK_PORT/hook ticket.created,message.received,ticket.updated" \
	"$(ctl webhook list | awk -v id="$hook" '$1 == id { print $2, $3, $4 }')"
ctl webhook list --json >"$work/list.json"
check_eq "... --json, never the secret" "hooks@help.test 0" \
	"$(jq -r '.[0].queue' "$work/list.json") $(grep -c "${secret#tm_}" "$work/list.json")"

# --- events arrive once, signed, valid ---
log=$work/hook.log
receiver "$HOOK_PORT" 200 "$log" "$secret" || fail "receiver starts"
mail cust@cust.test hooks@help.test "Printer on fire" hook-1@cust.test || fail "mail 1"
check "ticket.created and message.received arrive" wait_for 20 bash -c "[ \$(wc -l <'$log' 2>/dev/null || echo 0) -ge 2 ]"
number=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'hook-1@cust.test'")
msg=$(sql "SELECT id FROM messages WHERE message_id = 'hook-1@cust.test'")
check_eq "... in the order of the events" "ticket.created message.received" "$(jq -r .event "$log" | xargs)"
check_eq "... every signature valid" "true true" "$(jq -r .signed "$log" | xargs)"
check_eq "... Content-Type application/json" "application/json application/json" "$(jq -r .type "$log" | xargs)"
check_eq "... the headers name the body's event and delivery" "true true" \
	"$(jq -r '(.body | fromjson) as $b | ($b.event == .event and $b.delivery == .delivery)' "$log" | xargs)"
check_eq "... the ticket as the API names it" "$number Printer on fire new hooks@help.test default cust@cust.test" \
	"$(head -n1 "$log" | jq -r '.body | fromjson | .ticket | "\(.number) \(.subject) \(.status) \(.queue) \(.region) \(.customer)"')"
check_eq "... the message as REGION.ID" "default.$msg customer cust@cust.test" \
	"$(sed -n 2p "$log" | jq -r '.body | fromjson | .message | "\(.id) \(.kind) \(.from)"')"
n=0
while read -r line; do
	n=$((n + 1))
	jq -r .body <<<"$line" >"$work/body"
	schema=$(jq -r '.event | if . == "ticket.created" then "WebhookTicketCreated" elif . == "message.received" then "WebhookMessageReceived" else "WebhookTicketUpdated" end' <<<"$line")
	check "payload $n valid $schema" python3 "$TM_ROOT/tests/lib/apischema.py" "$TM_ROOT/api/openapi.yaml" "$schema" "$work/body"
done <"$log"
check_eq "the deliveries are recorded delivered, with the status" "2 200" \
	"$(sql "SELECT count(*), max(last_status) FROM webhook_deliveries WHERE webhook_id = $hook AND state = 'delivered'" | tr '|' ' ')"
# The signature is of these bytes: one changed is found out.
forged=$(head -n1 "$log" | jq -r .body | sed 's/Printer/Scanner/')
check "a changed body fails the signature check" python3 -c "
import hashlib, hmac, json, sys
line = json.loads(open('$log').readline())
body = sys.argv[1].encode()
want = 'sha256=' + hmac.new(b'$secret', body, hashlib.sha256).hexdigest()
sys.exit(0 if body != line['body'].encode() and not hmac.compare_digest(want, line['signature']) else 1)" "$forged"

ctl ticket status "$number" pending >/dev/null || fail "ticket status pending"
check "ticket.updated arrives" wait_for 15 bash -c "[ \$(wc -l <'$log') -ge 3 ]"
check_eq "... with the change" "ticket.updated new pending pending true" \
	"$(sed -n 3p "$log" | jq -r '(.body | fromjson) as $b | "\(.event) \($b.changes.status.from) \($b.changes.status.to) \($b.ticket.status) \(.signed)"')"

# --- the assignee by ticket-api, a merge as an agent's #merge does it ---
"$TM_BUILD/ticket-api" -f -c "$TM_CONF" -p "$work/api.pid" >>"$SVC_REAL/ticket-api-$API_PORT.log" 2>&1 &
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$API_PORT/v1/health" || fail "ticket-api starts"
ctl agent add hookagent@help.test --queue hooks@help.test >/dev/null || fail "agent add"
key=$(ctl apikey add hookwriter --queue hooks@help.test --scope write 2>/dev/null)
check_eq "PATCH the assignee through ticket-api" 200 "$(curl -s -o /dev/null -w '%{http_code}' -X PATCH \
	-H "Authorization: Bearer $key" -H 'Content-Type: application/json' --data '{"assignee":"hookagent@help.test"}' \
	"http://127.0.0.1:$API_PORT/v1/tickets/$number")"
check "ticket.updated for the assignee arrives" wait_for 15 bash -c "[ \$(wc -l <'$log') -ge 4 ]"
check_eq "... with the change" "ticket.updated null hookagent@help.test hookagent@help.test" \
	"$(sed -n 4p "$log" | jq -r '(.body | fromjson) as $b | "\(.event) \($b.changes.assignee.from) \($b.changes.assignee.to) \($b.ticket.assignee)"')"
kill "$(cat "$work/api.pid")"; wait_for 10 bash -c "! [ -f '$work/api.pid' ]"
mail cust@cust.test hooks@help.test "Printer on fire again" hook-m@cust.test || fail "mail to merge"
check "the ticket to merge is announced" wait_for 15 bash -c "[ \$(wc -l <'$log') -ge 6 ]"
dup=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'hook-m@cust.test'")
sql "SELECT ticket_merge(s, d, 'hookagent@help.test') FROM tickets s, tickets d WHERE s.number = '$dup' AND d.number = '$number'" >/dev/null || fail "merge"
check "ticket.updated for the merge arrives" wait_for 15 bash -c "[ \$(wc -l <'$log') -ge 7 ]"
check_eq "... the merged ticket, closed, into the other" "ticket.updated $dup new closed null $number" \
	"$(sed -n 7p "$log" | jq -r '(.body | fromjson) as $b | "\(.event) \($b.ticket.number) \($b.changes.status.from) \($b.changes.status.to) \($b.changes.merged_into.from) \($b.changes.merged_into.to)"')"
check_eq "all valid, all signed" "true" "$(jq -r .signed "$log" | sort -u | xargs)"
for n in 4 7; do
	sed -n ${n}p "$log" | jq -r .body >"$work/body"
	check "payload $n valid WebhookTicketUpdated" python3 "$TM_ROOT/tests/lib/apischema.py" "$TM_ROOT/api/openapi.yaml" WebhookTicketUpdated "$work/body"
done

# --- the receiver down for a while ---
receiver_stop "$HOOK_PORT"
: >"$log"
mail cust@cust.test hooks@help.test "Re: Printer on fire" hook-2@cust.test "In-Reply-To: <hook-1@cust.test>" || fail "mail 2"
ctl ticket status "$number" solved >/dev/null || fail "ticket status solved"
mail other@cust.test hooks@help.test "Second printer" hook-3@cust.test || fail "mail 3"
# Each ticket's first waiting delivery is tried; the later ones wait behind it.
check "while it is down, the deliveries are tried and wait" wait_for 20 bash -c \
	"[ \$(psql -X -At -c \"SELECT count(*) FILTER (WHERE attempts >= 1) || ',' || count(*) FROM webhook_deliveries WHERE webhook_id = $hook AND state = 'pending'\") = 2,5 ]"
sleep 2
want=$(sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $hook AND state <> 'delivered'")
receiver "$HOOK_PORT" 200 "$log" "$secret" || fail "receiver starts again"
check "after it is back, everything arrives" wait_for 40 bash -c "[ \$(psql -X -At -c \"SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $hook AND state <> 'delivered'\") = 0 ]"
check_eq "... each delivery once" "$want $want" "$(lines "$log") $(jq -r .delivery "$log" | sort -u | wc -l)"
check_eq "... all signed" "true" "$(jq -r .signed "$log" | sort -u | xargs)"
check_eq "... one ticket's in the order of its events" \
	"$(sql "SELECT string_agg(delivery::text, ' ' ORDER BY id) FROM webhook_deliveries WHERE webhook_id = $hook AND ticket_number = '$number' AND id > (SELECT max(id) - $want FROM webhook_deliveries WHERE webhook_id = $hook)")" \
	"$(jq -r --arg n "$number" 'select((.body | fromjson).ticket.number == $n) | .delivery' "$log" | xargs)"
# The follow-up reopens the ticket before it is stored: the events' order.
check_eq "... the reopening, the follow-up and the solving" "ticket.updated message.received ticket.updated" \
	"$(jq -r --arg n "$number" 'select((.body | fromjson).ticket.number == $n) | .event' "$log" | xargs)"
check "... a delivery tried before shows its attempts" test "$(sql "SELECT max(attempts) FROM webhook_deliveries WHERE webhook_id = $hook")" -ge 2

# --- a receiver that answers 500 ---
bad=$work/bad.log
receiver "$BAD_PORT" 500 "$bad" x || fail "the 500 receiver starts"
ctl webhook add "http://127.0.0.1:$BAD_PORT/" --queue hooks@help.test --events ticket.created >/dev/null 2>&1 \
	|| fail "webhook add 500"
badhook=$(sql "SELECT id FROM webhooks WHERE url = 'http://127.0.0.1:$BAD_PORT/'")
mail third@cust.test hooks@help.test "Third printer" hook-4@cust.test || fail "mail 4"
check "500: given up after WebhookMaxAttempts" wait_for 60 bash -c "[ \$(psql -X -At -c \"SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $badhook AND state = 'failed'\") = 1 ]"
check_eq "... tried 6 times, one delivery id" "6 1" "$(lines "$bad") $(jq -r .delivery "$bad" | sort -u | wc -l)"
ctl webhook deliveries --failed >"$work/out"
badid=$(sql "SELECT id FROM webhook_deliveries WHERE webhook_id = $badhook")
check "webhook deliveries --failed lists it with the status" grep -qE "^$badid +$badhook +ticket.created .* failed +6 attempt\(s\): HTTP status 500" "$work/out"
check_eq "... --json too" "failed 500" "$(ctl webhook deliveries --failed --json | jq -r --argjson id "$badid" '.[] | select(.id == $id) | "\(.state) \(.last_status)"')"
check_eq "the webhook's good twin got that ticket" "1" "$(jq -r 'select((.body | fromjson).ticket.subject == "Third printer" and .event == "ticket.created") | .delivery' "$log" | wc -l)"
receiver_stop "$BAD_PORT"
receiver "$BAD_PORT" 200 "$bad" x || fail "the receiver answers 200 now"
ctl webhook retry "$badid" >"$work/out" 2>&1
check_eq "webhook retry" "0" "$?"
check "... it is sent again and delivered" wait_for 15 bash -c "[ \$(psql -X -At -c \"SELECT state FROM webhook_deliveries WHERE id = $badid\") = delivered ]"
check_eq "... the same delivery id, a seventh request" "7 1" "$(lines "$bad") $(jq -r .delivery "$bad" | sort -u | wc -l)"
ctl webhook retry "$badid" >/dev/null 2>&1
check_eq "webhook retry of a delivered one: refused" "1" "$?"
ctl webhook retry 99999999 >/dev/null 2>&1
check_eq "webhook retry of no delivery: refused" "1" "$?"

# --- erasure: the payloads name the person ---
other=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'hook-3@cust.test'")
check "the other customer's ticket had deliveries" test "$(sql "SELECT count(*) FROM webhook_deliveries WHERE ticket_number = '$other'")" -ge 2
ctl privacy erase other@cust.test >/dev/null 2>&1 || fail "privacy erase"
check_eq "privacy erase deletes the ticket's deliveries" "0" "$(sql "SELECT count(*) FROM webhook_deliveries WHERE ticket_number = '$other' OR payload::text LIKE '%other@cust.test%'")"

# --- removed: nothing more is sent ---
receiver_stop "$HOOK_PORT"
mail cust@cust.test hooks@help.test "Re: Printer on fire" hook-5@cust.test "In-Reply-To: <hook-1@cust.test>" || fail "mail 5"
check "a delivery waits for the stopped receiver" wait_for 10 bash -c "[ \$(psql -X -At -c \"SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $hook AND state = 'pending'\") -ge 1 ]"
ctl webhook remove "$hook" >"$work/out" 2>&1
check_eq "webhook remove" "0" "$?"
check_eq "... its deliveries went with it" "0" "$(sql "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $hook")"
: >"$log"
receiver "$HOOK_PORT" 200 "$log" "$secret" || fail "receiver starts for the removed webhook"
mail cust@cust.test hooks@help.test "Re: Printer on fire" hook-6@cust.test "In-Reply-To: <hook-1@cust.test>" || fail "mail 6"
ctl ticket status "$number" closed >/dev/null
wait_for 15 bash -c "[ \$(psql -X -At -c \"SELECT count(*) FROM messages WHERE message_id = 'hook-6@cust.test'\") = 1 ]"
sleep 4
check_eq "the removed webhook gets nothing, neither what waited nor what came after" "0 0" \
	"$(lines "$log") $(sql "SELECT count(*) FROM webhook_deliveries d WHERE NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id)")"
ctl webhook remove "$hook" >/dev/null 2>&1
check_eq "removing it twice: refused" "1" "$?"

# --- regions: two databases of the test's own (the shared one keeps its numbers) ---
for db in hooks_home hooks_eu; do
	PGOPTIONS="-c client_min_messages=warning" sql "DROP DATABASE IF EXISTS $db" && sql "CREATE DATABASE $db" || fail "create $db"
done
RLINES="Database host=127.0.0.1 port=$PG_PORT user=ticket dbname=hooks_home
Region eu host=127.0.0.1 port=$PG_PORT user=ticket dbname=hooks_eu
$LINES"
milter_config "$TM_CONF" "$MILTER_PORT" "$RLINES"
ctl migrate >/dev/null || fail "migrate both regions"
ctl queue add hooks@help.test --name Home >/dev/null || fail "queue add home"
ctl queue add hooks@eu.test --name EU --region eu >/dev/null || fail "queue add eu"
milter_start "$RLINES" || fail "ticket-milter starts with two regions"
EU_PORT=$((HOOK_PORT + 2))
eusecret=$(ctl webhook add "http://127.0.0.1:$EU_PORT/eu" --queue hooks@eu.test --events ticket.created,message.received,ticket.updated 2>/dev/null)
check_eq "webhook add: in the queue's region only" "1 0" \
	"$(psql -X -At -d hooks_eu -c 'SELECT count(*) FROM webhooks') $(psql -X -At -d hooks_home -c 'SELECT count(*) FROM webhooks')"
check_eq "webhook list --json names the region" "eu hooks@eu.test" "$(ctl webhook list --json | jq -r '.[] | "\(.region) \(.queue)"')"
eulog=$work/eu.log
receiver "$EU_PORT" 200 "$eulog" "$eusecret" || fail "the eu receiver starts"
mail cust@cust.test hooks@eu.test "EU printer" hook-eu@cust.test || fail "mail to eu"
check "the eu queue's events arrive" wait_for 20 bash -c "[ \$(wc -l <'$eulog' 2>/dev/null || echo 0) -ge 2 ]"
eumsg=$(psql -X -At -d hooks_eu -c "SELECT id FROM messages WHERE message_id = 'hook-eu@cust.test'")
check_eq "... from the eu region, the message as eu.ID, signed" "ticket.created eu true message.received eu.$eumsg true" \
	"$(jq -r '(.body | fromjson) as $b | "\(.event) \($b.message.id // $b.ticket.region) \(.signed)"' "$eulog" | xargs)"
check_eq "... queued and delivered in eu's database" "2 0" \
	"$(psql -X -At -d hooks_eu -c "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'") $(psql -X -At -d hooks_home -c 'SELECT count(*) FROM webhook_deliveries')"

# A ticket set aside as spam sends nothing; leaving spam is a ticket.updated.
eunum=$(psql -X -At -d hooks_eu -c "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'hook-eu@cust.test'")
ctl ticket status "$eunum" spam >/dev/null || fail "ticket status spam"
sleep 3
check_eq "set aside as spam: nothing sent, nothing queued" "2 2" \
	"$(lines "$eulog") $(psql -X -At -d hooks_eu -c 'SELECT count(*) FROM webhook_deliveries')"
ctl ticket status "$eunum" open >/dev/null || fail "ticket status open"
check "leaving spam: ticket.updated arrives" wait_for 15 bash -c "[ \$(wc -l <'$eulog') -ge 3 ]"
check_eq "... from spam to open" "ticket.updated spam open" \
	"$(sed -n 3p "$eulog" | jq -r '(.body | fromjson) as $b | "\(.event) \($b.changes.status.from) \($b.changes.status.to)"')"

check "the daemon's log has no sanitizer report" milter_log_clean
