#!/usr/bin/env bash
# t_outbox - confirmations from templates, agent notifications, RFC 3834
# loop protection, rate limits, the outbox surviving a relay outage, the
# relay refusing a recipient for good (5xx) or for now (4xx), and a
# confirmation with no template to render.
# Outgoing mail goes through the private Postfix's port without milter and
# lands in its catch-all Maildir, where the test reads it.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-outbox.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
# A queue of its own, so the other scripts on this database see no change.
ctl queue add desk@help.test --name Support --confirm always >/dev/null
ctl agent add agent@agents.test --queue desk@help.test --name "Agent Smith" >/dev/null
# OutboxPoll 60: every mail below must go out because the senders were
# woken (in process after a commit, or by ticketctl's notification).
milter_start "OutboxRetryDelay 1
OutboxPoll 60" || { fail "ticket-milter starts" "see its log"; exit 1; }

# autoreply_of MSGID - the stored decision about an automatic answer
autoreply_of() { sql "SELECT autoreply FROM messages WHERE message_id = '$1'"; }

# A new ticket: a confirmation to the customer, a notification to the agent.
BODY="My printer is on fire." mail "Alice Customer <alice@customer.test>" desk@help.test \
	"Printer on fire" new-1@customer.test
t1=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'new-1@customer.test'")
reply=$(ctl ticket show "$t1" --json | jq -r .reply_address)
check "the confirmation is delivered to the customer" wait_for 15 outgoing_to alice@customer.test
conf=$(outgoing_to alice@customer.test | head -n1)
if [ -n "$conf" ]; then
	check_eq "confirmation From: the queue" 'Support <desk@help.test>' "$(header "$conf" From)"
	check_eq "confirmation Reply-To: the ticket's reply address" "Support <$reply>" "$(header "$conf" Reply-To)"
	check_eq "confirmation Subject carries the ticket tag" "[#$t1] Printer on fire" "$(header "$conf" Subject)"
	check_eq "confirmation In-Reply-To: the customer's message" "<new-1@customer.test>" "$(header "$conf" In-Reply-To)"
	conf_id=$(header "$conf" Message-ID | tr -d '<>')
	check "confirmation References list the customer's and its own Message-ID" \
		grep -qF "<new-1@customer.test> <$conf_id>" <<<"$(header "$conf" References)"
	check_eq "confirmation Auto-Submitted: auto-replied" "auto-replied" "$(header "$conf" Auto-Submitted)"
	check_eq "confirmation X-Auto-Response-Suppress: All" "All" "$(header "$conf" X-Auto-Response-Suppress)"
	check_eq "confirmation X-Loop: the queue" "desk@help.test" "$(header "$conf" X-Loop)"
	check "confirmation text names the ticket (English template)" grep -q "opened ticket $t1" "$conf"
else
	fail "confirmation headers" "no confirmation delivered"
fi
check_eq "the decision is stored: sent" "sent" "$(autoreply_of new-1@customer.test)"
check "the agent is notified" wait_for 15 outgoing_to agent@agents.test
note=$(outgoing_to agent@agents.test | head -n1)
if [ -n "$note" ]; then
	check_eq "notification From: customer via queue, at the reply address" \
		"Alice Customer via Support <$reply>" "$(header "$note" From)"
	check "notification carries the customer's text" grep -q "My printer is on fire." "$note"
	check_eq "notification Auto-Submitted: auto-generated" "auto-generated" "$(header "$note" Auto-Submitted)"
else
	fail "notification headers" "no notification delivered"
fi
check_eq "both are stored as outgoing messages of the ticket" "2" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$t1' AND m.direction = 'out'")"
# What an agent reads: the mail sent with its Subject and text, in the
# order of the thread, the participants and the events.
shown=$(ctl ticket show "$t1")
check "ticket show: the confirmation sent, its sender and recipient" \
	grep -q "out auto-reply  from Support <desk@help.test> to alice@customer.test  \[outgoing\]" <<<"$shown"
