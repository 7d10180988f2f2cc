#!/usr/bin/env bash
# t_queue_mail - an authenticated agent's mail to the queue address is a
# command mail: #list answers with the agent's open tickets and the
# unassigned ones, #new ADDRESS opens a ticket for that customer and sends
# them the rest of the mail as an answer; ticketctl agent set --digest
# daily and digest send mail the same list. Attacks: #new from a stranger,
# #list from a forged agent, #new to a support or system address (a loop),
# #new with 500 recipients on the line. InternalHosts 127.0.0.1: mail from
# there is the agents', from 127.0.0.2 it is not.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-queue-mail.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
Q=cmdmail@help.test
ctl queue add $Q --name "Desk" >/dev/null
ctl queue add elsewhere@help.test --name "Elsewhere" >/dev/null
ctl agent add ann.qm@agents.test --queue $Q --name "Ann" >/dev/null
ctl agent add bo.qm@agents.test --queue $Q --name "Bo" >/dev/null
ctl agent add olga@agents.test --queue elsewhere@help.test --name "Olga" >/dev/null
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see its log"; exit 1; }

# to_queue FROM SUBJECT TEXT MSGID [SWAKS-ARGS] - a mail to the queue address
to_queue() {
	local f=$work/$4.eml addr=${1##*<}
	printf 'From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n' \
		"$1" "$Q" "$2" "$4" "$3" >"$f"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "${addr%>}" --to "$Q" --data "@$f" "${@:5}" 2>&1
}
# number MSGID - the ticket number of a stored message
number() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
# mails_to ADDRESS TEXT - how many mails delivered to ADDRESS hold TEXT
mails_to() { outgoing_to "$1" | xargs -r grep -lF -- "$2" | wc -l; }
# has_mail ADDRESS TEXT [N] - more than N (0) mails delivered to ADDRESS hold TEXT
has_mail() { [ "$(mails_to "$1" "$2")" -gt "${3:-0}" ]; }
# list_shows NUMBER LINE - a list Ann received names ticket NUMBER, then LINE (a regex)
list_shows() { outgoing_to ann.qm@agents.test | xargs -r grep -lF "#$1 " | xargs -r grep -A1 -F "#$1 " | grep -qE "$2"; }
# tickets - how many tickets there are
tickets() { sql "SELECT count(*) FROM tickets"; }

BODY="The printer is on fire." mail "Cy <cy@customer.test>" $Q "Printer on fire" q-c1@customer.test
BODY="The scanner is cold." mail "Di <di@customer.test>" $Q "Scanner cold" q-c2@customer.test
t1=$(number q-c1@customer.test)
t2=$(number q-c2@customer.test)
reply1=$(ctl ticket show "$t1" --json | jq -r .reply_address)
reply2=$(ctl ticket show "$t2" --json | jq -r .reply_address)
# Bo takes the second ticket by mail: it is no longer Ann's to see.
printf 'From: bo.qm@agents.test\r\nTo: %s\r\nSubject: Re: Scanner cold\r\nMessage-ID: <q-take@agents.test>\r\n\r\n#take\r\n' "$reply2" >"$work/take.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from bo.qm@agents.test --to "$reply2" --data "@$work/take.eml"
check_eq "Bo took the second ticket" "bo.qm@agents.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t2'")"

# --- #list ---------------------------------------------------------------
before=$(tickets)
to_queue "Ann <ann.qm@agents.test>" "list" "#list" q-list-1@agents.test >/dev/null
check "#list: Ann gets the list" wait_for 15 has_mail ann.qm@agents.test "Your open tickets and the unassigned ones"
got=$(outgoing_to ann.qm@agents.test | xargs -r grep -lF "Your open tickets and the unassigned ones" | tail -n1)
if [ -n "$got" ]; then
	check_eq "... from the support address" "Desk <$Q>" "$(header "$got" From)"
	check_eq "... subject" "Your open tickets" "$(header "$got" Subject)"
	check "... the unassigned ticket: number and subject" grep -qF "#$t1 Printer on fire" "$got"
	check "... its status, that it is unassigned, its age" grep -qE "^  new, unassigned, [0-9]+m old; customer: Cy <cy@customer.test>" "$got"
	check "... its reply address" grep -qF "reply: $reply1" "$got"
	check "... not Bo's ticket" bash -c "! grep -qF '#$t2 ' '$got'"
	check "... an automatic mail" grep -qi "^Auto-Submitted: auto-" "$got"
