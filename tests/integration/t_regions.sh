#!/usr/bin/env bash
# t_regions - Region lines: two databases of the private cluster as the
# regions "default" and "eu". Each message is stored only in the region
# of the queue it is for (once in each when it is for both), no byte of
# one region's mail is in the other's database, ticket numbers never
# meet, tags and reply addresses stay inside a region, ticketctl finds a
# ticket's region and lists over all, a region's database being down
# tempfails only its mail, and a Region line naming the wrong database
# is refused. The test's own two databases leave the shared one alone.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-regions.XXXXXX)
trap 'sql "ALTER DATABASE reg_eu ALLOW_CONNECTIONS true" 2>/dev/null; milter_stop; milter_config "$TM_CONF" "$MILTER_PORT"; rm -rf "$work"' EXIT
HOME_DB="host=127.0.0.1 port=$PG_PORT user=ticket dbname=reg_home"
EU_DB="host=127.0.0.1 port=$PG_PORT user=ticket dbname=reg_eu"
H=support@reg-home.test
E=support@reg-eu.test
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
home() { psql -X -q -At -v ON_ERROR_STOP=1 -d reg_home -c "$1"; }
eu() { psql -X -q -At -v ON_ERROR_STOP=1 -d reg_eu -c "$1"; }
for db in reg_home reg_eu; do
	PGOPTIONS="-c client_min_messages=warning" sql "DROP DATABASE IF EXISTS $db" && sql "CREATE DATABASE $db" || fail "create $db"
done
REGIONS="Database $HOME_DB
Region eu $EU_DB
VerifySenders no
InternalHosts 127.0.0.1"
milter_config "$TM_CONF" "$MILTER_PORT" "$REGIONS"

# --- the configuration: Region lines and their mistakes ---
bad_conf() {	# bad_conf LINE - ticket-milter -n's complaint about one Region line
	milter_config "$work/bad.conf" "$MILTER_PORT" "$REGIONS
$1"
	"$TM_BUILD/ticket-milter" -n -c "$work/bad.conf" 2>&1
}
out=$(bad_conf "Region EU! $EU_DB")
check "a bad region name: refused with file, line and key" grep -q "bad.conf, line [0-9]*: Region: a region's name is" <<<"$out"
check "Region default: the Database's name, refused" grep -q "region \"default\" is the Database's" <<<"$(bad_conf "Region default $EU_DB")"
check "a region twice: refused" grep -q "region \"eu\" is already defined" <<<"$(bad_conf "Region eu $HOME_DB")"
check "a region without a database: refused" grep -q "region \"us\" needs a database" <<<"$(bad_conf "Region us")"

# --- init brings both up and keeps their numbers apart ---
out=$(ctl init 2>&1)
check "init: each region's schema" bash -c "grep -q '^region default: schema at version' <<<'$out' && grep -q '^region eu: schema at version' <<<'$out'"
check "init: the regions get their slots" bash -c "grep -q '^region default: slot 1' <<<'$out' && grep -q '^region eu: slot 2' <<<'$out'"
check_eq "each database knows its region" "default eu" "$(home 'SELECT name FROM region_identity') $(eu 'SELECT name FROM region_identity')"
out=$(ctl migrate 2>&1)
check "migrate again: nothing to change" bash -c "! grep -q slot <<<'$out'"

# --- queues: one address, one region ---
check "queue add (the default region)" ctl queue add $H --name Home --confirm always
check "queue add --region eu" ctl queue add $E --name EU --confirm always --region eu
ctl queue add $E >"$work/out" 2>&1
check_eq "the same address in a second region: refused (exit 1)" "1" "$?"
check "... saying where it is" grep -q "already a queue of region eu" "$work/out"
ctl queue list --region mars >"$work/out" 2>&1
check_eq "an unknown --region: exit 1" "1" "$?"
check "... naming the regions" grep -q 'unknown region "mars" (the regions: default, eu)' "$work/out"
check_eq "each queue is in its own database only" "$H - $E" \
	"$(home "SELECT string_agg(address, ',') FROM queues") - $(eu "SELECT string_agg(address, ',') FROM queues")"
ctl queue list >"$work/list"
check "queue list names each region" bash -c "grep -q '^region default:' '$work/list' && grep -q '^region eu:' '$work/list'"
check_eq "queue list --json: one array, each queue with its region" "default $H eu $E" \
	"$(ctl queue list --json | jq -r 'map(.region + " " + .address) | join(" ")')"
ctl agent add agent@reg-eu.test --queue $E --name "EU agent" >/dev/null || fail "agent add to the eu queue"
check_eq "agent add --queue: in the queue's region" "0 1" \
	"$(home "SELECT count(*) FROM agents") $(eu "SELECT count(*) FROM agents")"