check "ticket show: the confirmation's text" grep -q "^  .*opened ticket $t1" <<<"$shown"
check "ticket show: the notification sent to the agent" \
	grep -q "out system  from Alice Customer via Support <$reply> to agent@agents.test" <<<"$shown"
check "ticket show: the customer's message says its confirmation was sent" \
	grep -qx "  confirmation: sent" <<<"$(grep -A1 "in customer  from Alice Customer <alice@customer.test>" <<<"$shown")"
check "ticket show: the customer's message comes first" \
	test "$(grep -n '^#' <<<"$shown" | head -n1 | grep -c 'in customer')" = 1
# (the contact's name is the first one seen: other scripts name Alice too)
check "ticket show: the participants" grep -qE "^Participants: [^<]*<alice@customer.test> \(customer\)" <<<"$shown"
check_eq "message show --json: the outgoing confirmation's subject and text" "[#$t1] Printer on fire|1" \
	"$(ctl message show "$(sql "SELECT m.id FROM messages m JOIN outbox o ON o.message_id = m.message_id WHERE o.recipient = 'alice@customer.test' AND m.direction = 'out'")" --json \
	   | jq -r '.subject + "|" + (.text | test("opened ticket") | if . then "1" else "0" end)')"

# The customer's reply to the confirmation threads, even when a relay
# rewrote the confirmation's Message-ID (References fallback).
mail alice@customer.test desk@help.test "Re: [#$t1] Printer on fire" reply-1@customer.test \
	"In-Reply-To: <$conf_id>" "References: <new-1@customer.test> <$conf_id>"
check_eq "the reply to the confirmation lands in the ticket" "$t1" \
	"$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'reply-1@customer.test'")"
mail alice@customer.test desk@help.test "Re: Printer on fire" reply-2@customer.test \
	"In-Reply-To: <rewritten-by-relay@outlook.test>" "References: <rewritten-by-relay@outlook.test> <$conf_id>"
check_eq "... also when a relay rewrote the Message-ID" "$t1|references" \
	"$(sql "SELECT t.number || '|' || m.thread_rule FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'reply-2@customer.test'")"
check_eq "a follow-up gets no confirmation" "follow-up" "$(autoreply_of reply-1@customer.test)"

# Nothing answers automatic mail, lists, bounces, system or own addresses.
mail alice@customer.test desk@help.test "Out of office" ooo-1@customer.test "Auto-Submitted: auto-replied"
check_eq "an out-of-office mail is stored but not answered" "auto-reply" "$(autoreply_of ooo-1@customer.test)"
mail news@customer.test desk@help.test "Newsletter" list-1@customer.test "List-Id: <news.customer.test>"
check_eq "list mail is not answered" "mailing-list" "$(autoreply_of list-1@customer.test)"
mail bulk@customer.test desk@help.test "Offer" bulk-1@customer.test "Precedence: bulk"
check_eq "bulk mail is not answered" "precedence-bulk" "$(autoreply_of bulk-1@customer.test)"
mail noreply@customer.test desk@help.test "Your invoice" noreply-1@customer.test
check_eq "a noreply sender is not answered" "system-sender" "$(autoreply_of noreply-1@customer.test)"
mail spam@customer.test desk@help.test "Win" spam-1@customer.test "X-Spam-Flag: YES"
check_eq "spam-flagged mail is not answered" "spam" "$(autoreply_of spam-1@customer.test)"
mail ex@customer.test desk@help.test "Exchange" xars-1@customer.test "X-Auto-Response-Suppress: OOF, AutoReply"
check_eq "X-Auto-Response-Suppress is honoured" "x-auto-response-suppress" "$(autoreply_of xars-1@customer.test)"
mail other@customer.test desk@help.test "Looped" loop-1@customer.test "X-Loop: desk@help.test"
check_eq "our own loop header is recognized" "own-loop-header" "$(autoreply_of loop-1@customer.test)"
mail "Agent Smith <agent@agents.test>" desk@help.test "From an agent" agent-1@agents.test
check_eq "agents get no confirmation" "agent" "$(autoreply_of agent-1@agents.test)"

