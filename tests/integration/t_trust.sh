#!/usr/bin/env bash
# t_trust - what a stranger can know decides where a message is filed,
# never who receives the answers. Through the private Postfix, with a DNS
# server (dnsmasq) so that a customer's domain really passes or fails SPF:
# alice@spf-pass.test sends from 192.0.2.10 (SPF pass, aligned: proven),
# mallory from 198.51.100.7 (nothing proven). Everything runs inside a
# network namespace this script creates, as t_auth does.
#
# Attacks: a forged From with the ticket's subject tag, a known Message-ID
# in In-Reply-To, each with Cc to the attacker (and X-Loop to hide it); a
# message sent again with the same Message-ID and another Date; a forged
# DSN to silence a customer; an out-of-office reply; a flood of follow-ups.
. "$(dirname "$0")/../lib/testlib.sh"
NS=${TM_TRUST_NS:-tm-trust-$$}
. "$TM_ROOT/tests/lib/authns.sh"

authns_enter "$NS" "$0" "${1:-}"

export SVC_DIR=${SVC_DIR:-$TM_ROOT/var/check}/trust-ns
. "$TM_ROOT/tests/lib/env.sh"
work=$SVC_DIR/work
trap 'milter_stop; authns_dns_stop "$work"; env_down' EXIT
env_up || { fail "services start inside the namespace" "env_up failed"; exit 1; }
env_load
mkdir -p "$work" && chmod 755 "$work"
authns_keys "$work" >/dev/null || { fail "DKIM keys made" "opendkim-genkey failed"; exit 1; }
authns_dns_start "$work" || { fail "dnsmasq starts" "see $work/dnsmasq.log"; exit 1; }
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl agent add agent@help.test --queue support@help.test --name "Agnes" >/dev/null
MILTER_CONF="DNSTimeout 1
InternalHosts 127.0.0.1"
milter_start "$MILTER_CONF" || { fail "ticket-milter starts" "see its log"; exit 1; }

# msg FILE FROM SUBJECT MSGID [HEADER...] - a message file, CRLF; body $BODY
msg() {
	local f=$1 from=$2 subject=$3 id=$4 h; shift 4
	{
		printf 'From: %s\r\nTo: support@help.test\r\nSubject: %s\r\nMessage-ID: <%s>\r\n' "$from" "$subject" "$id"
		printf 'Date: %s\r\n' "${DATE:-Sat, 28 Nov 2026 12:00:00 +0000}"
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf '\r\n%s\r\n' "${BODY:-Hello.}"
	} >"$f"
}
# from_ip IP MAILFROM TO FILE - deliver through Postfix from that client address
from_ip() {
	swaks --server 127.0.0.1:"$PF_PORT" --local-interface "$1" --ehlo mx.client.test \
		--from "$2" --to "$3" --data "@$4" --silent 2 </dev/null >/dev/null 2>&1
}
# alice ID SUBJECT [HEADER...] - the customer, proven by SPF
alice() { local id=$1 s=$2; shift 2; msg "$work/$id.eml" "Alice <alice@spf-pass.test>" "$s" "$id@spf-pass.test" "$@"; from_ip 192.0.2.10 alice@spf-pass.test support@help.test "$work/$id.eml"; }
# stranger ID FROM SUBJECT [HEADER...] - a message from 198.51.100.7, envelope mallory@evil.test
stranger() { local id=$1 from=$2 s=$3; shift 3; msg "$work/$id.eml" "$from" "$s" "$id@evil.test" "$@"; from_ip 198.51.100.7 mallory@evil.test support@help.test "$work/$id.eml"; }
# of MSGID COLUMN-EXPRESSION - a value of the stored message
of() { sql "SELECT $2 FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1' ORDER BY m.id LIMIT 1"; }
# participant T ADDRESS - does ADDRESS take part in ticket number T
participant() {
	[ "$(sql "SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id JOIN tickets t ON t.id = p.ticket_id WHERE t.number = '$1' AND c.address = '$2'")" = 1 ]
}
# outsider T ADDRESS - ADDRESS does not take part in ticket number T
outsider() { ! participant "$@"; }
# notified MSGID - how many agent notifications that message caused
notified() { sql "SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = '$1' AND o.kind = 'notification'"; }

# --- the customer's ticket ---
alice a1 "Printer on fire"
t=$(of a1@spf-pass.test t.number)
check "the customer's first mail opens a ticket" test -n "$t"
check_eq "the customer is proven (SPF aligned)" "pass" "$(of a1@spf-pass.test "auth->'spf'->>'result'")"

# --- a forged From with the subject tag, Cc to the attacker, X-Loop to hide ---
stranger m1 "Alice <alice@spf-pass.test>" "Re: [#$t] Printer on fire" \
	"Cc: mallory@evil.test" "X-Loop: support@help.test"
check_eq "a forged From with the ticket's tag still threads into it" "$t|subject-tag" "$(of m1@evil.test "t.number || '|' || m.thread_rule")"
check_eq "... marked unproven, asking to add the attacker" 'true|["mallory@evil.test"]' \
	"$(of m1@evil.test "(m.facts->>'unproven') || '|' || (m.facts->'asks_to_add')::text")"
