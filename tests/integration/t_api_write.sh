#!/usr/bin/env bash
# t_api_write - ticket-api's writes and search against the private
# PostgreSQL (two regions), the real milter's outbox sender and the
# private Postfix: an answer posted through the API reaches the customer's
# Maildir and threads like a mailed one (the customer's reply to it lands
# on the same ticket), with its attachment; a note is never mailed to the
# customer; POST /v1/tickets opens a ticket as #new does and mails the
# customer; GET /v1/search finds by words over both regions, ranked, in
# pages, only in the key's queues, through the GIN index. Each error is
# tested (400, 401, 403, 404, 409, 413, 415, 422) and the attacks of
# SECURITY.md (a forged agent, another key's ticket, header injection
# through the subject, a file name or CR LF, huge base64). Every JSON body
# is checked against api/openapi.yaml (tests/lib/apischema.py).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-apiw.XXXXXX)
API_PORT=${API_WRITE_PORT:-18081}
. "$TM_ROOT/tests/lib/apitest.sh"
trap 'api_stop; milter_stop; milter_config "$TM_CONF" "$MILTER_PORT"; rm -rf "$work"' EXIT
api_databases apiw
LINES="Database $HOME_DB
Region eu $EU_DB
VerifySenders no
ApiSocket inet:$API_PORT@127.0.0.1
ApiMaximumBody 64k
ApiRequestsPerMinute 1000"
milter_config "$TM_CONF" "$MILTER_PORT" "$LINES"
ctl migrate >/dev/null || fail "migrate both regions"
ctl queue add desk@help.test --name Desk >/dev/null || fail "queue add desk"
ctl queue add other@help.test --name Other >/dev/null || fail "queue add other"
ctl queue add desk@eu.test --name EU --region eu >/dev/null || fail "queue add eu"
ctl agent add ann@agents.test --queue desk@help.test --name "Ann Agent" >/dev/null || fail "agent add ann"
ctl agent add otto@agents.test --queue other@help.test --name "Otto Other" >/dev/null || fail "agent add otto"
ctl agent add eva@agents.test --queue desk@eu.test --name "Eva EU" >/dev/null || fail "agent add eva"
milter_start "$LINES" || { fail "ticket-milter starts"; exit 1; }

# post KEY PATH JSON [CURL ARGS] - the status of a POST with that body
post() { local key=$1 path=$2 body=$3; shift 3
	get "$key" "$path" -X POST -H "Content-Type: ${TYPE:-application/json}" --data-binary "$body" "$@"; }
# mail_to ADDRESS - some mail was delivered to ADDRESS
mail_to() { [ -n "$(outgoing_to "$1")" ]; }

# --- mail: a customer's ticket in each region, one in another queue ---
BODY="My printer is burning since Monday." mail "Carla Customer <carla@cust.test>" desk@help.test \
	"Printer trouble" w-1@cust.test || fail "mail 1"
BODY="Bitte helfen Sie: die Druckerpatronen sind leer." mail bernd@kunde.test desk@eu.test \
	"Druckerpatronen" w-eu@kunde.test "Content-Language: de" || fail "mail eu"
BODY="Printer question for the other queue." mail olga@cust.test other@help.test \
	"Other printer" w-2@cust.test || fail "mail 2"
