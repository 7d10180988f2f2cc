#!/usr/bin/env bash
# t_api - ticket-api against the private PostgreSQL and mail stored by the
# real milter: keys (ticketctl apikey), the GET resources over two regions,
# keyset pagination, a key that sees only its queues (404 for another's
# ticket), each error as problem+json (400, 401, 404, 405, 413, 422, 429,
# 503 with Retry-After) and hostile requests (huge headers, slowloris,
# invalid UTF-8, path tricks) after which the daemon still answers.
# Every JSON body is checked against api/openapi.yaml (tests/lib/apischema.py).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-api.XXXXXX)
API_PORT=${API_PORT:-18080}
. "$TM_ROOT/tests/lib/apitest.sh"
trap 'eu "ALTER DATABASE api_home ALLOW_CONNECTIONS true" 2>/dev/null; api_stop; milter_stop; milter_config "$TM_CONF" "$MILTER_PORT"; rm -rf "$work"' EXIT
api_databases api
LINES="Database $HOME_DB
Region eu $EU_DB
VerifySenders no
ApiSocket inet:$API_PORT@127.0.0.1
ApiMaximumBody 4k
ApiRequestsPerMinute 1000"
milter_config "$TM_CONF" "$MILTER_PORT" "$LINES"
ctl migrate >/dev/null || fail "migrate both regions"
ctl queue add support@help.test --name Support >/dev/null || fail "queue add support"
ctl queue add sales@help.test --name Sales >/dev/null || fail "queue add sales"
ctl queue add support@eu.test --name EU --region eu >/dev/null || fail "queue add eu"
milter_start "$LINES" || { fail "ticket-milter starts"; exit 1; }

# --- mail in both regions, one with an attachment ---
for i in 1 2 3; do
	mail "cust$i@cust.test" support@help.test "Question $i" "api-$i@cust.test" || fail "mail $i"
done
mail bert@kunde.test support@eu.test "EU Frage" api-eu@kunde.test || fail "mail eu"
printf 'attached bytes\n' >"$work/notes.txt"
send --from cust9@cust.test --to sales@help.test --header "Subject: With file" \
	--attach-type text/plain --attach-name "Grüße.txt" --attach "@$work/notes.txt" >/dev/null || fail "mail with attachment"
check "five tickets stored" wait_for 10 bash -c "[ \$(psql -X -At -c 'SELECT count(*) FROM tickets') = 4 ] && [ \$(psql -X -At -d api_eu -c 'SELECT count(*) FROM tickets') = 1 ]"

# --- keys ---
all=$(ctl apikey add everything --all --scope read 2>"$work/err")
check "apikey add prints a token once" grep -qE '^tm_[0-9a-f]{64}$' <<<"$all"
check "... and says only its hash is kept" grep -q "only its hash is stored" "$work/err"
check_eq "the database holds the hash, not the token" "1 0" \
	"$(sql "SELECT count(*) FROM api_keys WHERE name = 'everything' AND token_sha256 = encode(sha256('$all'::bytea), 'hex')") $(sql "SELECT count(*) FROM api_keys WHERE token_sha256 LIKE '%${all#tm_}%'")"
one=$(ctl apikey add salesonly --queue Sales@Help.test --scope read 2>/dev/null)
ctl apikey add salesonly --all --scope read >/dev/null 2>&1
check_eq "a second key of the same name: refused" "1" "$?"
ctl apikey add bad --scope read >/dev/null 2>&1
check_eq "neither --queue nor --all: usage" "2" "$?"
ctl apikey add typo --queue sales@help.tset --scope read >"$work/out" 2>&1
check_eq "a queue no region has: refused" "1" "$?"
check "... naming it" grep -q "there is no queue sales@help.tset" "$work/out"
check "... a queue of another region is one" bash -c "\"$TM_BUILD/ticketctl\" -c '$TM_CONF' apikey add euonly --queue support@eu.test --scope read | grep -q '^tm_'"
check "apikey list shows the keys, no token" bash -c "ctl() { \"$TM_BUILD/ticketctl\" -c '$TM_CONF' \"\$@\"; }; ctl apikey list | grep -q '^salesonly  *read  *active  *sales@help.test' && ! ctl apikey list --json | grep -q tm_"
ctl apikey list --region eu >"$work/out" 2>&1
check "apikey --region eu: refused" grep -q "apikey lives in the default region only" "$work/out"
check_eq "keys live in the default region only" "0" "$(eu "SELECT count(*) FROM pg_tables WHERE tablename = 'api_keys' AND EXISTS (SELECT 1 FROM api_keys)")"