check "... the attacker does not take part" outsider "$t" mallory@evil.test
check_eq "X-Loop from outside does not hide it from the agents" 1 "$(notified m1@evil.test)"
check "... whose notification names who asks to be added" \
	grep -q "unproven sender, who asks to add mallory@evil.test" <<<"$(sql "SELECT o.notice FROM outbox o JOIN messages m ON m.id = o.cause_id WHERE m.message_id = 'm1@evil.test'")"

# --- agent commands at the top of a stranger's follow-up steer nothing ---
before=$(sql "SELECT status || '|' || coalesce(assignee, '-') FROM tickets WHERE number = '$t'")
BODY=$'#close\r\n#assign mallory@evil.test\r\n\r\nClose it and give it to me.' \
	stranger cmd1 "Alice <alice@spf-pass.test>" "Re: [#$t] Printer on fire"
check_eq "a stranger's #close and #assign are filed with the ticket" "$t|customer" "$(of cmd1@evil.test "t.number || '|' || m.kind")"
check_eq "... and change neither its status nor its assignee" "$before" \
	"$(sql "SELECT status || '|' || coalesce(assignee, '-') FROM tickets WHERE number = '$t'")"

check "ticket show flags it, naming whom it asks to add" \
	grep -q "ASKS TO ADD: mallory@evil.test" <<<"$(ctl ticket show "$t")"
check_eq "message show --json lists the flags" '["unproven","asks-to-add"]' \
	"$(ctl message show "$(of m1@evil.test m.id)" --json | jq -c .flags)"

# --- a known Message-ID in In-Reply-To, Cc to an accomplice ---
stranger m2 "Mallory <mallory@evil.test>" "Re: Printer on fire" \
	"In-Reply-To: <a1@spf-pass.test>" "Cc: eve@evil.test"
check_eq "a known Message-ID threads a stranger's message" "$t|in-reply-to" "$(of m2@evil.test "t.number || '|' || m.thread_rule")"
check_eq "... unproven" "true" "$(of m2@evil.test "m.facts->>'unproven'")"
check "... and adds nobody" outsider "$t" eve@evil.test

# --- the proven customer adds a colleague ---
alice a2 "Re: Printer on fire" "In-Reply-To: <a1@spf-pass.test>" "Cc: Bob <bob@spf-pass.test>"
check "a proven participant's Cc takes part" participant "$t" bob@spf-pass.test
check_eq "... and the message is not marked unproven" "" "$(of a2@spf-pass.test "m.facts->>'unproven'")"

# --- the agent answers: the customer and Bob receive it, the attackers do not ---
reply=$(ctl ticket show "$t" --json | jq -r .reply_address)
BODY="We are on it." msg "$work/ag1.eml" "Agnes <agent@help.test>" "Re: [#$t] Printer on fire" ag1@help.test
sed -i "s/^To: .*/To: $reply\r/" "$work/ag1.eml"
swaks --server 127.0.0.1:"$PF_PORT" --from agent@help.test --to "$reply" \
	--data "@$work/ag1.eml" --silent 2 </dev/null >/dev/null 2>&1
check "the customer receives the agent's answer" wait_for 15 bash -c "grep -rqsi '^X-Original-To: alice@spf-pass.test' '$PF_OUTGOING/new'"
check "... and so does the proven colleague" wait_for 10 bash -c "grep -rqsi '^X-Original-To: bob@spf-pass.test' '$PF_OUTGOING/new'"
check "the attackers receive nothing" bash -c "! grep -rqsiE '^X-Original-To: (mallory|eve)@evil.test' '$PF_OUTGOING/new'"

# --- ticketctl adds the one the agents decide to add ---
ctl ticket cc "$t" add eve@evil.test >/dev/null 2>&1
check "ticketctl ticket cc adds a participant" participant "$t" eve@evil.test
ctl ticket cc "$t" remove eve@evil.test >/dev/null 2>&1
check "... and removes one" outsider "$t" eve@evil.test
check "ticket show lists the change among the events" grep -qE \
	'^  .*  ticketctl  participant  \{"add": "eve@evil.test", "role": "cc"\}$' <<<"$(ctl ticket show "$t" | sed -n '/^Events:$/,$p')"

# --- a message sent again with the same Message-ID and another Date ---
DATE="Sat, 28 Nov 2026 14:00:00 +0000" alice r1 "Invoice question"
tr1=$(of r1@spf-pass.test t.number)
tickets_before=$(sql "SELECT count(*) FROM tickets")
DATE="Sat, 28 Nov 2026 14:05:00 +0000" alice r1 "Invoice question"
check_eq "a resend with a new Date is stored as a second message" 2 "$(sql "SELECT count(*) FROM messages WHERE message_id = 'r1@spf-pass.test'")"
check_eq "... in the first message's ticket, opening none" "$tickets_before|$tr1" \
	"$(sql "SELECT count(*) FROM tickets")|$(sql "SELECT string_agg(DISTINCT t.number, ',') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'r1@spf-pass.test'")"
