# failover.sh - a PostgreSQL cluster managed by pg_auto_failover on
# loopback, for the tests and `make bench`: a monitor and two data nodes
# (node1, node2) under $SVC_REAL/failover/, run by pg_autoctl as the
# postgres user like the private cluster (scripts/services.sh). Sourced
# after env.sh (env_load done).
#
# With two data nodes pg_auto_failover keeps replication synchronous while
# the standby is healthy: a COMMIT returns once the standby has the WAL.
# The monitor's timeouts are shortened (FO_MONITOR_SETTINGS) so that a
# failover takes seconds instead of the defaults' 30 to 60; README "More
# than one machine" gives the defaults.
#
# Ports: the monitor on FO_PORT (PG_PORT+10 unless set), node1 on
# FO_PORT+1, node2 on FO_PORT+2.
#
#   fo_up                 a fresh monitor and two nodes, replicating
#                         synchronously, with the role ticket and the
#                         database tickets; node1 the primary
#   fo_down               stop all three; PURGE=1 also deletes their data
#   fo_conninfo           the multi-host conninfo the daemon uses
#   fo_use                point psql (sql, env.sh) at the current primary
#   fo_port NODE          the port of node1 or node2
#   fo_primary            the node the monitor names primary now
#   fo_state NODE         its reported state (single, primary, secondary, ...)
#   fo_wait_state SECONDS NODE STATE...   until NODE reports one of STATEs
#   fo_kill NODE          SIGKILL the node's pg_autoctl, then its postmaster
#                         (its backends see the postmaster die and exit)
#   fo_pause NODE / fo_resume NODE   SIGSTOP / SIGCONT the node's pg_autoctl
#                         and postmaster: a host that stops answering
#   fo_start NODE         run the node's pg_autoctl again (it rejoins)
#   fo_show               pg_autoctl show state, for a test's log
#   fo_monitor_defaults   the monitor's timeouts back to pg_auto_failover's defaults

FO_PORT=${FO_PORT:-$((PG_PORT + 10))}
FO_DIR=$SVC_REAL/failover
# Seconds, not the defaults (health check every 5 s, 20 s without a report
# before a node is unhealthy, 30 s for a primary to demote itself).
FO_MONITOR_SETTINGS=${FO_MONITOR_SETTINGS:-"pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 3000
pgautofailover.primary_demote_timeout = 5000
pgautofailover.startup_grace_period = 2000"}

# fo_as CMD... - run a command as postgres with pg_autoctl's state under FO_DIR
fo_as() {
	# The tests' PG* variables name the database the daemon uses, not
	# pg_autoctl's.
	(cd / && runuser -u postgres -- env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		-u PGTARGETSESSIONATTRS -u PGCONNECT_TIMEOUT XDG_CONFIG_HOME="$FO_DIR/xdg/config" \
		XDG_DATA_HOME="$FO_DIR/xdg/data" XDG_RUNTIME_DIR="$FO_DIR/xdg/run" \
		PATH="$(pg_bindir):$PATH" PG_CONFIG="$(pg_bindir)/pg_config" "$@")
}

# fo_port NODE - the port of node1 or node2 (monitor: the monitor's)
fo_port() {
	case $1 in monitor) echo "$FO_PORT" ;; node1) echo $((FO_PORT + 1)) ;; node2) echo $((FO_PORT + 2)) ;; esac
}

# fo_conninfo - the conninfo of README's multi-host setup
fo_conninfo() {
	echo "host=127.0.0.1,127.0.0.1 port=$(fo_port node1),$(fo_port node2) user=ticket dbname=tickets target_session_attrs=read-write"
}

# fo_use - psql (sql, env.sh) reaches whichever node is the primary
fo_use() {
	export PGHOST=127.0.0.1,127.0.0.1 PGPORT=$(fo_port node1),$(fo_port node2) PGUSER=ticket
	export PGDATABASE=tickets PGTARGETSESSIONATTRS=read-write PGCONNECT_TIMEOUT=2
}

# fo_monitor_sql QUERY - a query on the monitor's database
fo_monitor_sql() {
	psql -X -q -At -h 127.0.0.1 -p "$FO_PORT" -U autoctl_node -d pg_auto_failover -c "$1"
}

