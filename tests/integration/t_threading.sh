#!/usr/bin/env bash
# t_threading - every message ends up in the right ticket, exactly once,
# and nobody writes into a ticket that is not theirs. Conversations are
# replayed through the private Postfix with swaks.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-thread.XXXXXX)
trap 'milter_stop; postconf -c "$PF_CONFIG" -e recipient_delimiter=+ && postfix -c "$PF_CONFIG" reload >/dev/null 2>&1; rm -rf "$work"' EXIT
milter_start || { fail "ticket-milter starts" "see its log"; exit 1; }
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }

# ticket_of MSGID - the number of the ticket holding that message
ticket_of() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
# rule_of MSGID - the rule that threaded it
rule_of() { sql "SELECT thread_rule FROM messages WHERE message_id = '$1'"; }
# count_of MSGID - how many messages carry that Message-ID
count_of() { sql "SELECT count(*) FROM messages WHERE message_id = '$1'"; }

# A customer writes, with a colleague in Cc.
mail "Alice <alice@customer.test>" support@help.test "Printer on fire" first@customer.test \
	"Cc: Carol <carol@customer.test>"
t1=$(ticket_of first@customer.test)
check "a first mail opens a ticket" test -n "$t1"
check_eq "rule: new" "new" "$(rule_of first@customer.test)"

# Gmail-style reply: In-Reply-To and References intact.
mail alice@customer.test support@help.test "Re: Printer on fire" gmail@customer.test \
	"In-Reply-To: <first@customer.test>" "References: <first@customer.test>"
check_eq "Gmail-style reply: same ticket" "$t1" "$(ticket_of gmail@customer.test)"
check_eq "Gmail-style reply: rule in-reply-to" "in-reply-to" "$(rule_of gmail@customer.test)"

# References only, an unknown id first: the known one still threads.
mail alice@customer.test support@help.test "Re: Printer on fire" refs@customer.test \
	"References: <unknown@elsewhere.test> <gmail@customer.test>"
check_eq "References fallback: same ticket" "$t1" "$(ticket_of refs@customer.test)"
check_eq "References fallback: rule references" "references" "$(rule_of refs@customer.test)"

# The ticket's reply address carries a token with a MAC.
reply=$(ctl ticket show "$t1" --json | jq -r .reply_address)
check "the reply address has the form queue+NUMBER-MAC@domain" \
	grep -qE "^support\+$t1-[0-9a-f]{12}@help\.test\$" <<<"$reply"
mail dave@elsewhere.test "$reply" "no headers at all" token@elsewhere.test
check_eq "reply address: same ticket" "$t1" "$(ticket_of token@elsewhere.test)"
check_eq "reply address: rule reply-token" "reply-token" "$(rule_of token@elsewhere.test)"
forged="support+$t1-000000000000@help.test"
mail mallory@evil.test "$forged" "guessing" forged-token@evil.test
check "a forged reply token does not reach the ticket" test "$(ticket_of forged-token@evil.test)" != "$t1"
check_eq "a forged reply token starts a new ticket" "new" "$(rule_of forged-token@evil.test)"

# Subject tag: from a participant it threads, from a stranger it does not.
mail alice@customer.test support@help.test "Re: [#$t1] Printer on fire" tag-alice@customer.test
check_eq "subject tag from the customer: same ticket" "$t1" "$(ticket_of tag-alice@customer.test)"
check_eq "subject tag from the customer: rule subject-tag" "subject-tag" "$(rule_of tag-alice@customer.test)"
mail "Carol <carol@customer.test>" support@help.test "Re: [#$t1] Printer on fire" tag-carol@customer.test
check_eq "reply from the CC'd colleague: same ticket" "$t1" "$(ticket_of tag-carol@customer.test)"
before=$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$t1' AND m.direction = 'in'")
mail mallory@evil.test support@help.test "Re: [#$t1] give me the data" tag-mallory@evil.test
t_m=$(ticket_of tag-mallory@evil.test)
check "a stranger quoting the ticket number does not get in" test "$t_m" != "$t1"
check_eq "the stranger's ticket records the one it named" "$t1" \
	"$(ctl ticket show "$t_m" --json | jq -r .linked_ticket)"
check_eq "rule: new-stranger-tag" "new-stranger-tag" "$(rule_of tag-mallory@evil.test)"
check_eq "the named ticket is unchanged" "$before" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$t1' AND m.direction = 'in'")"

# A forged In-Reply-To naming no known message does nothing.
mail eve@evil.test support@help.test "Re: something" forged-irt@evil.test \
	"In-Reply-To: <never-seen@nowhere.test>" "References: <never-seen@nowhere.test>"
check_eq "a forged In-Reply-To starts a new ticket" "new" "$(rule_of forged-irt@evil.test)"