api_start || { fail "ticket-api starts" "$(tail -5 "$apilog")"; exit 1; }
pass "ticket-api starts"

# --- resources ---
check_eq "GET /v1/health: 200 without a key" 200 "$(get "" /v1/health)"
check "... valid Health" valid Health
check_eq "GET /v1/queues: 200" 200 "$(get "$all" /v1/queues)"
check "... valid QueueList" valid QueueList
check_eq "... every region's queues" "default:sales@help.test default:support@help.test eu:support@eu.test" \
	"$(jq -r '[.queues[] | .region + ":" + .address] | join(" ")' "$work/body")"
check_eq "a queue key sees its queue only" "sales@help.test" "$(get "$one" /v1/queues >/dev/null; jq -r '[.queues[].address] | join(" ")' "$work/body")"
check_eq "GET /v1/tickets: 200" 200 "$(get "$all" /v1/tickets)"
check "... valid TicketList" valid TicketList
check_eq "... over both regions, newest first" "5 eu" "$(jq -r '(.tickets | length | tostring) + " " + ([.tickets[] | select(.subject == "EU Frage") | .region] | join(""))' "$work/body")"
check_eq "... next is null on the last page" "null" "$(jq -r .next "$work/body")"
# Pages of two: every ticket once, in the order of the full list.
want=$(jq -r '[.tickets[].number] | join(" ")' "$work/body")
got= cursor= pages=0
while :; do
	get "$all" "/v1/tickets?limit=2${cursor:+&after=$cursor}" >/dev/null
	valid TicketList || fail "a page is not a TicketList"
	got="$got $(jq -r '[.tickets[].number] | join(" ")' "$work/body")"; pages=$((pages + 1))
	cursor=$(jq -r '.next // empty' "$work/body")
	[ -z "$cursor" ] || [ $pages -gt 5 ] && break
done
check_eq "keyset pagination: pages of 2 give each ticket once, in order" "$want" "$(echo $got)"
check_eq "... in 3 pages" 3 "$pages"
get "$all" "/v1/tickets?queue=support@eu.test" >/dev/null
check_eq "filter queue" "EU Frage" "$(jq -r '[.tickets[].subject] | join(",")' "$work/body")"
get "$all" "/v1/tickets?customer=cust2@cust.test&status=new" >/dev/null
check_eq "filter customer and status" "Question 2" "$(jq -r '[.tickets[].subject] | join(",")' "$work/body")"
get "$all" "/v1/tickets?updated_since=2999-01-01T00:00:00Z" >/dev/null
check_eq "filter updated_since" "0" "$(jq '.tickets | length' "$work/body")"
get "$one" /v1/tickets >/dev/null
check_eq "a queue key lists its queue's tickets only" "With file" "$(jq -r '[.tickets[].subject] | join(",")' "$work/body")"