# fo_state NODE - the state the node last reported to the monitor
fo_state() { fo_monitor_sql "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$1'" 2>/dev/null; }

# fo_primary - the node the monitor holds as primary now (none while switching)
fo_primary() {
	fo_monitor_sql "SELECT nodename FROM pgautofailover.node
		WHERE reportedstate IN ('single', 'primary', 'wait_primary') AND goalstate = reportedstate" 2>/dev/null
}

# fo_wait_state SECONDS NODE STATE... - until NODE reports and is assigned one of STATEs
fo_wait_state() {
	local seconds=$1 node=$2; shift 2
	local deadline=$(( $(date +%s) + seconds )) got
	while :; do
		got=$(fo_monitor_sql "SELECT reportedstate FROM pgautofailover.node
			WHERE nodename = '$node' AND goalstate = reportedstate" 2>/dev/null)
		for s in "$@"; do [ "$got" = "$s" ] && return 0; done
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		# A new standby's base backup waits for a checkpoint, spread over
		# minutes unless asked for now.
		case $(fo_state "$node") in wait_standby|catchingup) fo_checkpoint ;; esac
		sleep 0.5
	done
}

# fo_checkpoint - a checkpoint now on the primary
fo_checkpoint() {
	psql -X -q -d "host=127.0.0.1,127.0.0.1 port=$(fo_port node1),$(fo_port node2) user=postgres
		dbname=postgres target_session_attrs=read-write connect_timeout=2" -c CHECKPOINT >/dev/null 2>&1
}

# fo_pids NODE - the node's pg_autoctl processes and its postmaster
fo_pids() {
	local run=$FO_DIR/xdg/run/pg_autoctl$FO_DIR/$1 f
	for f in "$run"/pg_autoctl*.pid "$FO_DIR/$1/postmaster.pid"; do
		[ -f "$f" ] && head -n 1 "$f" 2>/dev/null
	done
}

# fo_run NODE - start the node's (or the monitor's) pg_autoctl in the background
fo_run() {
	fo_as setsid pg_autoctl run --pgdata "$FO_DIR/$1" >>"$FO_DIR/$1.log" 2>&1 </dev/null &
}

# fo_monitor_up - create and start the monitor, on loopback only
fo_monitor_up() {
	fo_as pg_autoctl create monitor --pgdata "$FO_DIR/monitor" --pgport "$FO_PORT" \
		--hostname 127.0.0.1 --auth trust --no-ssl >"$FO_DIR/monitor.log" 2>&1 || return 1
	fo_as pg_autoctl config set --pgdata "$FO_DIR/monitor" postgresql.listen_addresses 127.0.0.1 \
		>>"$FO_DIR/monitor.log" 2>&1 || return 1
	# pg_auto_failover sizes memory for a machine of its own: not here.
	printf '%s\n' "$FO_MONITOR_SETTINGS" "shared_buffers = '64MB'" "maintenance_work_mem = '64MB'" \
		"effective_cache_size = '1GB'" >>"$FO_DIR/monitor/postgresql.auto.conf"
	fo_run monitor
	wait_for 30 fo_monitor_sql "SELECT 1"
}

# fo_node_up NODE - create a data node and start it; the first is the primary
fo_node_up() {
	fo_as setsid pg_autoctl create postgres --pgdata "$FO_DIR/$1" --pgport "$(fo_port "$1")" \
		--listen 127.0.0.1 --hostname 127.0.0.1 --name "$1" --dbname tickets --auth trust --no-ssl \
		--monitor "postgres://autoctl_node@127.0.0.1:$FO_PORT/pg_auto_failover?sslmode=disable" \
		--run >"$FO_DIR/$1.log" 2>&1 </dev/null &
}

# fo_tune - the first node's settings, copied to the standby by its base backup
fo_tune() {
	psql -X -q -h 127.0.0.1 -p "$(fo_port node1)" -U postgres -d tickets -v ON_ERROR_STOP=1 >/dev/null <<-SQL
	CREATE ROLE ticket LOGIN SUPERUSER;
	ALTER DATABASE tickets OWNER TO ticket;
	ALTER SYSTEM SET shared_buffers = '128MB';
	ALTER SYSTEM SET maintenance_work_mem = '64MB';
	ALTER SYSTEM SET effective_cache_size = '1GB';
	ALTER SYSTEM SET max_connections = 300;
	ALTER SYSTEM SET wal_keep_size = '256MB';
	SQL
}