# A permanent bounce of our confirmation holds automatic mail to that
# address back (a bounce naming mail we did not send to it: t_trust).
mail gone@customer.test desk@help.test "Before" gone-0@customer.test
ours=$(sql "SELECT message_id FROM outbox WHERE recipient = 'gone@customer.test' AND kind = 'confirmation'")
f=$work/dsn.eml
printf 'From: MAILER-DAEMON@customer.test\r\nTo: desk@help.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-hold@customer.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.customer.test\r\n\r\nFinal-Recipient: rfc822; gone@customer.test\r\nAction: failed\r\nStatus: 5.1.1\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: desk@help.test\r\nMessage-ID: <%s>\r\n--B--\r\n' "$ours" >"$f"
send --from "" --to desk@help.test --data "@$f" >/dev/null 2>&1
check_eq "a bounce is not answered (it threads as a follow-up of what it bounces)" "bounce|follow-up" \
	"$(sql "SELECT kind || '|' || autoreply FROM messages WHERE message_id = 'dsn-hold@customer.test'")"
mail gone@customer.test desk@help.test "I am back" gone-1@customer.test
check_eq "an address that bounced permanently gets no confirmation" "address-bounced" "$(autoreply_of gone-1@customer.test)"

# Per queue: only authenticated senders (the default) - none can be here.
queue_add strict@help.test
mail forged@customer.test strict@help.test "Unproven" forged-1@customer.test
check_eq "an unauthenticated sender gets no confirmation from an 'authenticated' queue" \
	"sender-not-authenticated" "$(autoreply_of forged-1@customer.test)"
check "... the log line says why" grep -qE "message-id=<forged-1@customer.test> .*confirmation=sender-not-authenticated notified=[0-9]+ " \
	"$SVC_REAL/ticket-milter-$MILTER_PORT.log"
check_eq "... and message show --json" "sender-not-authenticated" \
	"$(ctl message show "$(sql "SELECT id FROM messages WHERE message_id = 'forged-1@customer.test'")" --json | jq -r .confirmation)"
check "... and ticket show" grep -qx "  confirmation: sender-not-authenticated" \
	<<<"$(ctl ticket show "$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'forged-1@customer.test'")")"

# The queue's language picks the template.
queue_add hilfe@help.test --name Hilfe --language de --confirm always
mail hans@customer.test hilfe@help.test "Drucker brennt" de-1@customer.test
check "the German template for a German queue" wait_for 15 bash -c "grep -rqs 'Ticket' '$PF_OUTGOING/new' && grep -rls 'Guten Tag' '$PF_OUTGOING/new' | xargs grep -qi '^X-Original-To: hans@customer.test'"

# The customer's language (Content-Language) beats the queue's.
mail greta@customer.test desk@help.test "Frage" de-2@customer.test "Content-Language: de-AT"
check "Content-Language: de picks the German template in an English queue" wait_for 15 bash -c \
	"grep -rls 'Guten Tag' '$PF_OUTGOING/new' | xargs grep -qi '^X-Original-To: greta@customer.test'"
check_eq "... and the customer's language is remembered" "de" "$(sql "SELECT language FROM contacts WHERE address = 'greta@customer.test'")"

# Rate limit: at most 5 confirmations per address and hour.
for i in 1 2 3 4 5 6 7; do mail flood@customer.test desk@help.test "Flood $i" "flood-$i@customer.test" >/dev/null 2>&1; done
check_eq "5 confirmations per address and hour, then none" "5|rate-limit-address-hour" \
	"$(sql "SELECT count(*) FILTER (WHERE autoreply = 'sent') || '|' || max(autoreply) FILTER (WHERE autoreply <> 'sent') FROM messages WHERE message_id LIKE 'flood-%'")"

