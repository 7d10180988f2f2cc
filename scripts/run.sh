#!/usr/bin/env bash
# run.sh - the embedded default of `make run`: a private PostgreSQL and a
# private Postfix on loopback under ./var/, ticket-milter attached, and a
# demo queue. `run.sh stop` (make stop) stops all of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SVC_DIR=$root/var PG_PORT=15432 PF_PORT=2525 PF_INJECT_PORT=2526
MILTER_PORT=8891 API_PORT=8080
export PF_MILTER=inet:127.0.0.1:$MILTER_PORT
. scripts/services.sh
conf=var/ticket-milter.conf

stop() {
	[ -e var ] || { echo "nothing to stop"; return 0; }
	SVC_REAL=$(cd var && pwd -P)
	api_down
	milter_down "$MILTER_PORT"
	postfix_down
	pg_down
	echo "stopped ticket-api, ticket-milter, Postfix and PostgreSQL under ./var/"
}

# api_down - stop the ticket-api that api_up started
api_down() {
	[ -f var/ticket-api.pid ] || return 0
	kill "$(cat var/ticket-api.pid)" 2>/dev/null || rm -f var/ticket-api.pid
	for _ in $(seq 50); do [ -f var/ticket-api.pid ] || return 0; sleep 0.2; done
}

# api_up - start ticket-api, with a demo key whose token is kept in
# var/api-token (a new one when the database does not know the old)
api_up() {
	local url=http://127.0.0.1:$API_PORT/v1/queues up=0
	api_down
	build/ticket-api -f -c "$conf" -p var/ticket-api.pid >>var/ticket-api.log 2>&1 &
	for _ in $(seq 50); do curl -s -o /dev/null "$url" && up=1 && break; sleep 0.2; done
	[ $up = 1 ] || { echo "run.sh: ticket-api did not start; see var/ticket-api.log" >&2; return 1; }
	[ -s var/api-token ] && [ "$(curl -s -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $(cat var/api-token)" "$url")" = 200 ] && return 0
	(umask 077; build/ticketctl -c "$conf" apikey add "demo-$(date +%s)" --all --scope read \
		2>/dev/null >var/api-token)
}

start() {
	pg_up
	# A second region, eu: its own database in the same cluster.
	psql -X -q -d postgres -tAc "select 1 from pg_database where datname='tickets_eu'" | grep -q 1 \
		|| psql -X -q -d postgres -c 'create database tickets_eu' >/dev/null
	# Mail from 127.0.0.1 is internal (an agent may answer from there); from
	# 127.0.0.2 and the rest of loopback it counts as outside.
	milter_config "$conf" "$MILTER_PORT" "InternalHosts       127.0.0.1
Region              eu host=127.0.0.1 port=$PG_PORT user=ticket dbname=tickets_eu
ApiSocket           inet:$API_PORT@127.0.0.1"
	build/ticketctl -c "$conf" init >/dev/null
	# The demo queue confirms every new ticket, so a plain swaks mail gets one.
	build/ticketctl -c "$conf" queue add support@example.test --name "Demo support" --confirm always >/dev/null
	build/ticketctl -c "$conf" queue set support@example.test --confirm always >/dev/null
	build/ticketctl -c "$conf" agent add agent@example.test --queue support@example.test --name "Demo agent" >/dev/null
	# The eu region's demo queue: its mail is kept in tickets_eu only.
	build/ticketctl -c "$conf" queue add support-eu@example.test --region eu --name "Demo support EU" --confirm always >/dev/null
	build/ticketctl -c "$conf" agent add agent@example.test --queue support-eu@example.test --name "Demo agent" >/dev/null
	milter_up build/ticket-milter "$conf" "$MILTER_PORT"
	postfix_up
	api_up
	cat <<-MSG

	ticket-milter is running on the embedded default:
	  PostgreSQL   127.0.0.1:$PG_PORT   (data in var/pg/)
	  Postfix      127.0.0.1:$PF_PORT   (with ticket-milter; mail that leaves goes to var/outgoing/)
	  ticket-milter $PF_MILTER   (log: var/ticket-milter-$MILTER_PORT.log)
	  demo queue   support@example.test (confirms every new ticket; demo agent agent@example.test)
	  region eu    support-eu@example.test, kept in its own database tickets_eu
	               (the "Region eu ..." line of $conf)

	Send a mail to the help desk:
	  swaks --server 127.0.0.1:$PF_PORT --from customer@example.org --to support@example.test \\
	        --header "Subject: My printer is on fire" --body "Please help."

	The confirmation to the customer and the notification to the agent are
	files in var/outgoing/new/. Play the agent: answer the notification from
	127.0.0.1 (an internal host here) at the ticket's reply address, and the
	customer's copy appears in var/outgoing/new/ too:
	  swaks --server 127.0.0.1:$PF_PORT --from agent@example.test --to REPLY-ADDRESS \\
	        --header "Subject: Re: your ticket" --body "We are on it."
	(REPLY-ADDRESS: see ticketctl ticket show NUMBER; "#note" as the first line
	keeps an answer internal, "#close" closes the ticket.)

	Mail to support-eu@example.test is stored only in the eu region's database;
	its ticket numbers end in 02, the default region's in 01.

	See the ticket (ticketctl lists every region's and finds a ticket's):
	  build/ticketctl -c $conf ticket list
	  build/ticketctl -c $conf ticket show NUMBER

	The REST API, ticket-api, on 127.0.0.1:$API_PORT (log: var/ticket-api.log), with a
	demo key that sees every queue (its token is in var/api-token):
	  curl -s -H "Authorization: Bearer \$(cat var/api-token)" http://127.0.0.1:$API_PORT/v1/tickets
	  curl -s -H "Authorization: Bearer \$(cat var/api-token)" http://127.0.0.1:$API_PORT/v1/tickets/NUMBER

	Stop everything with: make stop
	MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: run.sh start|stop" >&2; exit 2 ;;
esac