check "three tickets stored" wait_for 15 bash -c "[ \$(psql -X -At -c 'SELECT count(*) FROM tickets') = 2 ] && [ \$(psql -X -At -d apiw_eu -c 'SELECT count(*) FROM tickets') = 1 ]"
number=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'w-1@cust.test'")
other=$(sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'w-2@cust.test'")
eu_number=$(eu "SELECT number FROM tickets")

desk=$(ctl apikey add desk --queue desk@help.test --queue desk@eu.test --scope write 2>/dev/null)
reader=$(ctl apikey add reader --queue desk@help.test --scope read 2>/dev/null)
api_start || { fail "ticket-api starts" "$(tail -5 "$apilog")"; exit 1; }

# --- POST /v1/tickets/{number}/replies ---
printf 'report bytes\n' >"$work/report.txt"
b64=$(base64 -w0 "$work/report.txt")
reply=$(jq -nc --arg b "$b64" '{text: "Hello Carla,\nunplug it, please.\n", agent: "Ann@agents.test",
	attachments: [{filename: "../../etc/re\r\nX-Evil: 1\"port.txt", content_type: "text/plain", content_base64: $b}]}')
check_eq "POST replies: 201" 201 "$(post "$desk" "/v1/tickets/$number/replies" "$reply")"
check "... valid Message" valid Message
check_eq "... the agent's message, going out" "agent out ann@agents.test" "$(jq -r '.kind + " " + .direction + " " + .from' "$work/body")"
msg=$(jq -r .id "$work/body")
check "... Location: its raw bytes" grep -qi "^location: /v1/messages/$msg/raw" "$work/head"
check_eq "... the file name sanitized (no path, no CR LF, no quote)" "___.._etc_re__X-Evil: 1_port.txt" "$(jq -r '.attachments[0].name' "$work/body")"
msgid=$(sql "SELECT message_id FROM messages WHERE id = ${msg#default.}")
check "the answer reaches the customer's Maildir" wait_for 20 mail_to carla@cust.test
ans=$(outgoing_to carla@cust.test | xargs -r grep -l "unplug it" | head -n1)
if [ -n "$ans" ]; then
	check_eq "... From: the agent via the queue, at the support address" 'Ann Agent via Desk <desk@help.test>' "$(header "$ans" From)"
	check_eq "... To: the customer" 'Carla Customer <carla@cust.test>' "$(header "$ans" To)"
	check_eq "... Subject: Re: with the ticket tag" "Re: [#$number] Printer trouble" "$(header "$ans" Subject)"
	check_eq "... In-Reply-To: the customer's message" "<w-1@cust.test>" "$(header "$ans" In-Reply-To)"
	check_eq "... Message-ID: the stored message's" "<$msgid>" "$(header "$ans" Message-ID)"
	check "... References: the customer's message, then its own" grep -qF "<w-1@cust.test> <$msgid>" <<<"$(header "$ans" References)"
	check "... Reply-To: the ticket's reply address (its token)" grep -qE "desk\+[^@]+@help.test" <<<"$(header "$ans" Reply-To)"
	check "... no Auto-Submitted: a person's answer" test -z "$(header "$ans" Auto-Submitted)"
	check "... the attachment, its name safe in the header" bash -c "grep -q 'filename=\"___.._etc_re__X-Evil: 1_port.txt\"' '$ans' && ! grep -qi '^X-Evil:' '$ans'"
	check "... its bytes" grep -q "$b64" "$ans"
else
	fail "the answer's headers" "no answer delivered"
fi
check_eq "the stored message holds the mail as sent" "t" "$(sql "SELECT position('unplug it' IN convert_from(raw, 'UTF8')) > 0 FROM messages WHERE id = ${msg#default.}")"
check_eq "the ticket: open, answered" "open true" "$(sql "SELECT status || ' ' || (first_response_at IS NOT NULL) FROM tickets WHERE number = '$number'")"
# The customer answers the answer: the same ticket.
BODY="Unplugged, thanks." mail carla@cust.test desk@help.test "Re: [#$number] Printer trouble" w-3@cust.test \
	"In-Reply-To: <$msgid>" "References: <w-1@cust.test> <$msgid>" || fail "the customer's reply"
check_eq "the customer's reply to it lands on the same ticket" "$number" \
	"$(wait_for 15 bash -c "[ -n \"\$(psql -X -At -c \"SELECT 1 FROM messages WHERE message_id = 'w-3@cust.test'\")\" ]"; sql "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'w-3@cust.test'")"
check_eq "... found by its In-Reply-To" "in-reply-to" "$(sql "SELECT thread_rule FROM messages WHERE message_id = 'w-3@cust.test'")"
check_eq "GET the ticket shows the answer" 200 "$(get "$desk" "/v1/tickets/$number")"
check "... valid Ticket" valid Ticket
check_eq "... once, as the agent's" "1" "$(jq "[.messages[] | select(.kind == \"agent\")] | length" "$work/body")"
check_eq "... with the event, the key as actor" "api:desk" "$(jq -r '[.events[] | select(.action == "answer")][0].actor' "$work/body")"

# The reply's errors.
check_eq "a read key: 403" 403 "$(post "$reader" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test"}')"
problem "a read key" 403
check_eq "no key: 401" 401 "$(post "" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "a forged agent (of another queue): 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"otto@agents.test"}')"
problem "a forged agent" 422
check "... saying so" grep -q "otto@agents.test is not an agent of desk@help.test" "$work/body"
check_eq "... nothing stored or queued" "1 0" "$(sql "SELECT count(*) FROM messages WHERE kind = 'agent'") $(sql "SELECT count(*) FROM outbox WHERE recipient = 'carla@cust.test' AND status = 'pending'")"
check_eq "another key's ticket: 404" 404 "$(post "$desk" "/v1/tickets/$other/replies" '{"text":"x","agent":"ann@agents.test"}')"
problem "another key's ticket" 404
check_eq "no such ticket: 404" 404 "$(post "$desk" "/v1/tickets/999999/replies" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "text missing: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"agent":"ann@agents.test"}')"
check_eq "text blank: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":" \n","agent":"ann@agents.test"}')"
check_eq "an unknown member: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test","bcc":"x@y"}')"
check_eq "content_base64 not base64: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test","attachments":[{"filename":"a","content_base64":"!!!!"}]}')"
problem "not base64" 422
check_eq "a content type with CR LF: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test","attachments":[{"filename":"a","content_type":"text/plain\r\nX-Evil: 1","content_base64":"eA=="}]}')"
many=$(jq -nc '{text: "x", agent: "ann@agents.test", attachments: [range(11) | {filename: "a", content_base64: "eA=="}]}')
check_eq "eleven attachments: 422" 422 "$(post "$desk" "/v1/tickets/$number/replies" "$many")"
head -c 70000 /dev/zero | base64 -w0 >"$work/huge"
jq -nc --rawfile b "$work/huge" '{text: "x", agent: "ann@agents.test", attachments: [{filename: "a", content_base64: $b}]}' >"$work/huge.json"
check_eq "huge base64 (past ApiMaximumBody): 413" 413 "$(post "$desk" "/v1/tickets/$number/replies" "@$work/huge.json")"
problem "huge base64" 413
check_eq "malformed JSON: 400" 400 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":')"
check_eq "text/plain: 415" 415 "$(TYPE=text/plain post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "GET on replies: 405" 405 "$(get "$desk" "/v1/tickets/$number/replies")"
sql "UPDATE tickets SET merged_into = (SELECT id FROM tickets WHERE number = '$other') WHERE number = '$number'" >/dev/null
check_eq "a merged ticket: 409" 409 "$(post "$desk" "/v1/tickets/$number/replies" '{"text":"x","agent":"ann@agents.test"}')"
problem "a merged ticket" 409
sql "UPDATE tickets SET merged_into = NULL WHERE number = '$number'" >/dev/null

