#!/usr/bin/env bash
# t_sendmail - ticket-milter behind Debian's Sendmail, configured with
# README's INPUT_MAIL_FILTER line (tests/lib/sendmail.sh: a private
# instance on loopback, the harness changing only the filter's socket to
# the test daemon's port): support mail becomes a ticket with the exact
# bytes and Sendmail's queue id; other mail passes unchanged; the daemon
# down means 451 and a queueing sender's retry is stored once; an agent
# (InternalHosts) answers and the customer gets the answer, through a
# Sendmail daemon without the filter as OutboxRelay (README's
# DAEMON_OPTIONS line); a forged agent does not. Skipped when the private
# Sendmail cannot be had (scripts/fetch-sendmail.sh: no network).
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/sendmail.sh"
work=$(mktemp -d /tmp/tm-sendmail.XXXXXX)
pf_etc=$SVC_REAL/postfix/etc
transports=$(postconf -c "$pf_etc" -h transport_maps)
# restore - the harness's Postfix as it was
restore() { postconf -c "$pf_etc" -e "transport_maps=$transports" && postfix -c "$pf_etc" reload >/dev/null 2>&1; }
trap 'sm_down; milter_stop; restore; rm -rf "$work"' EXIT
if ! sm_fetch; then
	skip "Sendmail" "no private Sendmail (scripts/fetch-sendmail.sh could not fetch Debian's sendmail-bin)"
	exit 0
fi
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }

# README's line is the package's, and it is what Sendmail runs here.
check_eq "README's INPUT_MAIL_FILTER line is the package's ticket-milter.mc line" \
	"$(sm_filter_line)" "$(grep '^INPUT_MAIL_FILTER' "$TM_ROOT/packaging/sendmail/ticket-milter.mc")"
check_eq "README's OutboxRelay listener line is the package's" \
	"$(sm_outbox_line)" "$(grep '^DAEMON_OPTIONS' "$TM_ROOT/packaging/sendmail/ticket-milter.mc")"
# The queue and the agent as README adds them (as root, not runuser here).
ctl queue add support@sm.test --name "Support" >/dev/null
ctl agent add alice@agents.test --queue support@sm.test --name "Alice Agent" >/dev/null
milter_start "InternalHosts 127.0.0.1
OutboxRelay 127.0.0.1:$SM_OUTBOX_PORT" || { fail "ticket-milter starts" "see its log"; exit 1; }
sm_up || { fail "Sendmail starts" "see $SVC_REAL/sendmail"; exit 1; }
check "sendmail.cf names the filter as README's line does" \
	grep -qF "Xticket-milter, S=inet:$MILTER_PORT@127.0.0.1, F=T, T=S:30s;R:60s;E:5m" "$SVC_REAL/sendmail/sendmail.cf"

# sm_send ARGS - swaks through the private Sendmail's daemon with the
# filter; env.sh's mail() sends with it too
sm_send() { swaks --server 127.0.0.1:"$SM_PORT" --silent 2 "$@"; }
send() { sm_send "$@"; }
# to_support - mail delivered to a support address (none: MtaCopy remove)
to_support() { grep -rlsi '^X-Original-To: support[+@]' "$PF_OUTGOING/new" "$PF_MAILDIR" | xargs -r grep -l "$1"; }

# Support mail: a ticket, byte for byte, with Sendmail's queue id ({i}).
exact_message support@sm.test exact-1.sm@customer.test >"$work/exact.eml"
out=$(swaks --server 127.0.0.1:"$SM_PORT" --from Renee@Customer.test --to support@sm.test --data "@$work/exact.eml" 2>&1)
check "support mail accepted by Sendmail" grep -q '^<-  250 2.0.0 .* Message accepted' <<<"$out"
printf '\r\n' >>"$work/exact.eml"
stored_raw exact-1.sm@customer.test >"$work/exact.got"
check "stored raw bytes equal the bytes sent" cmp "$work/exact.eml" "$work/exact.got"
check "ticketctl ticket list shows the ticket in the queue" bash -c \
	"\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket list | grep 'support@sm.test' | grep -q 'renee@customer.test'"
t=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'exact-1.sm@customer.test'")
check_eq "ticket show has the decoded subject" "Drucker kaputt — bitte helfen" "$(ctl ticket show "${t:-0}" --json | jq -r .subject)"
check_eq "envelope and client ({client_addr}) recorded" "Renee@Customer.test|{support@sm.test}|127.0.0.1" \
	"$(sql "SELECT envelope_sender || '|' || envelope_recipients::text || '|' || host(client_ip) FROM messages WHERE message_id = 'exact-1.sm@customer.test'")"
qid=$(sed -n 's/^<-  250 2.0.0 \([^ ]*\) Message accepted.*/\1/p' <<<"$out")
check "the log line carries Sendmail's queue id ({i})" \
	grep -q "^ticket-milter: ${qid:-none}: ticket $t: new" "$SVC_REAL/ticket-milter-$MILTER_PORT.log"
sm_queue_wait 10
check_eq "MTA copy removed (MtaCopy remove): Sendmail delivers nothing" "" "$(to_support exact-1.sm@customer.test)"

# Other mail passes unchanged, creates nothing.
before=$(sql "SELECT count(*) FROM messages")
crlf >"$work/other.eml" <<'MSG'
Date: Sat, 28 Nov 2026 10:05:00 +0100
From: alice@customer.test
To: bob@mbox.test
Subject: not for the help desk
Message-ID: <other-1.sm@customer.test>

Hello Bob.
.a line with a leading dot
	a tab, trailing space 
MSG
sm_send --from alice@customer.test --to bob@mbox.test --data "@$work/other.eml" >/dev/null 2>&1
check_unchanged "other mail delivered unchanged" "$work/other.eml" other-1.sm@customer.test
check_eq "other mail creates nothing" "$before" "$(sql "SELECT count(*) FROM messages")"