else
	fail "the list's content" "no list delivered"
fi
check_eq "#list opens no ticket" "$before" "$(tickets)"
check_eq "#list stores no message" "0" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'q-list-1@agents.test'")"
check "the #list mail itself reaches no one" bash -c "! grep -rqsF 'q-list-1@agents.test' '$PF_OUTGOING/new' '$PF_MAILDIR'"
check "the milter logs it" grep -q "agent-list" "$SVC_REAL/ticket-milter-$MILTER_PORT.log"

# --- #new ----------------------------------------------------------------
to_queue "Ann <ann.qm@agents.test>" "Your quote" "#new Eve Customer <eve@customer.test>" q-new-bad-form@agents.test >/dev/null
check "#new with a name and an address is refused: one address only" wait_for 15 has_mail ann.qm@agents.test "#new takes one address"
to_queue "Ann <ann.qm@agents.test>" "Your quote" "#new <eve@customer.test>

Here is the quote you asked for: 12 EUR.

-- 
Ann" q-new-1@agents.test >/dev/null
t3=$(number q-new-1@agents.test)
check "#new opens a ticket" test -n "$t3"
check_eq "... for the customer, with the mail's subject, Ann's, open" "eve@customer.test|Your quote|ann.qm@agents.test|open|agent-new" \
	"$(sql "SELECT c.address || '|' || t.subject || '|' || t.assignee || '|' || t.status || '|' || m.thread_rule FROM tickets t JOIN contacts c ON c.id = t.customer_id JOIN messages m ON m.ticket_id = t.id WHERE t.number = '$t3' AND m.message_id = 'q-new-1@agents.test'")"
check "the customer receives the text" wait_for 15 has_mail eve@customer.test "Here is the quote you asked for"
got=$(outgoing_to eve@customer.test | xargs -r grep -lF "Here is the quote" | tail -n1)
if [ -n "$got" ]; then
	check_eq "From: Ann via the queue" "Ann via Desk <$Q>" "$(header "$got" From)"
	check_eq "Subject: tagged, no Re:" "[#$t3] Your quote" "$(header "$got" Subject)"
	check_eq "Reply-To: the ticket's reply address" "$(ctl ticket show "$t3" --json | jq -r .reply_address)" "$(header "$got" Reply-To)"
	check "... without the #new line" bash -c "! grep -qF '#new' '$got'"
	check_eq "the envelope sender is the queue" "<$Q>" "$(header "$got" Return-Path)"
	relay_id=$(header "$got" Message-ID | tr -d '<>')
else
	fail "the #new answer's headers" "nothing delivered"
fi
check_eq "the opening answer counts as a reply, with no response time" "1 null" \
	"$(ctl report agents --json | jq -r '.[] | select(.agent == "ann.qm@agents.test") | "\(.replies) \(.first_response_median_s)"')"
check "nobody else is told, no confirmation" bash -c "[ \"\$(grep -rlsF '[#$t3]' '$PF_OUTGOING/new' | xargs -r grep -liE '^X-Original-To: (bo|ann)\.qm@agents.test' | wc -l)\" = 0 ]"
BODY="Thanks, I accept." mail "Eve <eve@customer.test>" $Q "Re: [#$t3] Your quote" q-e1@customer.test "In-Reply-To: <${relay_id:-none}>"
check_eq "the customer's reply threads into the new ticket" "$t3" "$(number q-e1@customer.test)"
to_queue "Ann <ann.qm@agents.test>" "list again" "#list" q-list-2@agents.test >/dev/null
check "#list shows the new ticket as Ann's" wait_for 15 list_shows "$t3" "^  open, yours, "

# --- refused commands ------------------------------------------------------
before=$(tickets)
to_queue "Ann <ann.qm@agents.test>" "x" "#frobnicate" q-bad@agents.test >/dev/null
check "an unknown command is answered" wait_for 15 has_mail ann.qm@agents.test "#frobnicate: not a command"
to_queue "Ann <ann.qm@agents.test>" "x" "#list everything" q-bad-2@agents.test >/dev/null
check "#list with an argument is refused" wait_for 15 has_mail ann.qm@agents.test "#list takes no argument"
to_queue "Ann <ann.qm@agents.test>" "x" "#new fred@customer.test" q-bad-3@agents.test >/dev/null
check "#new without a text is refused" wait_for 15 has_mail ann.qm@agents.test "write the text for the customer below the #new line"
check_eq "refused commands open no ticket" "$before" "$(tickets)"
check_eq "... and reach nobody" "0" "$(mails_to fred@customer.test "")"
out=$(to_queue "olga@agents.test" "x" "#list" q-olga@agents.test)
check "an agent of another queue is refused with 550 5.7.1" grep -q "550 5.7.1 You are not an agent of $Q" <<<"$out"