# An HTML answer to a closed ticket: sent as a mailed answer would be
# (the ticket stays closed), its HTML without what could run.
sql "UPDATE tickets SET status = 'closed', closed_at = now() WHERE number = '$number'" >/dev/null
html=$(jq -nc '{text: "See the manual.", html: "<p>See the <b>manual</b>.</p><script>alert(1)</script><img src=x onerror=alert(2)>", agent: "ann@agents.test"}')
check_eq "an HTML answer to a closed ticket: 201" 201 "$(post "$desk" "/v1/tickets/$number/replies" "$html")"
check "... its HTML stored without script or handler" bash -c "jq -r .html '$work/body' | grep -q '<b>manual</b>' && ! jq -r .html '$work/body' | grep -qiE 'script|onerror'"
check_eq "... the ticket stays closed" "closed" "$(sql "SELECT status FROM tickets WHERE number = '$number'")"
check "... delivered" wait_for 20 bash -c "grep -rlsi '^X-Original-To: carla@cust.test' '$PF_OUTGOING/new' | xargs -r grep -l 'manual' | grep -q ."
htmlmail=$(outgoing_to carla@cust.test | xargs -r grep -l 'manual' | head -n1)
check "... as multipart/alternative with the HTML, no script" bash -c "[ -n '$htmlmail' ] && grep -qi '^Content-Type: multipart/alternative' '$htmlmail' && grep -qi '^Content-Type: text/html' '$htmlmail' && ! grep -qi 'alert(' '$htmlmail'"
sql "UPDATE tickets SET status = 'open', closed_at = NULL WHERE number = '$number'" >/dev/null

