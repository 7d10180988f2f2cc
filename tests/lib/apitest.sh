# apitest.sh - what the tests of ticket-api share (t_api, t_api_write):
# two databases of the test's own, NAME_home (the default region) and
# NAME_eu, so that the shared test database keeps its ticket numbers and
# queues; the daemon on API_PORT; requests; and the checks of answers
# against api/openapi.yaml (tests/lib/apischema.py). Set work (a
# temporary folder) and API_PORT first, after env_load.
#
#   api_databases NAME     create NAME_home and NAME_eu afresh; HOME_DB and
#                          EU_DB their conninfo, PGDATABASE the home one
#   eu QUERY               run a query in NAME_eu
#   ctl ARGS...            ticketctl with the test configuration
#   api_start, api_stop    start ticket-api (wait until it answers), stop it
#   get KEY PATH [CURL ARGS]
#                          the status code; the body in $work/body, the
#                          header in $work/head
#   valid SCHEMA           the last body is valid against that schema
#   problem NAME CODE      the last reply is a problem of that status
API=http://127.0.0.1:$API_PORT
apilog=$SVC_REAL/ticket-api-$API_PORT.log

api_databases() {
	local db
	HOME_DB="host=127.0.0.1 port=$PG_PORT user=ticket dbname=$1_home"
	EU_DB="host=127.0.0.1 port=$PG_PORT user=ticket dbname=$1_eu"
	API_EU=$1_eu
	for db in "$1_home" "$1_eu"; do
		PGOPTIONS="-c client_min_messages=warning" sql "DROP DATABASE IF EXISTS $db" && sql "CREATE DATABASE $db" || fail "create $db"
	done
	export PGDATABASE=$1_home	# sql and psql: the default region's database
}
eu() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$API_EU" -c "$1"; }
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
api_start() {
	"$TM_BUILD/ticket-api" -f -c "$TM_CONF" -p "$work/api.pid" >>"$apilog" 2>&1 &
	wait_for 10 curl -s -o /dev/null "$API/v1/health"
}
api_stop() { [ -f "$work/api.pid" ] && kill "$(cat "$work/api.pid")" 2>/dev/null; wait_for 10 bash -c "! [ -f '$work/api.pid' ]"; }
get() { local key=$1 path=$2; shift 2
	curl -s -o "$work/body" -D "$work/head" -w '%{http_code}' ${key:+-H "Authorization: Bearer $key"} "$@" "$API$path"; }
valid() { python3 "$TM_ROOT/tests/lib/apischema.py" "$TM_ROOT/api/openapi.yaml" "$1" "$work/body"; }
problem() {
	check "$1: problem+json" grep -qi '^content-type: application/problem+json' "$work/head"
	check_eq "$1: its status member" "$2" "$(jq -r .status "$work/body")"
	check "$1: a human text" test -n "$(jq -r '.detail // empty' "$work/body")"
	check "$1: valid Problem" valid Problem
}