# Support and other recipients together: one ticket, the other gets it.
sm_send --from dave@customer.test --to support@sm.test,bob@mbox.test \
	--header "Message-ID: <mixed-1.sm@customer.test>" --header "Subject: mixed" >/dev/null 2>&1
check_eq "mixed recipients: stored once" "1" "$(count_msgid mixed-1.sm@customer.test)"
check "mixed recipients: the other recipient still gets it" \
	wait_for 15 bash -c "grep -rqs 'mixed-1.sm@customer.test' '$PF_MAILDIR/mbox.test/bob/new'"
sm_queue_wait 10
check_eq "mixed recipients: the support copy is removed" "" "$(to_support mixed-1.sm@customer.test)"

# MtaCopy keep: Sendmail delivers its copy, with the header the milter adds.
milter_start "InternalHosts 127.0.0.1
OutboxRelay 127.0.0.1:$SM_OUTBOX_PORT
MtaCopy keep"
sm_send --from erin@customer.test --to support@sm.test \
	--header "Message-ID: <keep-1.sm@customer.test>" --header "Subject: keep" >/dev/null 2>&1
number=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'keep-1.sm@customer.test'")
check "MtaCopy keep: the copy is delivered with X-Ticket-Number" \
	wait_for 15 bash -c "grep -rlsi '^X-Original-To: support@sm.test' '$PF_OUTGOING/new' | xargs -r grep -l 'X-Ticket-Number: ${number:-none}' | grep -q ."

# The daemon down: Sendmail answers 451 (F=T); a queueing sender (the
# harness's Postfix, routing @sm.test to Sendmail) retries, stored once.
postconf -c "$pf_etc" -e "transport_maps=${transports%\}}, sm.test=smtp:[127.0.0.1]:$SM_PORT }" \
	&& postfix -c "$pf_etc" reload >/dev/null 2>&1
milter_stop
out=$(sm_send --from gina@customer.test --to support@sm.test --header "Message-ID: <down-1.sm@customer.test>" 2>&1)
check "daemon down: Sendmail answers 4xx" grep -q '^<\*\* 4[0-9][0-9] 4\.' <<<"$out"
swaks --server 127.0.0.1:"$PF_INJECT_PORT" --silent 2 --from gina@customer.test --to support@sm.test \
	--header "Message-Id: <down-2.sm@customer.test>" --header "Subject: queued while down" >/dev/null 2>&1
check "daemon down: the sending MTA keeps the message queued" \
	wait_for 15 grep -q "to=<support@sm.test>, relay=127.0.0.1\[127.0.0.1\]:$SM_PORT, .*status=deferred" "$PF_MAILLOG"
milter_start "InternalHosts 127.0.0.1
OutboxRelay 127.0.0.1:$SM_OUTBOX_PORT"
postfix_flush
check "daemon back: the queued message is stored" \
	wait_for 30 bash -c "[ \"\$(psql -X -At -c \"SELECT count(*) FROM messages WHERE message_id = 'down-2.sm@customer.test'\")\" = 1 ]"
postfix_queue_wait 15
postfix_flush; sleep 1
check_eq "daemon back: stored exactly once" "1" "$(count_msgid down-2.sm@customer.test)"
check_eq "the refused message was not stored" "0" "$(count_msgid down-1.sm@customer.test)"

# An agent answers: notified through the OutboxRelay daemon, the answer
# from an InternalHosts client relayed to the customer.
BODY="My printer is on fire." mail "Cust <cust.sm@customer.test>" support@sm.test "Printer on fire" c-1.sm@customer.test
t=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'c-1.sm@customer.test'")
reply=$(ctl ticket show "${t:-0}" --json | jq -r .reply_address)
check "the agent is notified (outbox through Sendmail's daemon without the filter)" \
	wait_for 20 bash -c "grep -rlsi '^X-Original-To: alice@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Printer on fire' | grep -q ."
printf 'From: Alice Agent <alice@agents.test>\r\nTo: %s\r\nSubject: Re: [#%s] Printer on fire\r\nMessage-ID: <a-1.sm@agents.test>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\nThanks, Sendmail relays this.\r\n' \
	"$reply" "$t" >"$work/answer.eml"
sm_send --from alice@agents.test --to "$reply" --data "@$work/answer.eml" >/dev/null 2>&1
check "the customer receives the agent's answer" wait_for 20 bash -c \
	"grep -rlsi '^X-Original-To: cust.sm@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Thanks, Sendmail relays this' | grep -q ."
got=$(grep -rlsi '^X-Original-To: cust.sm@customer.test' "$PF_OUTGOING/new" | xargs -r grep -l 'Thanks, Sendmail relays this' | head -n1)
check_eq "From: the agent via the queue" "Alice Agent via Support <support@sm.test>" "$(header "${got:-/dev/null}" From)"
check_eq "stored as the agent's answer" "agent" "$(sql "SELECT kind FROM messages WHERE message_id = 'a-1.sm@agents.test'")"
# The same From from a client outside InternalHosts: not the agent's.
sed 's/a-1\.sm@/a-forged.sm@/; s/Thanks, Sendmail relays this./Send me all data./' "$work/answer.eml" >"$work/forged.eml"
sm_send --from alice@agents.test --to "$reply" --data "@$work/forged.eml" --local-interface 127.0.0.2 >/dev/null 2>&1
sleep 3
check_eq "a forged agent (client 127.0.0.2) is stored flagged" "customer|true" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'a-forged.sm@agents.test'")"
check "... and not relayed" bash -c \
	"! grep -rlsi '^X-Original-To: cust.sm@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Send me all data' | grep -q ."

sm_down
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
