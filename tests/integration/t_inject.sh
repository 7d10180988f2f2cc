#!/usr/bin/env bash
# t_inject - control characters in a customer's address (issue 15, Trust).
# gmime keeps a raw CR LF inside a quoted local part of a folded From; the
# stored address then reached libcurl's RCPT TO for the confirmation (an
# SMTP command injection into the OutboxRelay session: with CHUNKING, a
# "BDAT n LAST" line of the attacker's delivers a message of its own),
# smfi_addrcpt() and the To header of a relayed agent answer, and log
# lines. Now: the message is stored as a ticket; the confirmation is not
# sent, the relay adds no such recipient, and the daemon log has one line
# with the address escaped.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-inject.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log
ctl queue add inject@help.test --name Inject --confirm always >/dev/null
ctl agent add agent@inject.test --queue inject@help.test --name "Agent" >/dev/null
milter_start "OutboxRetryDelay 1
InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see $log"; exit 1; }

# raw_mail FILE MSGID FROM-FIELD - a customer's message with this From
# field, given as printf format (\r\n inside it is a folded line)
raw_mail() {
	printf "From: $3\r\nTo: inject@help.test\r\nSubject: inject $2\r\nMessage-ID: <$2@customer.test>\r\n" >"$1"
	printf 'Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nHello.\r\n' >>"$1"
}

# ticket_of MSGID - the ticket number a stored message belongs to
ticket_of() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1@customer.test'"; }

# confirmation_done MSGID - the confirmation's outbox row left 'pending'
confirmation_done() {
	[ "$(sql "SELECT o.status FROM outbox o JOIN messages m ON m.id = o.cause_id
	          WHERE m.message_id = '$1@customer.test' AND o.kind = 'confirmation'")" != pending ]
}

# bob_has TEXT - a file in the victim's mailbox (a real local mailbox) holds TEXT
bob_has() { grep -rqsF "$1" "$PF_MAILDIR/mbox.test/bob"; }

# --- The confirmation: SMTP command injection -----------------------------
# The parser unfolds the field (the folds' CR LF become white space, which
# RFC 5322 makes of a fold); the address still holds white space and is
# refused. Before, gmime kept the raw CR LF and curl sent them: Postfix
# (at OutboxRelay) took " rcpt to:<bob@mbox.test>" after the 501 for the
# first line, and
# " bdat 27 last" then reads the next 27 bytes as a message for bob.
raw_mail "$work/1.eml" inj-1 '"x\r\n RCPT TO:<bob@mbox.test>\r\n BDAT 27 LAST\r\n inj1mark"@customer.test'
send --from mallory@customer.test --to inject@help.test --data "@$work/1.eml" >/dev/null
t1=$(ticket_of inj-1)
check "the message with CR LF in its From address is stored as a ticket" test -n "$t1"
check "its confirmation is dealt with (not left pending)" wait_for 20 confirmation_done inj-1
check_eq "the confirmation is not sent: failed for good, the reason named" \
	"failed|the recipient address has white space or an invisible character: not sent" \
	"$(sql "SELECT o.status || '|' || o.last_error FROM outbox o JOIN messages m ON m.id = o.cause_id
	        WHERE m.message_id = 'inj-1@customer.test' AND o.kind = 'confirmation'")"
sleep 2	# what an injected BDAT would deliver, Postfix delivers at once
check "nothing reaches the victim's mailbox" bash -c "! grep -rqsF inj1mark '$PF_MAILDIR'"
# The agent's notification goes out (gmime encodes the name in its From);
# it is the only outgoing mail about the message.
check "no confirmation in the outgoing maildir: only the agent's notification" wait_for 10 bash -c \
	"[ \"\$(grep -rlsF 'In-Reply-To: <inj-1@customer.test>' '$PF_OUTGOING' | xargs -r grep -h '^X-Original-To:')\" = 'X-Original-To: agent@inject.test' ]"
note=$(grep -rlsF 'In-Reply-To: <inj-1@customer.test>' "$PF_OUTGOING" | head -n1)
check "the notification's header has no line of the attacker's" \
	bash -c "test -n '$note' && ! sed -n '/^\r\?\$/q;p' '$note' | grep -qiE '^ *(rcpt|bdat|inj1mark)'"
check_eq "the daemon log has one line for it, the address escaped" "1" \
	"$(grep -cF 'to <"x rcpt to:<bob@mbox.test> bdat 27 last inj1mark"@customer.test>: the recipient address has white space or an invisible character: not sent (gave up)' "$log")"
check "no log line starts with the injected text" bash -c "! grep -qiE '^ (rcpt|bdat|inj1mark)' '$log'"

# --- A relayed agent answer: smfi_addrcpt() and the To header --------------
reply=$(ctl ticket show "$t1" --json | jq -r .reply_address)
printf 'From: Agent <agent@inject.test>\r\nTo: %s\r\nSubject: Re: inject\r\nMessage-ID: <ag-1@inject.test>\r\n\r\nrelaymark\r\n' \
	"$reply" >"$work/ag.eml"
out=$(swaks --server 127.0.0.1:"$PF_PORT" --from agent@inject.test --to "$reply" --data "@$work/ag.eml" 2>&1)
check "the agent's answer is stored" test "$(sql "SELECT count(*) FROM messages WHERE message_id = 'ag-1@inject.test'")" = 1
check "it is not relayed to the address with CR LF: tempfailed, nothing added" grep -qE '451 4\.3\.0' <<<"$out"
sleep 2
check "no relayed copy with a control character in its recipient or To" \
	bash -c "! grep -rlsF relaymark '$PF_OUTGOING' '$PF_MAILDIR' | grep -q ."
check_eq "the relay's refusal is one log line, the address escaped" "1" \
	"$(grep -cF 'relay: recipient <"x rcpt to:<bob@mbox.test> bdat 27 last inj1mark"@customer.test> refused: it has white space or an invisible character' "$log")"

# --- Encoded-words and a bare CR ------------------------------------------
# gmime decodes no encoded-word inside an addr-spec: the address keeps
# the text, and a CR LF decoded in the display name stays in the name.
raw_mail "$work/2.eml" inj-2 '=?utf-8?q?M=0D=0A_rcpt_to:<bob@mbox.test>?= <"=?utf-8?q?m=0D=0A_bdat_1_last?="@customer.test>'
send --from mallory@customer.test --to inject@help.test --data "@$work/2.eml" >/dev/null
check "encoded-words: stored as a ticket" test -n "$(ticket_of inj-2)"
check_eq "encoded-words: the stored address has no control character" "0" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id = 'inj-2@customer.test' AND from_address ~ '[[:cntrl:]]'")"
# A bare CR inside a quoted local part: what arrives has white space.
raw_mail "$work/3.eml" inj-3 '"x\r RCPT TO:<bob@mbox.test>"@customer.test'
send --from mallory@customer.test --to inject@help.test --data "@$work/3.eml" >/dev/null
check "bare CR: stored as a ticket" test -n "$(ticket_of inj-3)"
check "bare CR: the confirmation is dealt with" wait_for 20 confirmation_done inj-3
check_eq "bare CR: the confirmation is refused, not sent" "failed" \
	"$(sql "SELECT o.status FROM outbox o JOIN messages m ON m.id = o.cause_id
	        WHERE m.message_id = 'inj-3@customer.test' AND o.kind = 'confirmation'")"
check "the milter still takes mail" send --from ivan@customer.test --to inject@help.test --header "Subject: after"
check "no sanitizer or leak report in the milter log" milter_log_clean