eu_number=$(eu "SELECT number FROM tickets")
sales_number=$(sql "SELECT t.number FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = 'sales@help.test'")
check_eq "GET /v1/tickets/{number} of region eu: 200" 200 "$(get "$all" "/v1/tickets/$eu_number")"
check "... valid Ticket" valid Ticket
check_eq "... its message id names the region" "eu." "$(jq -r '.messages[0].id[0:3]' "$work/body")"
check_eq "another queue's ticket: 404, not 403" 404 "$(get "$one" "/v1/tickets/$eu_number")"
problem "another queue's ticket" 404
check_eq "the key's own ticket: 200" 200 "$(get "$one" "/v1/tickets/$sales_number")"
att=$(jq -r '.messages[0].attachments[0].id' "$work/body")
msg=$(jq -r '.messages[0].id' "$work/body")
check_eq "... with its attachment listed" "Grüße.txt text/plain" "$(jq -r '.messages[0].attachments[0] | .name + " " + .type' "$work/body")"
check_eq "GET /v1/messages/{id}/raw: 200" 200 "$(get "$one" "/v1/messages/$msg/raw")"
check "... message/rfc822" grep -qi '^content-type: message/rfc822' "$work/head"
check "... the stored bytes" cmp -s "$work/body" <(stored_raw_id() { sql "SELECT encode(raw, 'base64') FROM messages WHERE id = ${msg#default.}" | base64 -d; }; stored_raw_id)
check_eq "GET /v1/attachments/{id}: 200" 200 "$(get "$one" "/v1/attachments/$att")"
check "... its bytes" cmp -s "$work/body" "$work/notes.txt"
check "... Content-Disposition with the RFC 6266 name" grep -qi "^content-disposition: attachment; filename=\"Gr__e.txt\"; filename\*=UTF-8''Gr%C3%BC%C3%9Fe.txt" "$work/head"
eu_msg=$(eu "SELECT id FROM messages LIMIT 1")
check_eq "the same number in another region is another message: eu.N for the all key" 200 "$(get "$all" "/v1/messages/eu.$eu_msg/raw")"
check_eq "... not the sales key's" 404 "$(get "$one" "/v1/messages/eu.$eu_msg/raw")"
check_eq "an id of no region: 404" 404 "$(get "$all" "/v1/messages/mars.1/raw")"

# --- errors ---
check_eq "no key: 401" 401 "$(get "" /v1/tickets)"
problem "no key" 401
check "... WWW-Authenticate: Bearer" grep -qi '^www-authenticate: Bearer' "$work/head"
check_eq "a wrong key: 401" 401 "$(get "tm_$(printf '%064d' 0)" /v1/tickets)"
check_eq "not a Bearer key: 401" 401 "$(curl -s -o "$work/body" -w '%{http_code}' -u a:b "$API/v1/tickets")"
check_eq "an unknown path: 404" 404 "$(get "$all" /v1/nothing)"
problem "an unknown path" 404
check_eq "DELETE on a ticket: 405" 405 "$(get "$all" "/v1/tickets/$sales_number" -X DELETE)"
problem "DELETE on a ticket" 405
check "... with Allow" grep -qi '^allow: GET, HEAD' "$work/head"
head -c 5000 /dev/zero >"$work/big"
check_eq "a body past ApiMaximumBody: 413" 413 "$(get "$all" /v1/tickets -X POST -H 'Content-Type: application/json' --data-binary "@$work/big")"
problem "a body past ApiMaximumBody" 413
check_eq "a chunked body past it: 413" 413 "$(get "$all" /v1/tickets -X POST -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' --data-binary "@$work/big")"
check_eq "a bad status filter: 422" 422 "$(get "$all" "/v1/tickets?status=lost")"
problem "a bad status filter" 422
check_eq "a limit past 100: 422" 422 "$(get "$all" "/v1/tickets?limit=101")"
check_eq "a forged cursor: 422" 422 "$(get "$all" "/v1/tickets?after=$(printf "1.1' OR 1=1" | base64)")"
check_eq "an unknown parameter: 422" 422 "$(get "$all" "/v1/tickets?sort=x")"
check_eq "a bad updated_since: 422" 422 "$(get "$all" "/v1/tickets?updated_since=yesterday")"