# --- mail: each message in the region of its queue ---
milter_start "$REGIONS" || { fail "ticket-milter starts with two regions" "see its log"; exit 1; }
check "the daemon loads each region's queues" wait_for 10 grep -q "region eu: loaded 1 support address" "$log"
BODY="the home only phrase qq-home-7" mail alice@cust.test $H "Home question" rh-1@cust.test || fail "mail to the home queue"
BODY="the eu only phrase qq-eu-7" mail bert@kunde.test $E "EU Frage" re-1@kunde.test || fail "mail to the eu queue"
BODY="only in eu qq-ursula-7" mail ursula@kunde.test $E "Ursula" ru-1@kunde.test || fail "mail to the eu queue"
BODY="for both regions qq-both-7" mail carl@both.test "$H,$E" "Both" rb-1@both.test || fail "mail to both queues"
check_eq "home holds its mail and the shared one" "rb-1@both.test rh-1@cust.test" \
	"$(home "SELECT string_agg(message_id, ' ' ORDER BY message_id) FROM messages WHERE direction = 'in'")"
check_eq "eu holds its mail and the shared one" "rb-1@both.test re-1@kunde.test ru-1@kunde.test" \
	"$(eu "SELECT string_agg(message_id, ' ' ORDER BY message_id) FROM messages WHERE direction = 'in'")"
pg_dump -d reg_eu >"$work/eu.sql" && pg_dump -d reg_home >"$work/home.sql" || fail "pg_dump"
check "no byte of home's own mail in eu's database" bash -c "! grep -q -e qq-home-7 -e alice@cust.test -e rh-1@cust.test '$work/eu.sql'"
check "no byte of eu's own mail in home's database" bash -c "! grep -q -e qq-eu-7 -e bert@kunde.test -e re-1@kunde.test '$work/home.sql'"
th=$(home "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'rh-1@cust.test'")
te=$(eu "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 're-1@kunde.test'")
tbh=$(home "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'rb-1@both.test'")
tbe=$(eu "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 'rb-1@both.test'")
check "home's ticket numbers end in 01" bash -c "[[ '$th $tbh' =~ ^[0-9]+01\ [0-9]+01$ ]]"
check "eu's ticket numbers end in 02" bash -c "[[ '$te $tbe' =~ ^[0-9]+02\ [0-9]+02$ ]]"
check_eq "no number is in both regions" "" \
	"$(comm -12 <(home 'SELECT number FROM tickets ORDER BY 1') <(eu 'SELECT number FROM tickets ORDER BY 1'))"
check "the confirmation of eu's ticket goes out" wait_for 15 outgoing_to bert@kunde.test
check "the shared message is confirmed by each region" wait_for 15 bash -c "[ \$(grep -rlsi '^X-Original-To: carl@both.test\$' '$PF_OUTGOING/new' | wc -l) -eq 2 ]"
check "the log line names both tickets" grep -q "ticket $tbh,$tbe: new" "$log"
check_eq "attack: the other region's queue is no participant of either ticket" "0 0" \
	"$(home "SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE c.address = '$E'") $(eu "SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE c.address = '$H'")"

# --- threading stays inside a region ---
mail bert@kunde.test $H "Re: [#$te] EU Frage" rx-1@kunde.test || fail "mail with eu's tag to the home queue"
check_eq "eu's tag sent to the home queue: a new home ticket, not eu's" "1 0" \
	"$(home "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'rx-1@kunde.test' AND t.number <> '$te'") $(eu "SELECT count(*) FROM messages WHERE message_id = 'rx-1@kunde.test'")"
mail bert@kunde.test $E "Re: [#$te] EU Frage" re-2@kunde.test || fail "a follow-up to eu"
check_eq "a follow-up in eu threads into eu's ticket" "$te" \
	"$(eu "SELECT t.number FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = 're-2@kunde.test'")"
reply=$(ctl ticket show "$te" --json | jq -r '.reply_address // empty')
if [ -n "$reply" ]; then
	BODY="We are on it." mail agent@reg-eu.test "$reply" "Re: [#$te] EU Frage" ra-1@reg-eu.test || fail "the eu agent's answer"
	check "the eu agent's answer reaches the customer" wait_for 15 bash -c "grep -rlsi '^X-Original-To: bert@kunde.test' '$PF_OUTGOING/new' | xargs -r grep -ls 'We are on it' | grep -q ."
	check_eq "... stored as the agent's in eu only" "1 0" \
		"$(eu "SELECT count(*) FROM messages WHERE message_id = 'ra-1@reg-eu.test'") $(home "SELECT count(*) FROM messages WHERE message_id = 'ra-1@reg-eu.test'")"
else
	fail "eu's ticket has a reply address"
fi

