#!/usr/bin/env bash
# t_cli - ticket-milter's command line and config check, and ticketctl:
# schema migrations, queues, tickets, JSON output, errors and exit codes.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }

# expect_status WANT NAME CMD... - CMD exits WANT; its output in $out
expect_status() {
	local want=$1 name=$2 rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $out"; fi
}

expect_status 0 "ticket-milter -V" "$TM_BUILD/ticket-milter" -V
check "ticket-milter -V names the version" grep -q "^ticket-milter $(cat "$TM_ROOT/VERSION")\$" <<<"$out"
expect_status 0 "ticket-milter --help" "$TM_BUILD/ticket-milter" --help
check "... lists the options" grep -q "^usage: ticket-milter .*-V" <<<"$out"
expect_status 2 "ticket-milter with an unknown option" "$TM_BUILD/ticket-milter" -x
expect_status 0 "ticket-milter -n accepts a good config" "$TM_BUILD/ticket-milter" -n -c "$TM_CONF"
printf 'Socket inet:1@127.0.0.1\nDatabase dbname=x\nMaximumMessageSize lots\n' >"$work/bad.conf"
expect_status 1 "ticket-milter -n refuses a bad value" "$TM_BUILD/ticket-milter" -n -c "$work/bad.conf"
check "the error names file, line and key" grep -qF "$work/bad.conf, line 3: MaximumMessageSize: expected a size" <<<"$out"
expect_status 1 "ticket-milter: a missing config file" "$TM_BUILD/ticket-milter" -n -c "$work/none.conf"
check "the error names the missing file" grep -qF "$work/none.conf: cannot open" <<<"$out"
expect_status 2 "ticket-milter: an unknown option is a usage error" "$TM_BUILD/ticket-milter" -x

expect_status 0 "ticketctl init twice is harmless" ctl init
check "init reports the schema version" grep -q "^schema at version [0-9]* (0 migration(s) applied now)" <<<"$out"
expect_status 0 "ticketctl migrate --dry-run" ctl migrate --dry-run
check "dry run: nothing pending" grep -q "^0 migration(s) pending" <<<"$out"
expect_status 0 "ticketctl queue add" ctl queue add Sales@Help.Test --name "Sales team"
check "queue add reports it" grep -q "^queue sales@help.test added" <<<"$out"
expect_status 0 "ticketctl queue add again is harmless" ctl queue add sales@help.test
check "queue add again says it exists" grep -q "exists already" <<<"$out"
expect_status 1 "ticketctl queue add refuses a non-address" ctl queue add not-an-address
check "the refusal says what is wrong" grep -q "not an address of the form local@domain" <<<"$out"
expect_status 0 "ticketctl queue list --json" ctl queue list --json
check_eq "queue list --json names the queue" "Sales team" \
	"$(jq -r '.[] | select(.address == "sales@help.test") | .name' <<<"$out")"
expect_status 0 "ticketctl ticket list --json on a queue" ctl ticket list --json --queue sales@help.test
check_eq "an empty queue lists no tickets" "[]" "$(jq -c . <<<"$out")"
expect_status 1 "ticketctl ticket show of an unknown number" ctl ticket show 999999999
check "the error names the number" grep -q "no ticket 999999999" <<<"$out"
expect_status 2 "ticketctl with an unknown command" ctl frobnicate
expect_status 2 "ticketctl queue with wrong arguments" ctl queue add
expect_status 0 "ticketctl --help" ctl --help
expect_status 0 "ticketctl ticket --help" ctl ticket --help
check "ticket --help shows its usage" grep -q "^usage: ticketctl ticket list" <<<"$out"

# The schema is recorded, and an empty database is refused with advice.
check_eq "migrations recorded" "1" "$(sql "SELECT min(version) FROM schema_migrations")"
psql -X -q -d postgres -c "CREATE DATABASE empty_db" >/dev/null 2>&1
sed "s/dbname=tickets/dbname=empty_db/" "$TM_CONF" >"$work/empty.conf"
expect_status 1 "ticketctl on an empty database refuses queue list" \
	"$TM_BUILD/ticketctl" -c "$work/empty.conf" queue list