# --- hostile requests; the daemon lives ---
check_eq "invalid UTF-8 in the path: 400" 400 "$(get "$all" "/v1/tickets/%ff%fe")"
problem "invalid UTF-8 in the path" 400
check_eq "path tricks (dot segments, encoded slash): 404" "404 404 404 404" \
	"$(get "$all" "/v1/tickets/../queues" --path-as-is) $(get "$all" "/v1/tickets/%2e%2e/queues") $(get "$all" "/v1//tickets") $(get "$all" "/v1/tickets/1%2F2")"
check_eq "a NUL in the path: 404" 404 "$(get "$all" "/v1/tickets/1%00")"
big=$(head -c 40000 /dev/zero | tr '\0' a)
check_eq "huge headers: 431 from libmicrohttpd" 431 "$(get "$all" /v1/queues -H "X-Big: $big")"
# Slowloris: a client that sends half a request line and waits is cut off.
start=$(date +%s)
python3 - "$API_PORT" <<'PY' >"$work/slow" 2>&1
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /v1/queues HTTP/1.1\r\nHost: x\r\n")
s.settimeout(60)
try:
    print("closed" if s.recv(100) == b"" else "answered")
except Exception as e:
    print("error", e)
PY
check_eq "slowloris: the connection is closed by the server" "closed" "$(cat "$work/slow")"
check "... within the 30 s idle timeout" test $(( $(date +%s) - start )) -le 40
check_eq "the daemon still answers" 200 "$(get "$all" /v1/queues)"

# --- PATCH /v1/tickets/{number}: status and assignee ---
writer=$(ctl apikey add writer --queue sales@help.test --scope write 2>/dev/null)
ctl agent add agent@help.test --queue sales@help.test --name "Sales agent" >/dev/null || fail "agent add"
# patch KEY NUMBER JSON [CURL ARGS] - the status of a PATCH with that body
patch() { local key=$1 number=$2 body=$3; shift 3
	get "$key" "/v1/tickets/$number" -X PATCH -H "Content-Type: ${TYPE:-application/json}" --data-binary "$body" "$@"; }
check_eq "PATCH with a read key: 403" 403 "$(patch "$all" "$sales_number" '{"status":"open"}')"
problem "PATCH with a read key" 403
check_eq "PATCH status and assignee: 200" 200 "$(patch "$writer" "$sales_number" '{"status":"pending","assignee":"Agent@help.test"}')"
check "... valid Ticket" valid Ticket
check_eq "... the ticket changed" "pending agent@help.test" "$(jq -r '.status + " " + .assignee' "$work/body")"
check_eq "... events name the key as actor" "api:writer api:writer" \
	"$(jq -r '[.events[] | select(.action == "status" or .action == "assign") | .actor] | join(" ")' "$work/body")"
check_eq "assignee null unassigns" "null" "$(patch "$writer" "$sales_number" '{"assignee":null}' >/dev/null; jq -r .assignee "$work/body")"
check_eq "PATCH closed: 200" 200 "$(patch "$writer" "$sales_number" '{"status":"closed"}')"
# The closed mail follows the queue's rules (here: the customer's mail was
# not authenticated, so none); the event shows the API took that path.
check_eq "... through the closing path of a mailed #close (its closed-mail event)" "api:writer" \
	"$(jq -r '[.events[] | select(.action == "closed-mail")][0].actor' "$work/body")"