# An agent of home who is also an agent in eu (of another queue) answers a
# home ticket and copies eu's queue, where he is no agent: eu refuses, so
# nothing is kept in home either (no half-stored answer, no relay).
ctl queue add sales@reg-eu.test --region eu >/dev/null && ctl agent add xavier@agents.test --queue $H >/dev/null \
	&& ctl agent add xavier@agents.test --queue sales@reg-eu.test >/dev/null || fail "agent xavier in both regions"
hreply=$(ctl ticket show "$th" --json | jq -r '.reply_address // empty')
send --from xavier@agents.test --to "$hreply,$E" --header "From: xavier@agents.test" --header "Cc: $E" \
	--header "Subject: Re: [#$th] Home question" --header "Message-ID: <rx-9@agents.test>" --body "Answer." >"$work/out" 2>&1
check "attack: an answer one region refuses is refused whole (550 5.7.1)" grep -q "550 5.7.1" "$work/out"
check_eq "... and kept in neither region" "0 0" \
	"$(home "SELECT count(*) FROM messages WHERE message_id = 'rx-9@agents.test'") $(eu "SELECT count(*) FROM messages WHERE message_id = 'rx-9@agents.test'")"

# --- ticketctl over the regions ---
check "ticket show finds an eu ticket without --region" bash -c "ctl() { '$TM_BUILD/ticketctl' -c '$TM_CONF' \"\$@\"; }; ctl ticket show $te | grep -q 'EU Frage'"
check_eq "ticket show --json of a home ticket" "Home question" "$(ctl ticket show "$th" --json | jq -r .subject)"
check "ticket list names both regions" bash -c "'$TM_BUILD/ticketctl' -c '$TM_CONF' ticket list | grep -q '^region eu:'"
check_eq "ticket list --json: every ticket, each with its region" "$(($(home 'SELECT count(*) FROM tickets') + $(eu 'SELECT count(*) FROM tickets')))" \
	"$(ctl ticket list --json | jq '[.[] | select(.region == "default" or .region == "eu")] | length')"
check "ticket status in eu" ctl ticket status "$te" pending
check_eq "... changed there" "pending" "$(eu "SELECT status FROM tickets WHERE number = '$te'")"
id=$(home "SELECT min(id) FROM messages")
if [ "$(eu "SELECT count(*) FROM messages WHERE id = $id")" = 1 ]; then
	ctl message show "$id" >"$work/out" 2>&1
	check_eq "a message id both regions have: exit 1" "1" "$?"
	check "... asking for --region" grep -q "is in regions default, eu: name one with --region" "$work/out"
	ctl message show "#$id" >"$work/out" 2>&1
	check_eq "... also written #ID, as ticket show lists it: exit 1" "1" "$?"
	check "message show --region eu" bash -c "'$TM_BUILD/ticketctl' -c '$TM_CONF' message show $id --region eu | grep -q ."
fi
check_eq "stats --json counts each region" "default eu" \
	"$(ctl stats --json | jq -r '[.[].region] | unique | join(" ")')"
ctl ticket show 999999 >"$work/out" 2>&1
check_eq "a ticket no region holds: exit 1" "1" "$?"
check "... saying so" grep -q 'no region holds "999999"' "$work/out"
check "privacy export -o FILE ADDRESS: the region that knows the person" ctl privacy export -o "$work/ursula.tar" ursula@kunde.test
check "... holds her message" bash -c "tar -xOf '$work/ursula.tar' | grep -q qq-ursula-7"
check "privacy export --region eu" ctl privacy export bert@kunde.test --region eu -o "$work/bert.tar"
check "... holds bert's message" bash -c "tar -xOf '$work/bert.tar' | grep -q qq-eu-7"
check_eq "each export's audit record is in eu's log" "2" \
	"$(eu "SELECT count(*) FROM audit_log WHERE command LIKE 'privacy export%'")"
ctl ticket list --customer bert@kunde.test >/dev/null || fail "ticket list --customer"
check_eq "ticket list --customer is audited in each region, by the address's hash" "1 1 0" \
	"$(home "SELECT count(*) FROM audit_log WHERE command = 'ticket list --customer'") $(eu "SELECT count(*) FROM audit_log WHERE command = 'ticket list --customer' AND object LIKE 'address-hash:%'") $(eu "SELECT count(*) FROM audit_log WHERE object LIKE '%kunde%'")"
ctl ticket list --queue $E >"$work/out" 2>&1
check "ticket list --queue: only that queue's region" bash -c "grep -q 'EU Frage' '$work/out' && ! grep -q -e 'region default' -e 'no queue' '$work/out'"