# Templates: a bad one is refused with line and name; a good one is used.
printf 'Hello {{customer_name}},\nyour ticket is {{ticket_numbr}}.\n' >"$work/bad.txt"
out=$(ctl template set desk@help.test confirm --text "$work/bad.txt" 2>&1); rc=$?
check_eq "a template with an unknown variable is refused" "1" "$rc"
check "... naming the file, line and variable" grep -qF "$work/bad.txt, line 2: unknown variable \"ticket_numbr\"" <<<"$out"
printf 'Hello {{customer_name}}, ticket {{ticket_number}} is open.\n' >"$work/good.txt"
printf '<p>Hello {{customer_name}}, ticket <b>{{ticket_number}}</b>.</p>\n' >"$work/good.html"
out=$(ctl template set desk@help.test confirmation --text "$work/good.txt" 2>&1); rc=$?
check_eq "an unknown template kind is refused" "1" "$rc"
check "... naming the kinds there are" grep -qF 'unknown template kind "confirmation": use confirm, notify, notice or closed' <<<"$out"
check "a good template is set" ctl template set desk@help.test confirm --text "$work/good.txt" --html "$work/good.html"
check "template show prints it" grep -q "ticket {{ticket_number}} is open" <<<"$(ctl template show desk@help.test confirm)"
mail "Bob <bob2@customer.test>" desk@help.test "Custom" custom-1@customer.test
check "the queue's template is used, as multipart/alternative" wait_for 15 bash -c \
	"grep -rls 'ticket [0-9]* is open' '$PF_OUTGOING/new' | xargs grep -qi 'multipart/alternative'"

# The relay down: the mail waits in the outbox and goes out, once, when it is back.
postfix_down
miltertest -D sock="inet:$MILTER_PORT@127.0.0.1" -D dir="$TM_ROOT/tests/integration/miltertest" -s "$TM_ROOT/tests/integration/miltertest/outbox.lua" >"$work/mt.out" 2>&1
check "miltertest stores a message while the relay is down" grep -q PASS "$work/mt.out"
check "the confirmation waits in the outbox with the reason" wait_for 15 bash -c \
	"'$TM_BUILD/ticketctl' -c '$TM_CONF' outbox list --json | jq -e '.[] | select(.recipient == \"relay-down@customer.test\" and .attempts >= 1 and (.last_error | test(\"refused|connect\"; \"i\")))' >/dev/null"
postfix_up >/dev/null
check "once the relay is back it is sent" wait_for 30 bash -c \
	"[ \"\$(psql -X -At -c \"SELECT status FROM outbox WHERE recipient = 'relay-down@customer.test' AND kind = 'confirmation'\")\" = sent ]"
postfix_queue_wait 10
check_eq "... exactly once" "1" "$(grep -rlsi '^X-Original-To: relay-down@customer.test$' "$PF_OUTGOING/new" | wc -l)"

# Failed mail is visible and can be retried.
sql "UPDATE outbox SET status = 'failed', last_error = 'test: given up' WHERE id = (SELECT min(id) FROM outbox)" >/dev/null
check "outbox --failed lists it with the reason" grep -q "test: given up" <<<"$(ctl outbox list --failed)"
list=$(ctl outbox list)
check "outbox list shows failed mail too, not \"the outbox is empty\"" grep -q " failed .*test: given up" <<<"$list"
check_eq "... after the counts of waiting and failed mail" \
	"$(sql "SELECT count(*) FILTER (WHERE status = 'pending') || ' waiting, ' || count(*) FILTER (WHERE status = 'failed') || ' failed' FROM outbox")" \
	"$(head -n1 <<<"$list")"
check_eq "outbox list --pending leaves it out" "0" "$(ctl outbox list --pending --json | jq '[.[] | select(.last_error == "test: given up")] | length')"
id=$(sql "SELECT min(id) FROM outbox")
check "outbox retry puts it back in line" ctl outbox retry "$id"
check "... and it is sent again" wait_for 15 bash -c \
	"[ \"\$(psql -X -At -c \"SELECT status FROM outbox WHERE id = $id\")\" = sent ]"