check_eq "an assignee who is no agent of the queue: 422" 422 "$(patch "$writer" "$sales_number" '{"assignee":"mallory@evil.test"}')"
problem "an assignee who is no agent" 422
check "... saying so" grep -q "not an agent of sales@help.test" "$work/body"
check_eq "status new: 422" 422 "$(patch "$writer" "$sales_number" '{"status":"new"}')"
check_eq "an unknown member: 422" 422 "$(patch "$writer" "$sales_number" '{"status":"open","owner":"x"}')"
check_eq "a status that is no string: 422" 422 "$(patch "$writer" "$sales_number" '{"status":7}')"
check_eq "nothing to change: 422" 422 "$(patch "$writer" "$sales_number" '{}')"
check_eq "a JSON array: 422" 422 "$(patch "$writer" "$sales_number" '[1]')"
check_eq "malformed JSON: 400" 400 "$(patch "$writer" "$sales_number" '{"status":')"
problem "malformed JSON" 400
check_eq "a body that is not UTF-8: 400" 400 "$(patch "$writer" "$sales_number" "$(printf '{"status":"\xff"}')")"
head -c 4000 /dev/zero | tr '\0' '[' >"$work/deep"
check_eq "deep JSON (4,000 [, within ApiMaximumBody): 400" 400 "$(patch "$writer" "$sales_number" "@$work/deep")"
check "... saying so" grep -q "nests deeper than 32" "$work/body"
check_eq "text/plain: 415" 415 "$(TYPE=text/plain patch "$writer" "$sales_number" '{"status":"open"}')"
problem "text/plain" 415
check_eq "another queue's ticket with a write key: 404" 404 "$(patch "$writer" "$eu_number" '{"status":"open"}')"
check_eq "POST on a ticket: 405 naming GET and PATCH" 405 "$(get "$writer" "/v1/tickets/$sales_number" -X POST)"
check "... Allow: GET, HEAD, PATCH" grep -qi '^allow: GET, HEAD, PATCH' "$work/head"
# A ticket merged into another (as an agent's #merge leaves it): 409.
sql "UPDATE tickets SET merged_into = (SELECT min(id) FROM tickets) WHERE number = '$sales_number'" >/dev/null
check_eq "a merged ticket: 409" 409 "$(patch "$writer" "$sales_number" '{"status":"open"}')"
problem "a merged ticket" 409
sql "UPDATE tickets SET merged_into = NULL WHERE number = '$sales_number'" >/dev/null
check_eq "the daemon lives after all of it" 200 "$(get "$all" /v1/queues)"

# --- the rate limit ---
api_stop
milter_config "$TM_CONF" "$MILTER_PORT" "$LINES
ApiRequestsPerMinute 3"
sed -i '/^ApiRequestsPerMinute 1000$/d' "$TM_CONF"
api_start || fail "ticket-api restarts"
# Four requests inside one minute's window.
[ "$(date +%S | sed 's/^0//')" -lt 50 ] || sleep $((61 - $(date +%S | sed 's/^0//')))
codes=$(for i in 1 2 3 4; do get "$all" /v1/queues; echo; done | tr '\n' ' ')
check_eq "past ApiRequestsPerMinute: 429" "200 200 200 429 " "$codes"
problem "past ApiRequestsPerMinute" 429
check "... with Retry-After" grep -qi '^retry-after: [0-9]' "$work/head"
check_eq "... another key is counted apart" 200 "$(get "$one" /v1/queues)"

# --- revoke ---
ctl apikey revoke salesonly >/dev/null || fail "apikey revoke"
check_eq "a revoked key: 401 at once" 401 "$(get "$one" /v1/tickets)"

# --- the database down: 503 with Retry-After, then back ---
eu "ALTER DATABASE api_home ALLOW_CONNECTIONS false" >/dev/null
eu "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'api_home' AND pid <> pg_backend_pid()" >/dev/null
code=$(get "$all" /v1/queues)
eu "ALTER DATABASE api_home ALLOW_CONNECTIONS true" >/dev/null
check_eq "the database down: 503" 503 "$code"
problem "the database down" 503
check "... with Retry-After" grep -qi '^retry-after: 5' "$work/head"
check_eq "the database back: the key is found again (and still past its rate)" 429 "$(get "$all" /v1/queues)"

api_stop
check "ticket-api stops on SIGTERM and removes its pid file" test ! -e "$work/api.pid"
check "no sanitizer report in ticket-api's log" bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$apilog'"