check_eq "report --csv over the regions: one header, a region column" "region,queue 1 default eu" \
	"$(ctl report queues --csv | sed -n 1p | cut -d, -f1-2) $(ctl report queues --csv | grep -c '^region,') $(ctl report queues --csv | tail -n +2 | cut -d, -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "privacy erase --dry-run --json over the regions: one JSON array" \
	jq -e 'length == 2 and all(.[]; .dry_run == true)' <<<"$(ctl privacy erase nobody@nowhere.test --dry-run --json)"

# --- a region's database down: only its mail waits ---
sql "ALTER DATABASE reg_eu ALLOW_CONNECTIONS false" >/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'reg_eu'" >/dev/null
BODY="stored while eu is down" mail dora@cust.test $H "Home while eu is down" rh-2@cust.test >"$work/out" 2>&1
check_eq "home's mail is stored while eu is down" "1" "$(home "SELECT count(*) FROM messages WHERE message_id = 'rh-2@cust.test'")"
ctl queue list >"$work/out" 2>&1
check_eq "ticketctl queue list with eu down: exit 1" "1" "$?"
check "... lists home's queues all the same, and says why eu's are missing" \
	bash -c "grep -q '^$H ' '$work/out' && grep -q '^ticketctl: region eu: cannot connect' '$work/out'"
ctl ticket show "$th" >"$work/out" 2>&1
check_eq "ticket show with eu down: exit 1 (eu might hold it)" "1" "$?"
check "... saying it cannot tell which region holds it" grep -q "cannot tell which region holds \"$th\"" "$work/out"
# message FROM TO MSGID - a message's bytes, to send again as the MTA would
# (with a Date: else Postfix adds one of its time, and the two differ)
message() { printf 'Date: Thu, 03 Dec 2026 01:00:00 +0000\r\nFrom: %s\r\nTo: %s\r\nSubject: while eu is down\r\nMessage-ID: <%s>\r\n\r\nHello.\r\n' "$@"; }
message emil@kunde.test $E re-3@kunde.test >"$work/re-3.eml"
message emil@kunde.test "$H,$E" rb-2@both.test >"$work/rb-2.eml"
send --from emil@kunde.test --to $E --data "@$work/re-3.eml" >"$work/out" 2>&1
check "eu's mail is tempfailed (451 4.3.0)" grep -q "451 4.3.0" "$work/out"
send --from emil@kunde.test --to "$H,$E" --data "@$work/rb-2.eml" >"$work/out" 2>&1
check "mail for both is tempfailed too" grep -q "451 4.3.0" "$work/out"
check_eq "... and home has not kept it either (committed in each only when both stored it)" "0" "$(home "SELECT count(*) FROM messages WHERE message_id = 'rb-2@both.test'")"
send --from frida@else.test --to someone@elsewhere.test --header "Subject: not for support" >"$work/out" 2>&1
check "mail for no queue still passes" bash -c "! grep -q '^<\*\* *4' '$work/out'"
sql "ALTER DATABASE reg_eu ALLOW_CONNECTIONS true" >/dev/null
# The client retries what was tempfailed: each message arrives once in each region.
send --from emil@kunde.test --to $E --data "@$work/re-3.eml" >/dev/null 2>&1
send --from emil@kunde.test --to "$H,$E" --data "@$work/rb-2.eml" >/dev/null 2>&1
check_eq "eu's mail, sent again, is stored" "1" "$(eu "SELECT count(*) FROM messages WHERE message_id = 're-3@kunde.test'")"
check_eq "the shared one, sent again: once in eu, once in home" "1 1" \
	"$(eu "SELECT count(*) FROM messages WHERE message_id = 'rb-2@both.test'") $(home "SELECT count(*) FROM messages WHERE message_id = 'rb-2@both.test'")"

# --- a Region line naming another region's database ---
milter_config "$work/swap.conf" "$((MILTER_PORT + 50))" "Database $HOME_DB
Region eu $HOME_DB"
"$TM_BUILD/ticketctl" -c "$work/swap.conf" queue list >"$work/out" 2>&1
check_eq "ticketctl refuses a region whose database is another's (exit 1)" "1" "$?"
check "... saying which it is" grep -q 'the database of region "eu" is region "default"' "$work/out"
timeout 20 "$TM_BUILD/ticket-milter" -f -c "$work/swap.conf" >"$work/out" 2>&1
check_eq "ticket-milter refuses to start with it" "1" "$?"
check "... saying which it is" grep -q 'the database of region "eu" is region "default"' "$work/out"
timeout 20 "$TM_BUILD/ticket-api" -f -c "$work/swap.conf" >"$work/out" 2>&1
check_eq "ticket-api refuses to start with it" "1" "$?"
check "... saying which it is" grep -q 'the database of region "eu" is region "default"' "$work/out"

milter_stop
check "no sanitizer report in the daemon's log" milter_log_clean
