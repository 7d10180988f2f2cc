#!/usr/bin/env bash
# t_sql_upgrade - a database made by the last version whose migrations
# still held the SQL functions (the commit named below, read from git)
# upgrades cleanly: mail stored then stays, `ticketctl migrate` brings the
# schema and the functions to exactly what a new database gets, mail
# stored after threads onto the old tickets, and a database running
# another build's functions is refused until it is migrated.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
OLD=ce3b67eae39fe7a882f25ccd76598704ae1ce289	# sql/ before sql/functions/
work=$(mktemp -d /tmp/tm-sqlup.XXXXXX)
trap 'dropdb --if-exists tm_upgrade_old 2>/dev/null; dropdb --if-exists tm_upgrade_new 2>/dev/null; rm -rf "$work"' EXIT

if ! git -C "$TM_ROOT" cat-file -e "$OLD" 2>/dev/null; then
	skip "upgrade from the schema of $OLD" "this checkout has no git history of it (a shallow clone)"
	exit 0
fi

. "$TM_ROOT/tests/lib/sqltest.sh"
conf() { sql_conf "$1" "$work"; }
# schema DB - the schema as pg_dump shows it, without what records versions
schema() { pg_dump -s "$1" | grep -vE '^(--|\\(un)?restrict)' | grep -v 'schema_code\|schema_migrations'; }
meta() { sql_meta upgrade@help.test old@customer.test "$1" "$3" "${2:+\"in_reply_to\": \"$2\", \"thread_ids\": [\"$2\"]}"; }

# The old database, as that version's ticketctl made it: each migration in
# its own transaction, recorded in schema_migrations.
createdb tm_upgrade_old
PGDATABASE=tm_upgrade_old sql "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now())"
ok=1
for f in $(git -C "$TM_ROOT" ls-tree --name-only "$OLD" sql/ | grep -E '^sql/[0-9]+_.*\.sql$'); do
	name=$(basename "$f" .sql)
	git -C "$TM_ROOT" show "$OLD:$f" | psql -X -q -v ON_ERROR_STOP=1 -1 -d tm_upgrade_old >/dev/null 2>"$work/err" || ok=0
	PGDATABASE=tm_upgrade_old sql "INSERT INTO schema_migrations VALUES (${name%%_*}::int, '$name')"
done
check "the old migrations apply" test "$ok" = 1
PGDATABASE=tm_upgrade_old sql "INSERT INTO queues (address, name) VALUES ('upgrade@help.test', 'Upgrade')"
old_ticket=$(sql_ingest tm_upgrade_old "$(meta old-1@customer.test '' 'Before the upgrade')" | jq -r .ticket)
check "the old functions store a message" test -n "$old_ticket" -a "$old_ticket" != null

old_conf=$(conf tm_upgrade_old)
out=$("$TM_BUILD/ticketctl" -c "$old_conf" ticket list 2>&1)
check "before the upgrade, ticketctl refuses the old schema" grep -q "run 'ticketctl migrate'" <<<"$out"
out=$("$TM_BUILD/ticketctl" -c "$old_conf" migrate 2>&1)
check "ticketctl migrate upgrades it" grep -q "applied the SQL functions of this build" <<<"$out"

createdb tm_upgrade_new
"$TM_BUILD/ticketctl" -c "$(conf tm_upgrade_new)" init >/dev/null
schema tm_upgrade_old >"$work/old.sql"
schema tm_upgrade_new >"$work/new.sql"
check "the upgraded schema is exactly a new database's (tables, functions, views, triggers)" \
	diff -u "$work/new.sql" "$work/old.sql"
check "the old ticket is there" grep -q "^$old_ticket " <<<"$("$TM_BUILD/ticketctl" -c "$old_conf" ticket list)"
reply=$(sql_ingest tm_upgrade_old "$(meta old-2@customer.test old-1@customer.test 'Re: Before the upgrade')")
check_eq "a reply stored after the upgrade threads onto it" "$old_ticket|in-reply-to" \
	"$(jq -r '.ticket + "|" + .rule' <<<"$reply")"

out=$("$TM_BUILD/ticketctl" -c "$old_conf" migrate 2>&1)
check_eq "migrate again: nothing to do" "schema at version $((10#$(basename "$(ls "$TM_ROOT"/sql/[0-9]*.sql | tail -n1)" | cut -c1-3))) (0 migration(s) applied now)" "$out"

# Functions of another build: ticketctl refuses, the daemon's start and
# migrate replace them.
PGDATABASE=tm_upgrade_old sql "UPDATE schema_code SET id = 'another build'"
PGDATABASE=tm_upgrade_old sql "CREATE OR REPLACE FUNCTION ticket_event(ticket bigint, actor text, action text, detail jsonb)
	RETURNS void LANGUAGE sql AS 'SELECT NULL'"
out=$("$TM_BUILD/ticketctl" -c "$old_conf" ticket list 2>&1)
check "ticketctl refuses functions of another build" \
	grep -qF "the database runs SQL functions of another build: run 'ticketctl migrate'" <<<"$out"
check "migrate --dry-run names them" grep -q "pending the SQL functions" \
	<<<"$("$TM_BUILD/ticketctl" -c "$old_conf" migrate --dry-run 2>&1)"
"$TM_BUILD/ticketctl" -c "$old_conf" migrate >/dev/null 2>&1
schema tm_upgrade_old >"$work/old.sql"
check "migrate puts this build's bodies back" diff -u "$work/new.sql" "$work/old.sql"

PGDATABASE=tm_upgrade_old sql "UPDATE schema_code SET id = 'another build'"
port=$((MILTER_PORT + 5))
milter_config "$work/daemon.conf" "$port" "Database host=127.0.0.1 port=$PG_PORT user=ticket dbname=tm_upgrade_old
PidFile $work/daemon.pid"
"$TM_BUILD/ticket-milter" -f -c "$work/daemon.conf" >"$work/daemon.log" 2>&1 &
daemon=$!
check "the daemon, started on functions of another build, applies its own" \
	wait_for 20 grep -q "applied the SQL functions of this build" "$work/daemon.log"
check "... and serves" wait_for 20 grep -q "listening on inet:$port@127.0.0.1" "$work/daemon.log"
kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null
check_eq "... then ticketctl accepts the database" "0" \
	"$("$TM_BUILD/ticketctl" -c "$old_conf" ticket list >/dev/null 2>&1; echo $?)"