check "the refusal says to run init" grep -q "run 'ticketctl init'" <<<"$out"
expect_status 0 "ticketctl init on an empty database" "$TM_BUILD/ticketctl" -c "$work/empty.conf" init
check "init applies every migration" grep -q "^applied 001_base" <<<"$out"
psql -X -q -d postgres -c "DROP DATABASE empty_db" >/dev/null 2>&1

# Two concurrent inits on a fresh database apply each migration once.
psql -X -q -d postgres -c "CREATE DATABASE race_db" >/dev/null 2>&1
sed "s/dbname=tickets/dbname=race_db/" "$TM_CONF" >"$work/race.conf"
"$TM_BUILD/ticketctl" -c "$work/race.conf" init >"$work/race1" 2>&1 &
pid=$!
"$TM_BUILD/ticketctl" -c "$work/race.conf" init >"$work/race2" 2>&1
wait "$pid"
check_eq "concurrent init applies each migration once" "1" \
	"$(cat "$work/race1" "$work/race2" | grep -c '^applied 001_base')"
psql -X -q -d postgres -c "DROP DATABASE race_db" >/dev/null 2>&1

# Database unreachable: a clear error, exit 1.
sed "s/port=$PG_PORT/port=1/" "$TM_CONF" >"$work/down.conf"
expect_status 1 "ticketctl with the database unreachable" "$TM_BUILD/ticketctl" -c "$work/down.conf" queue list
check "the error says it cannot connect" grep -q "cannot connect to the database" <<<"$out"

# ticket list filters: a mistyped status or queue is an error, not "no tickets".
expect_status 1 "ticket list --status with an unknown status" "$TM_BUILD/ticketctl" -c "$TM_CONF" ticket list --status opne
check "... names the statuses there are" grep -q 'unknown status "opne": use new, open, pending, solved, closed or spam' <<<"$out"
expect_status 1 "ticket list --queue with an unknown queue" "$TM_BUILD/ticketctl" -c "$TM_CONF" ticket list --queue nosuch@help.test
check "... says there is no such queue" grep -q "no queue nosuch@help.test" <<<"$out"
expect_status 0 "ticket list --status open --queue support@help.test" "$TM_BUILD/ticketctl" -c "$TM_CONF" ticket list --status open --queue SUPPORT@help.test
expect_status 1 "ticket status with an unknown status" "$TM_BUILD/ticketctl" -c "$TM_CONF" ticket status 100001 shut
check "... names the statuses that can be set" grep -q 'unknown status "shut": use open, pending, solved, closed or spam' <<<"$out"
expect_status 1 "ticket status new: where a ticket starts, not set again" "$TM_BUILD/ticketctl" -c "$TM_CONF" ticket status 100001 new

# Peer authentication, as the package's database uses it: ticketctl run as
# another user than the role gets PostgreSQL's refusal and what to do.
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
	peer=$(mktemp -d /tmp/tm-peer.XXXXXX)
	chown postgres: "$peer"
	trap 'pg_as_owner "$(pg_bindir)/pg_ctl" -D "$peer/data" -m immediate stop >/dev/null 2>&1; rm -rf "$work" "$peer"' EXIT
	pg_as_owner "$(pg_bindir)/initdb" -D "$peer/data" -U postgres --auth-local=peer --auth-host=reject \
		--no-sync >/dev/null 2>&1
	pg_as_owner "$(pg_bindir)/pg_ctl" -D "$peer/data" -l "$peer/log" -w -t 30 \
		-o "-c listen_addresses='' -c unix_socket_directories=$peer -p 5999" start >/dev/null 2>&1
	printf 'Socket inet:1@127.0.0.1\nDatabase host=%s port=5999 user=postgres dbname=postgres\n' "$peer" >"$work/peer.conf"
	expect_status 1 "ticketctl as root against a peer-authenticated database" \
		"$TM_BUILD/ticketctl" -c "$work/peer.conf" queue list
	check "... says to run it as the daemon's user" grep -qF \
		'Peer authentication failed for user "postgres"; the database knows its local users by name: run ticketctl as the user the daemon runs as (runuser -u ticket-milter -- ticketctl ...)' <<<"$out"
else
	skip "ticketctl against a peer-authenticated database" "needs root and the user postgres"
fi