# A mail to the queue from an agent without a command: a ticket as before,
# the agent its customer (an agent reporting something of their own).
to_queue "Ann <ann.qm@agents.test>" "My laptop is slow" "My laptop is slow." q-plain@agents.test >/dev/null
check_eq "an agent's mail without a command is a ticket, as before" "ann.qm@agents.test" \
	"$(sql "SELECT c.address FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN contacts c ON c.id = t.customer_id WHERE m.message_id = 'q-plain@agents.test'")"

# --- attacks (SECURITY.md) -------------------------------------------------
# A stranger's #new: a customer ticket from the stranger, nothing to the victim.
to_queue "Mallory <mallory@evil.test>" "Hello" "#new qm-victim@customer.test

You won a prize, click here." q-mallory@evil.test --local-interface 127.0.0.2 >/dev/null
check_eq "a stranger's #new is the stranger's own ticket" "mallory@evil.test|customer" \
	"$(sql "SELECT c.address || '|' || m.kind FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN contacts c ON c.id = t.customer_id WHERE m.message_id = 'q-mallory@evil.test'")"
check_eq "... no ticket for the victim" "0" "$(sql "SELECT count(*) FROM tickets t JOIN contacts c ON c.id = t.customer_id WHERE c.address = 'qm-victim@customer.test'")"
sleep 3
check_eq "... and the victim gets nothing" "0" "$(mails_to qm-victim@customer.test "")"
# A forged agent's #list (Ann's From, no proof): no list, stored and flagged.
lists=$(mails_to ann.qm@agents.test "Your open tickets and the unassigned ones")
to_queue "Ann <ann.qm@agents.test>" "list" "#list" q-forged-list@agents.test --local-interface 127.0.0.2 >/dev/null
check_eq "a forged agent's #list is stored as a customer message, flagged" "customer|true" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'q-forged-list@agents.test'")"
to_queue "Ann <ann.qm@agents.test>" "new" "#new qm-victim@customer.test

Forged." q-forged-new@agents.test --local-interface 127.0.0.2 >/dev/null
check_eq "a forged agent's #new opens no ticket for the victim" "0" \
	"$(sql "SELECT count(*) FROM tickets t JOIN contacts c ON c.id = t.customer_id WHERE c.address = 'qm-victim@customer.test'")"
sleep 3
check_eq "... no list is sent for the forged #list" "$lists" "$(mails_to ann.qm@agents.test "Your open tickets and the unassigned ones")"
check_eq "... and the victim gets nothing" "0" "$(mails_to qm-victim@customer.test "")"
# #new to our own addresses or a system address: refused, no mail, no ticket.
before=$(tickets)
for target in $Q "cmdmail+$t1-000000000000@help.test" "ELSEWHERE@help.test" postmaster@customer.test MAILER-DAEMON@customer.test; do
	to_queue "Ann <ann.qm@agents.test>" "loop" "#new $target

Looping text." "q-loop-${target%%@*}@agents.test" >/dev/null
done
check "#new to the queue address: refused as a loop" wait_for 15 has_mail ann.qm@agents.test "#new $Q: that is a support address of this help desk"
check "#new to a reply address: refused as a loop" wait_for 15 has_mail ann.qm@agents.test "#new cmdmail+$t1-000000000000@help.test: that is a support address"
check "#new to another queue: refused" wait_for 15 has_mail ann.qm@agents.test "#new elsewhere@help.test: that is a support address"
check "#new to postmaster: refused" wait_for 15 has_mail ann.qm@agents.test "#new postmaster@customer.test: that is a system address"
check "#new to MAILER-DAEMON: refused" wait_for 15 has_mail ann.qm@agents.test "#new mailer-daemon@customer.test: that is a system address"
check_eq "... no ticket opened" "$before" "$(tickets)"
check "... no looping text went anywhere but to Ann's notices" bash -c \
	"! grep -rlsF 'Looping text' '$PF_OUTGOING/new' '$PF_MAILDIR' | grep -q ."