# fo_up - a fresh monitor and two nodes replicating synchronously
fo_up() {
	PURGE=1 fo_down
	mkdir -p "$FO_DIR/xdg/run"
	chown -R postgres: "$FO_DIR"
	local p pids
	for p in "$FO_PORT" "$(fo_port node1)" "$(fo_port node2)"; do
		if svc_port_busy "$p"; then svc_say "port $p is in use (set FO_PORT)"; return 1; fi
	done
	fo_monitor_up || { svc_say "the pg_auto_failover monitor did not start"; return 1; }
	fo_node_up node1
	fo_wait_state 60 node1 single || { svc_say "node1 did not start"; return 1; }
	fo_tune || { svc_say "cannot set up node1"; return 1; }
	# max_connections and shared_buffers need a restart: the keeper's.
	pids=$(fo_pids node1 | tr '\n' ' ')
	fo_as pg_autoctl stop --pgdata "$FO_DIR/node1" >/dev/null 2>&1
	wait_for 30 bash -c "! kill -0 $pids 2>/dev/null"
	fo_run node1
	fo_wait_state 60 node1 single || { svc_say "node1 did not restart"; return 1; }
	fo_node_up node2
	fo_wait_state 120 node2 secondary || { svc_say "node2 did not become a standby"; return 1; }
	fo_wait_state 30 node1 primary || { svc_say "node1 did not become a synchronous primary"; return 1; }
}

# fo_kill NODE - the node dies: SIGKILL its pg_autoctl (so that nothing
# restarts PostgreSQL), then its postmaster
fo_kill() {
	local pids
	pids=$(fo_pids "$1")
	# The postmaster is the last line.
	kill -KILL $(printf '%s\n' "$pids" | sed '$d') 2>/dev/null
	kill -KILL "$(printf '%s\n' "$pids" | tail -n 1)" 2>/dev/null
}

# fo_pause NODE - the node's host stops answering (SIGSTOP everything of it)
fo_pause() { kill -STOP $(fo_tree "$1") 2>/dev/null; }

# fo_resume NODE - it answers again
fo_resume() { kill -CONT $(fo_tree "$1") 2>/dev/null; }

# fo_tree NODE - its pg_autoctl processes, its postmaster and the postmaster's children
fo_tree() {
	local pm
	pm=$(fo_pids "$1" | tail -n 1)
	fo_pids "$1"
	[ -n "$pm" ] && pgrep -P "$pm"
}

# fo_start NODE - run a stopped or killed node's pg_autoctl again
fo_start() { fo_run "$1"; }

# fo_monitor_defaults - pg_auto_failover's own timeouts on the monitor, from now on
fo_monitor_defaults() {
	local key
	for key in $(printf '%s\n' "$FO_MONITOR_SETTINGS" | awk '{print $1}'); do
		echo "ALTER SYSTEM RESET $key;"
	done | psql -X -q -h 127.0.0.1 -p "$FO_PORT" -U postgres -d pg_auto_failover -v ON_ERROR_STOP=1 >/dev/null &&
		psql -X -q -At -h 127.0.0.1 -p "$FO_PORT" -U postgres -d pg_auto_failover -c "SELECT pg_reload_conf()" >/dev/null
}

# fo_show - the monitor's view, for a test's log
fo_show() { fo_as pg_autoctl show state --pgdata "$FO_DIR/monitor" 2>&1 | sed 's/^/  /'; }

# fo_down - stop the nodes and the monitor; PURGE=1 also deletes their data
fo_down() {
	local n pid
	[ -d "$FO_DIR" ] || return 0
	for n in node2 node1 monitor; do
		[ -d "$FO_DIR/$n" ] || continue
		fo_resume "$n"
		fo_as pg_autoctl stop --pgdata "$FO_DIR/$n" >/dev/null 2>&1
	done
	for n in node2 node1 monitor; do
		for pid in $(fo_pids "$n"); do
			wait_for 20 bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null
		done
	done
	[ "${PURGE:-0}" = 1 ] && rm -rf "$FO_DIR"
	return 0
}