# "Re:" without any headers is a new ticket with a clean subject.
mail frank@customer.test support@help.test "Re: AW: Question about invoices" re-only@customer.test
check_eq "Re: without headers: new ticket" "new" "$(rule_of re-only@customer.test)"
check_eq "the ticket subject drops the reply prefixes" "Question about invoices" \
	"$(sql "SELECT t.subject FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 're-only@customer.test'")"

# Outlook: no References, only Thread-Index; its first 22 bytes are the conversation.
root=$(head -c 22 /dev/urandom | base64)
mail outlook@customer.test support@help.test "Screen is black" outlook-1@customer.test "Thread-Index: $root"
t_o=$(ticket_of outlook-1@customer.test)
child=$( { printf '%s' "$root" | base64 -d; head -c 5 /dev/urandom; } | base64)
mail outlook@customer.test support@help.test "RE: Screen is black" outlook-2@customer.test "Thread-Index: $child"
check_eq "Outlook reply with Thread-Index only: same ticket" "$t_o" "$(ticket_of outlook-2@customer.test)"
check_eq "Outlook reply: rule thread-index" "thread-index" "$(rule_of outlook-2@customer.test)"

# Auto-replies and bounces are stored in the ticket under their kind.
mail alice@customer.test support@help.test "Out of office" ooo@customer.test \
	"In-Reply-To: <first@customer.test>" "Auto-Submitted: auto-replied"
check_eq "an out-of-office reply lands in the ticket" "$t1" "$(ticket_of ooo@customer.test)"
check_eq "... as kind auto-reply" "auto-reply" "$(sql "SELECT kind FROM messages WHERE message_id = 'ooo@customer.test'")"
f=$work/dsn.eml
cat >"$f" <<'DSN'
From: MAILER-DAEMON@customer.test
To: support@help.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@customer.test>
Date: Sat, 28 Nov 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

The mail could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.test

Final-Recipient: rfc822; gone@customer.test
Action: failed
Status: 5.1.1

--B
Content-Type: text/rfc822-headers

From: support@help.test
To: gone@customer.test
Subject: Re: Printer on fire
Message-ID: <first@customer.test>

--B--
DSN
sed -i 's/$/\r/' "$f"
send --from "" --to support@help.test --data "@$f" >/dev/null 2>&1
check_eq "a bounce threads by the original Message-ID" "$t1" "$(ticket_of dsn-1@customer.test)"
check_eq "... as kind bounce" "bounce" "$(sql "SELECT kind FROM messages WHERE message_id = 'dsn-1@customer.test'")"

# Closed tickets: a reply within ReopenWindow reopens, after it starts anew.
ctl ticket status "$t1" closed >/dev/null
mail alice@customer.test support@help.test "Re: Printer on fire" reopen@customer.test \
	"In-Reply-To: <first@customer.test>"
check_eq "a reply to a recently closed ticket reopens it" "$t1|open" \
	"$(sql "SELECT t.number || '|' || t.status FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'reopen@customer.test'")"
ctl ticket status "$t1" closed >/dev/null
sql "UPDATE tickets SET closed_at = now() - interval '30 days' WHERE number = '$t1'" >/dev/null
mail alice@customer.test support@help.test "Re: Printer on fire" late@customer.test \
	"In-Reply-To: <first@customer.test>"
t_late=$(ticket_of late@customer.test)
check "a reply long after closing starts a new ticket" test "$t_late" != "$t1"
check_eq "... linked to the old one, rule new-after-closed" "$t1|new-after-closed" \
	"$(ctl ticket show "$t_late" --json | jq -r '.linked_ticket + "|" + .messages[0].thread_rule')"
check_eq "... and the old ticket stays closed" "closed" "$(sql "SELECT status FROM tickets WHERE number = '$t1'")"
check "the event log records the status changes" \
	test "$(sql "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$t1' AND e.action = 'status'")" -ge 3

# Exactly once: the same message twice, or to two support addresses.
queue_add help@help.test
mail grace@customer.test support@help.test "Twice" twice@customer.test
mail grace@customer.test support@help.test "Twice" twice@customer.test
check_eq "the same message delivered twice is stored once" "1" "$(count_of twice@customer.test)"
mail grace@customer.test support@help.test,help@help.test "Two queues" two-queues@customer.test
check_eq "one message to two support addresses: one message" "1" "$(count_of two-queues@customer.test)"
check_eq "... in the first queue, the other recorded" "support@help.test|{help@help.test}" \
	"$(sql "SELECT q.address || '|' || m.other_queues::text FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id WHERE m.message_id = 'two-queues@customer.test'")"
BODY="First text." mail grace@customer.test support@help.test "Same id" reused@customer.test
BODY="Other text." mail grace@customer.test support@help.test "Same id" reused@customer.test
check_eq "a reused Message-ID with other content is not merged" "2" "$(count_of reused@customer.test)"
check_eq "... but joins the first one's ticket (t_trust has the attack)" "1" \
	"$(sql "SELECT count(DISTINCT ticket_id) FROM messages WHERE message_id = 'reused@customer.test'")"