# --- POST /v1/tickets/{number}/notes ---
check_eq "POST notes: 201" 201 "$(post "$desk" "/v1/tickets/$number/notes" '{"text":"Internal: customer is VIP.","agent":"ann@agents.test"}')"
check "... valid Message" valid Message
check_eq "... a note" "note" "$(jq -r .kind "$work/body")"
check_eq "... an event note" "1" "$(sql "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$number' AND e.action = 'note' AND e.actor = 'api:desk'")"
check_eq "... never queued for the customer" "0" "$(sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.kind = 'note' AND o.recipient = 'carla@cust.test'")"
check_eq "a note with a read key: 403" 403 "$(post "$reader" "/v1/tickets/$number/notes" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "a note by a forged agent: 422" 422 "$(post "$desk" "/v1/tickets/$number/notes" '{"text":"x","agent":"mallory@evil.test"}')"
check_eq "a note without text: 422" 422 "$(post "$desk" "/v1/tickets/$number/notes" '{"agent":"ann@agents.test"}')"
check_eq "a note on another key's ticket: 404" 404 "$(post "$desk" "/v1/tickets/$other/notes" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "a note, malformed JSON: 400" 400 "$(post "$desk" "/v1/tickets/$number/notes" '{"text"')"
check_eq "a note as text/plain: 415" 415 "$(TYPE=text/plain post "$desk" "/v1/tickets/$number/notes" '{"text":"x","agent":"ann@agents.test"}')"
check_eq "a note without key: 401" 401 "$(post "" "/v1/tickets/$number/notes" '{"text":"x","agent":"ann@agents.test"}')"

# --- POST /v1/tickets ---
open=$(jq -nc '{queue: "desk@eu.test", customer: "New.Customer@Cust.test", subject: "Your order",
	text: "Dear customer,\nyour order is late.", agent: "eva@agents.test"}')
check_eq "POST /v1/tickets: 201" 201 "$(post "$desk" /v1/tickets "$open")"
check "... valid Ticket" valid Ticket
new=$(jq -r .number "$work/body")
check_eq "... in the queue's region, taken by the agent, for the customer" "eu eva@agents.test new.customer@cust.test open" \
	"$(jq -r '.region + " " + .assignee + " " + .customer + " " + .status' "$work/body")"
check "... Location: the ticket" grep -qi "^location: /v1/tickets/$new" "$work/head"
check "the customer gets the text from the support address" wait_for 20 mail_to new.customer@cust.test
first=$(outgoing_to new.customer@cust.test | head -n1)
if [ -n "$first" ]; then
	check_eq "... From: the agent via the queue" 'Eva EU via EU <desk@eu.test>' "$(header "$first" From)"
	check_eq "... Subject: the tag, no Re:" "[#$new] Your order" "$(header "$first" Subject)"
	check "... the text" grep -q "your order is late" "$first"
else
	fail "the new ticket's mail" "none delivered"
fi
check_eq "a queue the key does not hold: 422" 422 "$(post "$desk" /v1/tickets '{"queue":"other@help.test","customer":"a@b.test","subject":"s","text":"t","agent":"otto@agents.test"}')"
problem "a queue the key does not hold" 422
check_eq "a subject with CR LF (header injection): 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"a@b.test","subject":"s\r\nBcc: victim@evil.test","text":"t","agent":"ann@agents.test"}')"
check_eq "a customer with CR LF: 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"a@b.test\r\nBcc: x@evil.test","subject":"s","text":"t","agent":"ann@agents.test"}')"
check_eq "a list of customers: 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"a@b.test, c@d.test","subject":"s","text":"t","agent":"ann@agents.test"}')"
check_eq "the support address as customer (a loop): 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"desk@help.test","subject":"s","text":"t","agent":"ann@agents.test"}')"
check_eq "an agent as customer: 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"otto@agents.test","subject":"s","text":"t","agent":"ann@agents.test"}')"
check_eq "without agent, the queue's only one: 201" 201 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"solo@cust.test","subject":"Solo","text":"Hello."}')"
check_eq "... taken by her" "ann@agents.test" "$(jq -r .assignee "$work/body")"
check_eq "a new ticket, malformed JSON: 400" 400 "$(post "$desk" /v1/tickets '{"queue"')"
check_eq "a new ticket as text/plain: 415" 415 "$(TYPE=text/plain post "$desk" /v1/tickets '{}')"
check_eq "a new ticket without subject: 422" 422 "$(post "$desk" /v1/tickets '{"queue":"desk@help.test","customer":"a@b.test","text":"t"}')"
check_eq "a new ticket with a body past ApiMaximumBody: 413" 413 "$(post "$desk" /v1/tickets "@$work/huge.json")"
# A ticket whose customer is not known (erased, or mail without From): 409.
sql "UPDATE tickets SET customer_id = NULL WHERE subject = 'Solo'" >/dev/null
check_eq "an answer to a ticket without a customer: 409" 409 "$(post "$desk" "/v1/tickets/$(sql "SELECT number FROM tickets WHERE subject = 'Solo'")/replies" '{"text":"x","agent":"ann@agents.test"}')"
problem "a ticket without a customer" 409
check_eq "a new ticket with a read key: 403" 403 "$(post "$reader" /v1/tickets '{"queue":"desk@help.test","customer":"a@b.test","subject":"s","text":"t"}')"
check_eq "its number is one ticket's over both regions" "1" "$(( $(sql "SELECT count(*) FROM tickets WHERE number = '$new'") + $(eu "SELECT count(*) FROM tickets WHERE number = '$new'") ))"

