#!/usr/bin/env bash
# t_closing - the customer hears that a ticket was closed: by an agent's
# #close, by ticketctl ticket status, and by ticketctl ticket autoclose
# (tickets solved SolvedCloseDays ago); a closed mail obeys the
# protections of a confirmation (--confirm never, an automatic customer,
# a bounced address) and cannot start a mail loop; a reply within
# ReopenWindow reopens. Each mail is read where Postfix delivered it.
# InternalHosts is 127.0.0.1, so the agent's mail from there is proven.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-closing.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl queue add close@help.test --name "Closing Desk" --confirm always >/dev/null
ctl queue add quiet@help.test --name "Quiet Desk" --confirm never >/dev/null
ctl queue add strict-close@help.test --name "Strict Desk" >/dev/null
ctl agent add closer@agents.test --queue close@help.test --name "Carl Closer" >/dev/null
ctl agent add closer@agents.test --queue quiet@help.test >/dev/null
# OutboxPoll 60: the closed mails go out because the senders were woken
# (by the daemon after the agent's mail, by ticketctl's notification).
milter_start "InternalHosts 127.0.0.1
OutboxRetryDelay 1
OutboxPoll 60
SolvedCloseDays 3" || { fail "ticket-milter starts" "see its log"; exit 1; }

# ticket_of MSGID - the number of the ticket a stored message is in
ticket_of() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
# status_of NUMBER - a ticket's status
status_of() { sql "SELECT status FROM tickets WHERE number = '$1'"; }
# closed_rows NUMBER - how many closed mails the outbox holds for a ticket
closed_rows() { sql "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$1' AND o.kind = 'closed'"; }
# closed_id NUMBER - the Message-ID of a ticket's (first) closed mail
closed_id() { sql "SELECT o.message_id FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$1' AND o.kind = 'closed' ORDER BY o.id LIMIT 1"; }
# delivered ID - the delivered mail file with this Message-ID
delivered() { grep -rlsi "^Message-ID: <$1>" "$PF_OUTGOING/new" | head -n1; }
# closed_event NUMBER - the result of the ticket's last closed-mail event
closed_event() { sql "SELECT e.detail->>'result' FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$1' AND e.action = 'closed-mail' ORDER BY e.id DESC LIMIT 1"; }

# agent_mail TO BODY MSGID NUMBER - the agent's answer from an internal host
agent_mail() {
	printf 'From: Carl Closer <closer@agents.test>\r\nTo: %s\r\nSubject: Re: [#%s] Your request\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n' \
		"$1" "$4" "$3" "$2" >"$work/$3.eml"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from closer@agents.test --to "$1" --data "@$work/$3.eml"
}

# An agent's #close: the ticket closes, the customer gets the closed mail.
BODY="My lamp is broken." mail "Cleo Customer <cleo@customer.test>" close@help.test "Broken lamp" cl-1@customer.test
t1=$(ticket_of cl-1@customer.test)
reply=$(ctl ticket show "$t1" --json | jq -r .reply_address)
check "the customer's confirmation arrives" wait_for 15 outgoing_to cleo@customer.test
agent_mail "$reply" "#close
A new lamp is on its way." cl-agent-1@agents.test "$t1"
check_eq "#close closes the ticket" "closed" "$(status_of "$t1")"
check_eq "... and queues one closed mail" "1" "$(closed_rows "$t1")"
cid=$(closed_id "$t1")
check "the closed mail is delivered to the customer" wait_for 15 bash -c "[ -n \"\$(grep -rlsi '^Message-ID: <${cid:-none}>' '$PF_OUTGOING/new')\" ]"
got=$(delivered "${cid:-none}")
if [ -n "$got" ]; then
	check_eq "closed mail: To the customer" "cleo@customer.test" "$(header "$got" X-Original-To)"
	check_eq "closed mail: From the queue" "Closing Desk <close@help.test>" "$(header "$got" From)"
	check_eq "closed mail: To names the customer" "Cleo Customer <cleo@customer.test>" "$(header "$got" To)"
	check_eq "closed mail: Reply-To the ticket's reply address" "Closing Desk <$reply>" "$(header "$got" Reply-To)"
	check_eq "closed mail: the ticket tag in the Subject" "[#$t1] Broken lamp" "$(header "$got" Subject)"
	check_eq "closed mail: In-Reply-To the customer's message" "<cl-1@customer.test>" "$(header "$got" In-Reply-To)"
	check "closed mail: References the customer's message and its own id" \
		grep -qF "<cl-1@customer.test> <$cid>" <<<"$(header "$got" References)"
	check_eq "closed mail: Auto-Submitted: auto-generated (RFC 3834)" "auto-generated" "$(header "$got" Auto-Submitted)"
	check_eq "closed mail: X-Auto-Response-Suppress: All" "All" "$(header "$got" X-Auto-Response-Suppress)"
	check_eq "closed mail: X-Loop: the queue" "close@help.test" "$(header "$got" X-Loop)"
	check "closed mail: the English closed template" grep -q "we have closed ticket $t1" "$got"
