#!/usr/bin/env bash
# t_loop - two help desks whose support addresses write to each other stop
# after a bounded number of messages. Help desk A is the usual test milter
# with queue loop@relay.test; help desk B is a second ticket-milter with
# its own database and queue help@peer.test, behind Postfix's peer port.
# Postfix routes @relay.test to A and @peer.test to B, and each sends its
# confirmations through the port without milters, so each one's mail
# reaches the other as a customer would.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
peer_port=$((MILTER_PORT + 1))
peer_conf=$SVC_DIR/peer.conf
trap 'milter_down "$peer_port"; milter_stop' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
peer() { "$TM_BUILD/ticketctl" -c "$peer_conf" "$@"; }

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS peer" -c "CREATE DATABASE peer" >/dev/null
milter_config "$peer_conf" "$peer_port" "Database host=127.0.0.1 port=$PG_PORT user=ticket dbname=peer"
peer init >/dev/null
peer queue add help@peer.test --name "Peer help" --confirm always >/dev/null
ctl queue add loop@relay.test --name "Relay support" --confirm always >/dev/null
milter_start || { fail "help desk A starts" "see its log"; exit 1; }
milter_up "$TM_BUILD/ticket-milter" "$peer_conf" "$peer_port" || { fail "help desk B starts" "see its log"; exit 1; }

# count_in DB - messages stored in one help desk's database
count_in() { psql -X -At -d "$1" -c "SELECT count(*) FROM messages"; }
a_before=$(count_in tickets)

# B's address writes to A, like a person would (no Auto-Submitted).
swaks --server 127.0.0.1:"$PF_INJECT_PORT" --silent 2 --from help@peer.test --to loop@relay.test \
	--header "Subject: Hello from the other help desk" --header "Message-Id: <loop-start@peer.test>" \
	>/dev/null 2>&1
check "A stores the mail from B's address" wait_for 20 bash -c \
	"psql -X -At -c \"SELECT 1 FROM messages WHERE message_id = 'loop-start@peer.test'\" | grep -q 1"
check "A confirms to B's address, and B stores it as an automatic reply" wait_for 20 bash -c \
	"psql -X -At -d peer -c \"SELECT kind FROM messages WHERE direction = 'in'\" | grep -q auto-reply"
sleep 5; postfix_queue_wait 10
a1=$(count_in tickets); b1=$(count_in peer)
sleep 5; postfix_queue_wait 10
a2=$(count_in tickets); b2=$(count_in peer)
check_eq "the exchange stops: nothing new after it settled" "$a1|$b1" "$a2|$b2"
check "A holds at most 2 more messages (the mail and its confirmation)" test $((a2 - a_before)) -le 2
check "B holds at most 1 message, answered by nothing" test "$b2" -le 1
check_eq "B's decision is stored: no answer to automatic mail" "auto-reply" \
	"$(psql -X -At -d peer -c "SELECT autoreply FROM messages WHERE direction = 'in'")"
milter_down "$peer_port"
milter_stop
check "no sanitizer or leak report in either milter's log" bash -c \
	"! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$SVC_REAL/ticket-milter-$MILTER_PORT.log' '$SVC_REAL/ticket-milter-$peer_port.log'"