# The relay refuses: a 5xx ends it after one attempt, a 4xx is tried
# again; the reason kept is the relay's reply, text and all.
pf_config=${PF_CONFIG:-$SVC_REAL/postfix/etc}
chmod 755 "$work"
printf 'refused@customer.test 550 5.1.1 No such user here\nlater@customer.test 450 4.2.1 Mailbox busy\n' >"$work/refuse"
chmod 644 "$work/refuse"
postconf -c "$pf_config" -e "smtpd_recipient_restrictions=check_recipient_access texthash:$work/refuse"
postfix -c "$pf_config" reload >/dev/null 2>&1
# The senders keep their relay connection open (up to 60 s), and an open
# smtpd session keeps the settings it started with: start them anew.
milter_start "OutboxRetryDelay 1
OutboxPoll 60" || fail "ticket-milter starts again" "see its log"
mail refused@customer.test desk@help.test "Refused" refused-1@customer.test
mail later@customer.test desk@help.test "Later" later-1@customer.test
# outbox_of ADDRESS - status, attempts and error of its confirmation
outbox_of() { sql "SELECT status || '|' || attempts || '|' || coalesce(last_error, '') FROM outbox WHERE recipient = '$1' AND kind = 'confirmation'"; }
check "a 5xx from the relay: given up after one attempt" wait_for 15 bash -c \
	"psql -X -At -c \"SELECT status || attempts FROM outbox WHERE recipient = 'refused@customer.test'\" | grep -qx failed1"
check "... the reason is the relay's whole reply" grep -q '|SMTP to [^ ]*: 550 5.1.1 <refused@customer.test>: Recipient address rejected: No such user here (RCPT failed: 550)$' <<<"$(outbox_of refused@customer.test)"
check "a 4xx from the relay: tried again, still waiting" wait_for 15 bash -c \
	"psql -X -At -c \"SELECT status || ' ' || attempts FROM outbox WHERE recipient = 'later@customer.test'\" | awk '\$1 == \"pending\" && \$2 >= 2 { ok = 1 } END { exit !ok }'"
check "... the reason is the relay's whole reply" grep -q '|SMTP to [^ ]*: 450 4.2.1 <later@customer.test>: Recipient address rejected: Mailbox busy (RCPT failed: 450)$' <<<"$(outbox_of later@customer.test)"
check_eq "... and neither was delivered" "0" \
	"$(grep -rlsiE '^X-Original-To: (refused|later)@customer.test$' "$PF_OUTGOING/new" | wc -l)"
check "outbox list shows the waiting and the failed one, with the reasons" bash -c \
	"'$TM_BUILD/ticketctl' -c '$TM_CONF' outbox list >'$work/list' && grep -q ' failed .*refused@customer.test .*: SMTP to .*550 5.1.1' '$work/list' && grep -q ' pending .*later@customer.test .*: SMTP to .*450 4.2.1' '$work/list'"
postconf -c "$pf_config" -X smtpd_recipient_restrictions
postfix -c "$pf_config" reload >/dev/null 2>&1
sql "UPDATE outbox SET status = 'failed' WHERE recipient = 'later@customer.test'" >/dev/null

# No template for a confirmation at all (deleted in SQL; ticketctl cannot):
# the message is stored, the confirmation fails at once and says why.
sql "CREATE TABLE templates_saved AS SELECT * FROM templates WHERE kind = 'confirm';
	DELETE FROM templates WHERE kind = 'confirm'" >/dev/null
mail notemplate@customer.test desk@help.test "No template" notemplate-1@customer.test
check_eq "a message whose confirmation has no template is stored" "1" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id = 'notemplate-1@customer.test'")"
check "... its confirmation fails after one attempt" wait_for 15 bash -c \
	"psql -X -At -c \"SELECT status || attempts FROM outbox WHERE recipient = 'notemplate@customer.test'\" | grep -qx failed1"
id=$(sql "SELECT id FROM outbox WHERE recipient = 'notemplate@customer.test'")
check "... the reason names the queue and how to mend it" grep -qF \
	"no template for a confirmation from queue <desk@help.test>; add one (\"ticketctl template\"), then \"ticketctl outbox retry $id\"" \
	<<<"$(outbox_of notemplate@customer.test)"
sql "INSERT INTO templates SELECT * FROM templates_saved; DROP TABLE templates_saved" >/dev/null
ctl outbox retry "$id" >/dev/null
check "with the template back, outbox retry sends it" wait_for 15 outgoing_to notemplate@customer.test

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