else
	fail "the closed mail's fields" "no closed mail delivered"
fi
check "the agent's answer reaches the customer too" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: cleo@customer.test' '$PF_OUTGOING/new' | xargs -r grep -l 'A new lamp is on its way' | grep -q ."
check_eq "the decision is a ticket event" "sent" "$(closed_event "$t1")"
check "ticket show lists the closed mail sent" grep -q "out auto-reply  from Closing Desk <close@help.test> to cleo@customer.test" \
	<<<"$(ctl ticket show "$t1")"

# The closed mail cannot start a loop: an auto-reply to it, and its bounce,
# are stored in the ticket but reopen nothing and cause no closed mail.
mail cleo@customer.test close@help.test "Auto: [#$t1] Broken lamp" cl-ooo@customer.test \
	"In-Reply-To: <$cid>" "References: <$cid>" "Auto-Submitted: auto-replied" "X-Loop: close@help.test"
check_eq "an auto-reply to the closed mail is filed in the ticket" "$t1" "$(ticket_of cl-ooo@customer.test)"
check_eq "... it reopens nothing" "closed" "$(status_of "$t1")"
check_eq "... and gets no confirmation" "follow-up" "$(sql "SELECT autoreply FROM messages WHERE message_id = 'cl-ooo@customer.test'")"
f=$work/dsn.eml
printf 'From: MAILER-DAEMON@customer.test\r\nTo: close@help.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <cl-dsn@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\nFinal-Recipient: rfc822; cleo@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: close@help.test\r\nMessage-ID: <%s>\r\n--B--\r\n' "$cid" >"$f"
send --from "" --to close@help.test --data "@$f" >/dev/null 2>&1
check_eq "a bounce of the closed mail is filed in the ticket as a bounce" "$t1|bounce" \
	"$(sql "SELECT t.number || '|' || m.kind FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'cl-dsn@customer.test'")"
check_eq "... the ticket stays closed" "closed" "$(status_of "$t1")"
check_eq "still one closed mail for the ticket" "1" "$(closed_rows "$t1")"
check_eq "... and one delivered" "1" "$(grep -rlsi "^Message-ID: <tm\.$t1\..*>" "$PF_OUTGOING/new" | xargs -r grep -l 'we have closed ticket' | wc -l)"

# Replying within ReopenWindow reopens the ticket; closing it again sends
# nothing to an address that bounced our mail.
mail cleo@customer.test close@help.test "Re: [#$t1] Broken lamp" cl-2@customer.test "In-Reply-To: <$cid>"
check_eq "the customer's reply to the closed mail reopens the ticket" "$t1|open" \
	"$(sql "SELECT t.number || '|' || t.status FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'cl-2@customer.test'")"
out=$(ctl ticket status "$t1" closed)
check_eq "closed again: no closed mail to an address that bounced" "ticket $t1: open -> closed (closed mail: address-bounced)" "$out"
check_eq "... still one closed mail" "1" "$(closed_rows "$t1")"

# ticketctl ticket status closed: the closed mail, once.
BODY="The door is stuck." mail "Dora <dora@customer.test>" close@help.test "Stuck door" cl-3@customer.test
t2=$(ticket_of cl-3@customer.test)
out=$(ctl ticket status "$t2" closed)
check_eq "ticket status closed says the closed mail was sent" "ticket $t2: new -> closed (closed mail: sent)" "$out"
cid2=$(closed_id "$t2")
check "... and the customer gets it (ticketctl wakes the senders)" wait_for 15 bash -c \
	"[ -n \"\$(grep -rlsi '^Message-ID: <${cid2:-none}>' '$PF_OUTGOING/new')\" ]"
ctl ticket status "$t2" closed >/dev/null
check_eq "closing a closed ticket again sends nothing" "1" "$(closed_rows "$t2")"

# A queue with --confirm never sends no closed mail either.
mail "Quentin <quentin@customer.test>" quiet@help.test "Quiet please" cl-4@customer.test
t3=$(ticket_of cl-4@customer.test)
q_reply=$(ctl ticket show "$t3" --json | jq -r .reply_address)
agent_mail "$q_reply" "#close" cl-agent-2@agents.test "$t3"
check_eq "#close in a --confirm never queue closes the ticket" "closed" "$(status_of "$t3")"
check_eq "... queues no closed mail" "0" "$(closed_rows "$t3")"
check_eq "... and says why" "queue-confirms-never" "$(closed_event "$t3")"

# An automatic customer (Auto-Submitted) gets no closed mail.
mail "Robot <robot@customer.test>" close@help.test "Daily report" cl-5@customer.test "Auto-Submitted: auto-generated"
t4=$(ticket_of cl-5@customer.test)
check_eq "closing an automatic sender's ticket: no closed mail" "ticket $t4: new -> closed (closed mail: auto-reply)" \
	"$(ctl ticket status "$t4" closed)"