# #new with 500 recipients on the line.
one_address=$(mails_to ann.qm@agents.test "#new takes one address")
many=$(for i in $(seq 1 500); do printf 'r%s@customer.test, ' "$i"; done)
to_queue "Ann <ann.qm@agents.test>" "many" "#new ${many%, }

Bulk text." q-many@agents.test >/dev/null
check "#new with 500 recipients: refused, one address only" wait_for 15 has_mail ann.qm@agents.test "#new takes one address" "$one_address"
check_eq "... no ticket opened" "$before" "$(tickets)"
sleep 2
check "... no mail to any of them" bash -c "! grep -rlsiE '^X-Original-To: r[0-9]+@customer.test' '$PF_OUTGOING/new' | grep -q ."

# --- the bound of the list ------------------------------------------------
sql "INSERT INTO tickets (number, queue_id, subject, created_at)
     SELECT 'B' || g, q.id, 'bulk ' || g, now() - g * interval '1 hour' FROM generate_series(1, 40) g, queues q WHERE q.address = '$Q'"
total=$(sql "SELECT count(*) FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = '$Q' AND t.status IN ('new', 'open', 'pending') AND (t.assignee IS NULL OR t.assignee = 'ann.qm@agents.test')")
to_queue "Ann <ann.qm@agents.test>" "list" "#list" q-list-3@agents.test >/dev/null
check "#list past 30 tickets says how many more" wait_for 15 has_mail ann.qm@agents.test "and $((total - 30)) more"
got=$(outgoing_to ann.qm@agents.test | xargs -r grep -lF "and $((total - 30)) more" | tail -n1)
check_eq "... after 30 tickets" "30" "$(grep -cE '^#[A-Z0-9]+ ' "${got:-/dev/null}")"
newest=$(sql "SELECT t.number FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE q.address = '$Q' AND t.status IN ('new', 'open', 'pending') AND (t.assignee IS NULL OR t.assignee = 'ann.qm@agents.test') ORDER BY t.created_at DESC, t.id DESC LIMIT 1")
check "... the newest first" bash -c "grep -E '^#[A-Z0-9]+ ' '${got:-/dev/null}' | head -n1 | grep -q '^#$newest '"
sql "DELETE FROM tickets WHERE number LIKE 'B%'"

# --- the daily digest ----------------------------------------------------------
check "agent set --digest daily" ctl agent set ann.qm@agents.test --digest daily
check_eq "agent list --json shows it" "daily none" \
	"$(ctl agent list --json | jq -r '[.[] | select(.address == "ann.qm@agents.test" or .address == "bo.qm@agents.test") | .digest] | join(" ")')"
out=$(ctl digest send 2>&1)
check_eq "digest send queues Ann's digest, not Bo's" "digest queued for ann.qm@agents.test" "$out"
check "Ann receives the digest" wait_for 15 has_mail ann.qm@agents.test "Your open tickets today"
got=$(outgoing_to ann.qm@agents.test | xargs -r grep -lF "Your open tickets today" | tail -n1)
check "... the same list as #list" grep -qF "#$t3 Your quote" "${got:-/dev/null}"
check_eq "... from the support address" "Desk <$Q>" "$(header "${got:-/dev/null}" From)"
check_eq "a second run the same day sends none" "no digest due (agents set to --digest daily get one a day)" "$(ctl digest send 2>&1)"
check_eq "the digest was an outbox notice of the queue, of no ticket, sent" "1|notice|sent" \
	"$(sql "SELECT count(*) || '|' || min(o.kind) || '|' || min(o.status) FROM outbox o JOIN queues q ON q.id = o.queue_id WHERE o.ticket_id IS NULL AND q.address = '$Q' AND o.recipient = 'ann.qm@agents.test' AND o.subject = 'Your open tickets today'")"
check "agent set --digest none" ctl agent set ann.qm@agents.test --digest none
check "agent set of an unknown agent fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent set nobody@agents.test --digest daily"
"$TM_BUILD/ticketctl" -c "$TM_CONF" agent set ann.qm@agents.test --digest hourly >/dev/null 2>&1
check_eq "agent set with a bad value is a usage error" "2" "$?"
"$TM_BUILD/ticketctl" -c "$TM_CONF" digest >/dev/null 2>&1
check_eq "digest without send is a usage error" "2" "$?"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
