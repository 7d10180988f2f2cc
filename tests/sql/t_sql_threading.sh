#!/usr/bin/env bash
# t_sql_threading - ingest_message() and thread_find() called directly, as
# the daemon calls them, in a database of their own: each threading rule,
# exactly-once storage, and the evidence a stranger cannot use.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
. "$TM_ROOT/tests/lib/sqltest.sh"
env_load
work=$(mktemp -d /tmp/tm-sqlthread.XXXXXX)
trap 'dropdb --if-exists tm_sql_threading 2>/dev/null; rm -rf "$work"' EXIT
DB=tm_sql_threading
createdb "$DB"
"$TM_BUILD/ticketctl" -c "$(sql_conf "$DB" "$work")" init >/dev/null
PGDATABASE=$DB sql "INSERT INTO queues (address, name) VALUES ('desk@help.test', 'Desk')"

# store MSGID SUBJECT [FROM] [JSON-MEMBERS] - ingest one message; prints "TICKET RULE"
store() {
	sql_ingest "$DB" "$(sql_meta desk@help.test "${3:-ann@customer.test}" "$1" "$2" "${4:-}")" \
		| jq -r '.ticket + " " + .rule + (if .duplicate then " duplicate" else "" end)'
}

read -r t1 rule <<<"$(store first@customer.test "Printer")"
check_eq "a first message opens a ticket" "new" "$rule"
check_eq "the same message again is a duplicate of it" "$t1 new duplicate" "$(store first@customer.test "Printer")"
check_eq "In-Reply-To threads" "$t1 in-reply-to" \
	"$(store r1@customer.test "Re: Printer" "" '"in_reply_to": "first@customer.test", "thread_ids": ["first@customer.test"]')"
check_eq "References thread when In-Reply-To is unknown" "$t1 references" \
	"$(store r2@customer.test "Re: Printer" "" '"thread_ids": ["nowhere@x.test", "r1@customer.test"]')"
token=$(PGDATABASE=$DB sql "SELECT ticket_token(number, secret) FROM tickets WHERE number = '$t1'")
check_eq "a reply-address token threads" "$t1 reply-token" \
	"$(store r3@else.test "no headers" bob@else.test "\"tokens\": [\"$token\"]")"
check "a forged token does not" test "$(store r4@evil.test "guess" eve@evil.test "\"tokens\": [\"$t1-000000000000\"]" | cut -d' ' -f2)" = new
check_eq "the subject tag threads a participant's message" "$t1 subject-tag" \
	"$(store r5@customer.test "Re: [#$t1] Printer" "" "\"ticket_tag\": \"$t1\"")"
check "... but not a stranger's" test "$(store r6@evil.test "Re: [#$t1] data" eve@evil.test "\"ticket_tag\": \"$t1\"" | cut -d' ' -f2)" != subject-tag
read -r t2 rule <<<"$(store ol1@customer.test "Outlook" "" '"thread_index": "AQHZ", "thread_root": "0102"')"
check_eq "Thread-Index: the conversation's root threads" "$t2 thread-index" \
	"$(store ol2@customer.test "RE: Outlook" "" '"thread_index": "AQHZAB", "thread_root": "0102"')"
PGDATABASE=$DB sql "UPDATE tickets SET status = 'closed', closed_at = now() - interval '30 days' WHERE number = '$t2'"
check "a reply long after the ticket was closed opens a new one" grep -q "^[0-9]* new-after-closed$" \
	<<<"$(store ol3@customer.test "RE: Outlook" "" '"in_reply_to": "ol1@customer.test", "thread_ids": ["ol1@customer.test"]')"
check_eq "thread_find() alone: where the first message's reply would go" "$t1|in-reply-to" \
	"$(PGDATABASE=$DB sql "SELECT t.number || '|' || f.rule FROM thread_find('{\"queues\": [\"desk@help.test\"], \"in_reply_to\": \"first@customer.test\", \"thread_ids\": [\"first@customer.test\"], \"tokens\": []}'::jsonb) f JOIN tickets t ON t.id = f.ticket")"