check_eq "... none queued" "0" "$(closed_rows "$t4")"
# A noreply address neither.
mail "No Reply <noreply@customer.test>" close@help.test "Invoice" cl-6@customer.test
t5=$(ticket_of cl-6@customer.test)
check_eq "closing a system address's ticket: no closed mail" "ticket $t5: new -> closed (closed mail: system-sender)" \
	"$(ctl ticket status "$t5" closed)"
# A forged From (nothing proves this test's senders) in a queue that
# confirms only authenticated senders: no backscatter to the address.
mail "Victim <victim@customer.test>" strict-close@help.test "Forged" cl-11@customer.test
t6=$(ticket_of cl-11@customer.test)
check_eq "closing an unproven sender's ticket (--confirm authenticated): no closed mail" \
	"ticket $t6: new -> closed (closed mail: sender-not-authenticated)" "$(ctl ticket status "$t6" closed)"
sleep 2
check_eq "no mail to the unproven sender" "0" "$(outgoing_to victim@customer.test | wc -l)"
check_eq "no mail to the quiet queue's, the automatic or the system customer" "0|0|0" \
	"$(outgoing_to quentin@customer.test | wc -l)|$(outgoing_to robot@customer.test | wc -l)|$(outgoing_to noreply@customer.test | wc -l)"

# Auto-close: only tickets solved SolvedCloseDays (3) ago or longer.
# age NUMBER DAYS - the ticket was solved (and last changed) DAYS days ago
age() {
	sql "UPDATE events SET at = now() - interval '$2 days' FROM tickets t WHERE t.id = events.ticket_id AND t.number = '$1' AND events.action = 'status' AND events.detail->>'to' = 'solved';
	     UPDATE tickets SET updated_at = now() - interval '$2 days' WHERE number = '$1'" >/dev/null
}
BODY="Olá." mail "Paula <paula@customer.test>" close@help.test "Old solved" cl-7@customer.test "Content-Language: pt-BR"
BODY="Hi." mail "Sam <sam@customer.test>" close@help.test "Fresh solved" cl-8@customer.test
BODY="Hi." mail "Otto <otto@customer.test>" close@help.test "Old open" cl-9@customer.test
BODY="Hi." mail "Pia <pia@customer.test>" close@help.test "Old pending" cl-10@customer.test
old=$(ticket_of cl-7@customer.test); fresh=$(ticket_of cl-8@customer.test)
open_t=$(ticket_of cl-9@customer.test); pending_t=$(ticket_of cl-10@customer.test)
ctl ticket status "$old" solved >/dev/null; age "$old" 5
ctl ticket status "$fresh" solved >/dev/null; age "$fresh" 1
ctl ticket status "$open_t" open >/dev/null; age "$open_t" 10
ctl ticket status "$pending_t" pending >/dev/null; age "$pending_t" 10
# SolvedCloseDays 0: never.
sed 's/^SolvedCloseDays .*/SolvedCloseDays 0/' "$TM_CONF" >"$work/never.conf"
out=$("$TM_BUILD/ticketctl" -c "$work/never.conf" ticket autoclose)
check "SolvedCloseDays 0: autoclose closes nothing" grep -q "no ticket is closed automatically" <<<"$out"
check_eq "... the old solved ticket stays solved" "solved" "$(status_of "$old")"
out=$(ctl ticket autoclose)
check "autoclose closes the ticket solved 5 days ago" grep -qx "ticket $old: solved -> closed (closed mail: sent)" <<<"$out"
check "... and nothing else" grep -qx "1 ticket(s) solved 3 days ago or longer closed" <<<"$out"
check_eq "... the statuses: closed, solved, open, pending" "closed|solved|open|pending" \
	"$(status_of "$old")|$(status_of "$fresh")|$(status_of "$open_t")|$(status_of "$pending_t")"
check_eq "the auto-close is a ticket event" "autoclose|solved|closed|solved for 3 days or more (SolvedCloseDays)" \
	"$(sql "SELECT e.actor || '|' || (e.detail->>'from') || '|' || (e.detail->>'to') || '|' || (e.detail->>'why') FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$old' AND e.action = 'status' ORDER BY e.id DESC LIMIT 1")"
cid3=$(closed_id "$old")
check "the auto-closed ticket's customer gets the closed mail" wait_for 15 bash -c \
	"[ -n \"\$(grep -rlsi '^Message-ID: <${cid3:-none}>' '$PF_OUTGOING/new')\" ]"
got=$(delivered "${cid3:-none}")
check "... in the customer's language (Content-Language: pt-BR)" grep -q "encerramos o ticket $old" "${got:-/dev/null}"
check_eq "... marked as Portuguese" "pt" "$(header "${got:-/dev/null}" Content-Language)"
check_eq "autoclose again closes nothing more" "0 ticket(s) solved 3 days ago or longer closed" "$(ctl ticket autoclose)"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