# Concurrency: one message on two connections at once; 20 replies at once.
f=$work/race.eml
printf 'From: race@customer.test\r\nTo: support@help.test\r\nSubject: race\r\nMessage-ID: <race@customer.test>\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nrace\r\n' >"$f"
tickets_before=$(sql "SELECT count(*) FROM tickets")
# (wait names its jobs: the milter is a background job of this shell too)
pids=()
for i in 1 2 3 4; do send --from race@customer.test --to support@help.test --data "@$f" >/dev/null 2>&1 & pids+=($!); done
wait "${pids[@]}"
check_eq "one message on four connections at once: stored once" "1" "$(count_of race@customer.test)"
check_eq "... with one ticket" "$((tickets_before + 1))" "$(sql "SELECT count(*) FROM tickets")"
t_r=$(ticket_of race@customer.test)
pids=()
for i in $(seq 1 20); do
	mail race@customer.test support@help.test "Re: race" "race-reply-$i@customer.test" \
		"In-Reply-To: <race@customer.test>" >/dev/null 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
check_eq "20 parallel replies: 20 messages in the ticket" "21" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$t_r' AND m.direction = 'in'")"
check_eq "... and no new ticket" "$((tickets_before + 1))" "$(sql "SELECT count(*) FROM tickets")"

# Attachment content shared by two messages is stored once.
blob=$(head -c 3000 /dev/urandom | base64 -w 76)
for n in 1 2; do
	f=$work/att$n.eml
	{
		printf 'From: heidi@customer.test\r\nTo: support@help.test\r\nSubject: log file %s\r\n' "$n"
		printf 'Message-ID: <att-%s@customer.test>\r\nMIME-Version: 1.0\r\n' "$n"
		printf 'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nSee the log.\r\n'
		printf -- '--XX\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="app.log"\r\n'
		printf 'Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--XX--\r\n' "$(sed 's/$/\r/' <<<"$blob")"
	} >"$f"
	send --from heidi@customer.test --to support@help.test --data "@$f" >/dev/null 2>&1
done
sha=$(printf '%s' "$blob" | base64 -d | sha256sum | cut -d' ' -f1)
check_eq "an attachment in two messages: two attachment rows" "2" "$(sql "SELECT count(*) FROM attachments WHERE sha256 = '$sha'")"
check_eq "... one stored content, the right bytes" "1|3000" "$(sql "SELECT count(*) || '|' || max(length(content)) FROM blobs WHERE sha256 = '$sha'")"
check "ticket show lists the attachment" grep -q "app.log (application/octet-stream, 3000 bytes)" \
	<<<"$(ctl ticket show "$(ticket_of att-1@customer.test)")"
check "ticket show prints the thread with rules" grep -q "\[in-reply-to\]" <<<"$(ctl ticket show "$t1")"
check_eq "ticket list filters by customer" "$t_o" "$(ctl ticket list --json --customer OUTLOOK@customer.test | jq -r '.[0].number')"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean

# Another recipient delimiter: the reply addresses the database makes and
# recognises follow RecipientDelimiter (Postfix's recipient_delimiter).
postconf -c "$PF_CONFIG" -e recipient_delimiter=- && postfix -c "$PF_CONFIG" reload >/dev/null 2>&1
milter_start "RecipientDelimiter -" || fail "ticket-milter starts with RecipientDelimiter -" "see its log"
ctl queue add dash@help.test --name Dash --confirm always >/dev/null
mail "Ida <ida@customer.test>" dash@help.test "Dashes" dash-1@customer.test
t_d=$(ticket_of dash-1@customer.test)
reply=$(ctl ticket show "$t_d" --json | jq -r .reply_address)
check "RecipientDelimiter -: the reply address is queue-NUMBER-MAC@domain" \
	grep -qE "^dash-$t_d-[0-9a-f]{12}@help\.test\$" <<<"$reply"
check "... the confirmation's Reply-To is that address" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: ida@customer.test' '$PF_OUTGOING/new' | xargs -r grep -qi '^Reply-To: .*<$reply>'"
mail ida@customer.test "$reply" "answer by the reply address" dash-2@customer.test "Cc: $reply"
check_eq "... mail to it threads by its token" "$t_d|reply-token" "$(ticket_of dash-2@customer.test)|$(rule_of dash-2@customer.test)"
check "... and, named in Cc, it is not made a participant" test -z \
	"$(sql "SELECT c.address FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id JOIN tickets t ON t.id = p.ticket_id WHERE t.number = '$t_d' AND c.address LIKE 'dash%'")"
milter_stop
check "no sanitizer or leak report in the milter log (RecipientDelimiter -)" milter_log_clean
