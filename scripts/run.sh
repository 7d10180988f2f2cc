#!/usr/bin/env bash
# run.sh - the embedded default of `make run`: a private PostgreSQL and a
# private Postfix on loopback under ./var/, ticket-milter attached, and a
# demo queue. `run.sh stop` (make stop) stops all of it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export SVC_DIR=$root/var PG_PORT=15432 PF_PORT=2525 PF_INJECT_PORT=2526
MILTER_PORT=8891
export PF_MILTER=inet:127.0.0.1:$MILTER_PORT
. scripts/services.sh
conf=var/ticket-milter.conf

stop() {
	[ -e var ] || { echo "nothing to stop"; return 0; }
	SVC_REAL=$(cd var && pwd -P)
	milter_down "$MILTER_PORT"
	postfix_down
	pg_down
	echo "stopped ticket-milter, Postfix and PostgreSQL under ./var/"
}

start() {
	pg_up
	# A second region, eu: its own database in the same cluster.
	psql -X -q -d postgres -tAc "select 1 from pg_database where datname='tickets_eu'" | grep -q 1 \
		|| psql -X -q -d postgres -c 'create database tickets_eu' >/dev/null
	# Mail from 127.0.0.1 is internal (an agent may answer from there); from
	# 127.0.0.2 and the rest of loopback it counts as outside.
	milter_config "$conf" "$MILTER_PORT" "InternalHosts       127.0.0.1
Region              eu host=127.0.0.1 port=$PG_PORT user=ticket dbname=tickets_eu"
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

	Stop everything with: make stop
	MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: run.sh start|stop" >&2; exit 2 ;;
esac