# --- GET /v1/search ---
check_eq "search: 200" 200 "$(get "$desk" "/v1/search?q=printer")"
check "... valid SearchResults" valid SearchResults
check_eq "... the key's printer ticket, not the other queue's" "$number" "$(jq -r '[.results[].number] | join(" ")' "$work/body")"
check_eq "... naming its best message" "true" "$(jq -r '.results[0].message | test("^default\\.[0-9]+$")' "$work/body")"
check_eq "German stems in the German message: Druckerpatrone finds Druckerpatronen" "$eu_number" \
	"$(get "$desk" "/v1/search?q=Druckerpatrone" >/dev/null; jq -r '[.results[].number] | join(" ")' "$work/body")"
check_eq "over both regions, best first" "2" "$(get "$desk" "/v1/search?q=order%20OR%20printer" >/dev/null; jq '.results | length' "$work/body")"
check "... ranks descending" jq -e '[.results[].rank] as $r | $r == ($r | sort | reverse)' "$work/body"
want=$(jq -r '[.results[].number] | join(" ")' "$work/body")
get "$desk" "/v1/search?q=order%20OR%20printer&limit=1" >/dev/null
first_page=$(jq -r '.results[0].number' "$work/body")
cursor=$(jq -r '.next // empty | @uri' "$work/body")
get "$desk" "/v1/search?q=order%20OR%20printer&limit=1&after=$cursor" >/dev/null
check "... page 2 valid" valid SearchResults
check_eq "pages of one: each hit once, in order" "$want" "$first_page $(jq -r '.results[0].number' "$work/body")"
check_eq "... next null on the last page" "null" "$(jq -r .next "$work/body")"
check_eq "search without key: 401" 401 "$(get "" "/v1/search?q=printer")"
check_eq "POST on search: 405" 405 "$(post "$desk" "/v1/search?q=printer" '{}')"
check_eq "a read key may search" 200 "$(get "$reader" "/v1/search?q=printer")"
check_eq "q missing: 422" 422 "$(get "$desk" "/v1/search")"
problem "q missing" 422
check_eq "q blank: 422" 422 "$(get "$desk" "/v1/search?q=%20%20")"
check_eq "q past 256 bytes: 422" 422 "$(get "$desk" "/v1/search?q=$(head -c 300 /dev/zero | tr '\0' a)")"
check_eq "a forged cursor: 422" 422 "$(get "$desk" "/v1/search?q=printer&after=$(printf "1' OR 1=1" | base64)")"
check_eq "an unknown parameter: 422" 422 "$(get "$desk" "/v1/search?q=printer&sort=x")"
check_eq "search syntax is never SQL: quotes and operators are words" 200 "$(get "$desk" "/v1/search?q=%22printer%27%3B%20DROP%20TABLE%20tickets%3B--%22%20-x%20%7C%7C")"
check_eq "the index is used" "1" "$(psql -X -At -c "SET enable_seqscan = off" -c "EXPLAIN SELECT 1 FROM messages m WHERE to_tsvector(CASE split_part(lower(m.language), '-', 1) WHEN 'en' THEN 'english'::regconfig WHEN 'de' THEN 'german'::regconfig WHEN 'fr' THEN 'french'::regconfig WHEN 'es' THEN 'spanish'::regconfig WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'it' THEN 'italian'::regconfig WHEN 'nl' THEN 'dutch'::regconfig ELSE 'simple'::regconfig END, left(coalesce(m.subject, '') || ' ' || coalesce(m.body_text, ''), 65536)) @@ (websearch_to_tsquery('simple', 'x') || websearch_to_tsquery('german', 'x'))" | grep -c messages_search)"
check "the search's SQL is the index's expression" grep -qF "split_part(lower(m.language), '-', 1)" "$TM_ROOT/api/api_search.c"

check_eq "the daemon lives after all of it" 200 "$(get "$desk" /v1/queues)"
api_stop
check "no sanitizer report in ticket-api's log" bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$apilog'"
check "no sanitizer report in ticket-milter's log" milter_log_clean