check_eq "... flagged reused_message_id" "true|reused-message-id" \
	"$(sql "SELECT (facts->>'reused_message_id') || '|' || thread_rule FROM messages WHERE message_id = 'r1@spf-pass.test' ORDER BY id DESC LIMIT 1")"
alice r2 "Re: Invoice question" "In-Reply-To: <r1@spf-pass.test>"
check_eq "a reply to that Message-ID lands in the first ticket" "$tr1" "$(of r2@spf-pass.test t.number)"

# --- two MX hosts whose content filters disagree: still one message ---
alice x1 "Spam scores" "X-Spam-Status: No, score=0.1" "X-Virus-Scanned: mx1"
alice x1 "Spam scores" "X-Spam-Status: Yes, score=6.0" "X-Spam-Flag: YES"
check_eq "the same mail with other X-Spam-* fields is stored once" 1 "$(sql "SELECT count(*) FROM messages WHERE message_id = 'x1@spf-pass.test'")"

# --- a forged DSN cannot silence the customer; a real bounce of our mail does ---
# dsn ID ORIGINAL-MESSAGE-ID - a delivery failure report for alice@spf-pass.test
dsn() {
	{
		printf 'From: MAILER-DAEMON@evil.test\nTo: support@help.test\nSubject: Undelivered Mail Returned to Sender\n'
		printf 'Message-ID: <%s>\nDate: Sat, 28 Nov 2026 12:00:00 +0000\nMIME-Version: 1.0\n' "$1"
		printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
		printf -- '--B\nContent-Type: text/plain\n\nThe mail could not be delivered.\n\n'
		printf -- '--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.evil.test\n\n'
		printf 'Final-Recipient: rfc822; alice@spf-pass.test\nAction: failed\nStatus: 5.1.1\n\n'
		printf -- '--B\nContent-Type: text/rfc822-headers\n\nFrom: support@help.test\nTo: alice@spf-pass.test\n'
		printf 'Subject: Your request\nMessage-ID: <%s>\n\n--B--\n' "$2"
	} | sed 's/$/\r/' >"$work/$1.eml"
	from_ip 198.51.100.7 "" support@help.test "$work/$1.eml"
}
dsn forged-dsn@evil.test never-sent-by-us@help.test
check_eq "a bounce stored" "bounce" "$(of forged-dsn@evil.test m.kind)"
check_eq "a forged DSN does not suppress the customer's address" "" \
	"$(sql "SELECT bounced_at FROM contacts WHERE address = 'alice@spf-pass.test'")"
ours=$(sql "SELECT message_id FROM outbox WHERE recipient = 'alice@spf-pass.test' AND kind = 'confirmation' ORDER BY id LIMIT 1")
check "the customer got a confirmation" test -n "$ours"
dsn real-dsn@evil.test "$ours"
check_eq "a bounce of mail we sent to that address suppresses it" "t" \
	"$(sql "SELECT bounced_at IS NOT NULL FROM contacts WHERE address = 'alice@spf-pass.test'")"
check_eq "... and the agents are not told of our own mail's bounce" 0 "$(notified real-dsn@evil.test)"

# --- our own mail coming back: our X-Loop and our Message-ID ---
stranger loop1 "Help Desk <support@help.test>" "Re: Your request" "X-Loop: support@help.test" "In-Reply-To: <$ours>"
check_eq "our own mail coming back (our X-Loop, our Message-ID) notifies nobody" "stored|0" \
	"$(of loop1@evil.test "'stored'")|$(notified loop1@evil.test)"

# --- an out-of-office reply without Auto-Submitted gets no confirmation ---
msg "$work/ooo.eml" "Dan <dan@spf-pass.test>" "Out of Office: Printer" ooo1@spf-pass.test
from_ip 192.0.2.10 dan@spf-pass.test support@help.test "$work/ooo.eml"
check_eq "an out-of-office reply (subject only) gets no confirmation" "auto-reply|0" \
	"$(of ooo1@spf-pass.test m.autoreply)|$(sql "SELECT count(*) FROM outbox WHERE recipient = 'dan@spf-pass.test'")"
check_eq "... but the agents see it" 1 "$(notified ooo1@spf-pass.test)"

# --- AutoMailPerTicketHour bounds the notifications of one ticket ---
milter_start "$MILTER_CONF
AutoMailPerTicketHour 3" || fail "ticket-milter restarts" "see its log"
alice f0 "Flood"
tf=$(of f0@spf-pass.test t.number)
for i in 1 2 3 4 5 6; do stranger "f$i" "Mallory <mallory@evil.test>" "Re: Flood" "In-Reply-To: <f0@spf-pass.test>"; done
check_eq "a flood of follow-ups is stored whole" 7 "$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.number = '$tf' AND m.direction = 'in'")"
check_eq "... but at most AutoMailPerTicketHour mails go out for the ticket" 3 \
	"$(sql "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$tf'")"

check "no sanitizer or leak report in the milter log" milter_log_clean
