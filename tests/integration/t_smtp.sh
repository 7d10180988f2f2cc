#!/usr/bin/env bash
# t_smtp - support mail through the private Postfix becomes a ticket with the
# exact bytes; other mail passes unchanged; size limit; database down.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-smtp.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
milter_start || { fail "ticket-milter starts" "see var/check/ticket-milter-$MILTER_PORT.log"; exit 1; }

# A message with a folded header, a tab after a colon, an encoded subject,
# a leading dot and trailing blank lines: all must be stored byte for byte.
exact_message support@help.test exact-1@customer.test >"$work/exact.eml"
check "support mail accepted" send --from Renee@Customer.test --to support@help.test --data "@$work/exact.eml"
# swaks ends the data with one more CRLF before the final dot: that is sent too.
printf '\r\n' >>"$work/exact.eml"
stored_raw exact-1@customer.test >"$work/exact.got"
check "stored raw bytes equal the bytes sent" cmp "$work/exact.eml" "$work/exact.got"
json=$("$TM_BUILD/ticketctl" -c "$TM_CONF" ticket list --json)
check_eq "ticket has the decoded subject" "Drucker kaputt — bitte helfen" \
	"$(jq -r '[.[] | select(.customer == "renee@customer.test")][0].subject' <<<"$json")"
check_eq "ticket is in the support queue" "support@help.test" "$(jq -r '.[0].queue' <<<"$json")"
check_eq "envelope and client recorded" "Renee@Customer.test|{support@help.test}|127.0.0.1" \
	"$(sql "SELECT envelope_sender || '|' || envelope_recipients::text || '|' || host(client_ip) FROM messages WHERE message_id = 'exact-1@customer.test'")"
check "MTA copy removed (MtaCopy remove): nothing delivered" \
	bash -c "! grep -rqs 'exact-1@customer.test' '$PF_OUTGOING' '$PF_MAILDIR'"

# Mail for another address passes unchanged and creates nothing.
before=$(sql "SELECT count(*) FROM messages")
crlf >"$work/other.eml" <<'MSG'
Date: Sat, 28 Nov 2026 10:05:00 +0100
From: alice@customer.test
To: bob@mbox.test
Subject: not for the help desk
Message-ID: <other-1@customer.test>

Hello Bob.
MSG
send --from alice@customer.test --to bob@mbox.test --data "@$work/other.eml" >/dev/null 2>&1
check_unchanged "other mail delivered unchanged" "$work/other.eml" other-1@customer.test
check_eq "other mail creates nothing" "$before" "$(sql "SELECT count(*) FROM messages")"

# A reply address (queue+extension) is support mail of that queue.
send --from carol@customer.test --to support+t123-abc@help.test \
	--header "Message-ID: <plus-1@customer.test>" --header "Subject: via plus" >/dev/null 2>&1
check_eq "plus address lands in its queue" "support@help.test" \
	"$(sql "SELECT q.address FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id WHERE m.message_id = 'plus-1@customer.test'")"

# Support and other recipients together: one ticket, the other still gets it.
send --from dave@customer.test --to support@help.test,bob@mbox.test \
	--header "Message-ID: <mixed-1@customer.test>" --header "Subject: mixed" >/dev/null 2>&1
check_eq "mixed recipients: stored once" "1" "$(count_msgid mixed-1@customer.test)"
check "mixed recipients: the other recipient still gets it" \
	wait_for 10 bash -c "grep -rqs 'mixed-1@customer.test' '$PF_MAILDIR/mbox.test/bob/new'"
check "mixed recipients: the support copy is removed" \
	bash -c "! grep -rqs 'mixed-1@customer.test' '$PF_OUTGOING'"

# MtaCopy keep: the MTA delivers its copy, marked with the ticket number.
milter_start "MtaCopy keep"
send --from erin@customer.test --to support@help.test \
	--header "Message-ID: <keep-1@customer.test>" --header "Subject: keep" >/dev/null 2>&1
number=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'keep-1@customer.test'")
check "MtaCopy keep: the copy is delivered with X-Ticket-Number" \
	wait_for 10 bash -c "grep -rqs 'X-Ticket-Number: $number' '$PF_OUTGOING/new'"

# MtaCopy redirect: the copy goes to the archive address instead.
milter_start "MtaCopy redirect bob@mbox.test"
send --from erin@customer.test --to support@help.test \
	--header "Message-ID: <redirect-1@customer.test>" --header "Subject: redirect" >/dev/null 2>&1
check "MtaCopy redirect: the archive address gets the copy" \
	wait_for 10 bash -c "grep -rqs 'redirect-1@customer.test' '$PF_MAILDIR/mbox.test/bob/new'"
check "MtaCopy redirect: the support address does not" \
	bash -c "! grep -rqs 'redirect-1@customer.test' '$PF_OUTGOING'"

# A large message (past 1 MB) goes to the database by COPY, not as one
# query parameter: the stored bytes and both attachments are exact, and
# nothing is left behind in the upload table.
head -c 1500000 /dev/urandom >"$work/big-a.bin"
head -c 900000 /dev/urandom >"$work/big-b.bin"
{
	printf 'Date: Sat, 28 Nov 2026 11:00:00 +0100\r\nFrom: hugo@customer.test\r\nTo: support@help.test\r\nSubject: two files\r\n'
	printf 'Message-ID: <large-1@customer.test>\r\nMIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
	printf 'Content-Type: text/plain\r\n\r\nThe logs.\r\n'
	for f in big-a big-b; do
		printf -- '--b1\r\nContent-Type: application/octet-stream\r\n'
		printf 'Content-Disposition: attachment; filename="%s.bin"\r\n' "$f"
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$work/$f.bin" | sed 's/$/\r/'
	done
	printf -- '--b1--\r\n'
} >"$work/large.eml"
# uploads - rows ever written to ingest_upload (a sequence does not roll back)
uploads() { sql "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM ingest_upload_id_seq"; }
uploads_before=$(uploads)
check "large support message accepted" send --from hugo@customer.test --to support@help.test --data "@$work/large.eml"
stored_raw large-1@customer.test >"$work/large.got"
cp "$work/large.eml" "$work/large.sent"; printf '\r\n' >>"$work/large.sent"
check "large message: stored raw bytes equal the bytes sent" cmp "$work/large.sent" "$work/large.got"
check_eq "large message: both attachments stored, exact" \
	"big-a.bin $(sha256sum <"$work/big-a.bin" | cut -d' ' -f1) 1500000;big-b.bin $(sha256sum <"$work/big-b.bin" | cut -d' ' -f1) 900000" \
	"$(sql "SELECT string_agg(a.filename || ' ' || encode(sha256(b.content), 'hex') || ' ' || length(b.content), ';' ORDER BY a.position)
		FROM messages m JOIN attachments a ON a.msg_id = m.id JOIN blobs b ON b.sha256 = a.sha256
		WHERE m.message_id = 'large-1@customer.test'")"
check_eq "large message: streamed through ingest_upload (COPY)" "$((uploads_before + 1))" "$(uploads)"
check_eq "large message: nothing left in ingest_upload" "0" "$(sql "SELECT count(*) FROM ingest_upload")"
check "large message sent again: recognized as a duplicate" send --from hugo@customer.test --to support@help.test --data "@$work/large.eml"
check_eq "large message: still stored once" "1" "$(count_msgid large-1@customer.test)"

# Past MaximumMessageSize: 552 5.3.4 with a clear text, nothing stored.
milter_start "MaximumMessageSize 10k"
out=$(send --from frank@customer.test --to support@help.test \
	--header "Message-ID: <big-1@customer.test>" --body "$(head -c 30000 /dev/zero | tr '\0' 'x' | fold -w 70)" 2>&1)
check "oversized message refused with 552 5.3.4" grep -q '^<\*\* 552 5.3.4 Message too big for the help desk' <<<"$out"
check_eq "oversized message not stored" "0" "$(count_msgid big-1@customer.test)"

# Database down: the client gets 451 4.3.0 and nothing is lost; a queueing
# sender (Postfix relaying @relay.test) delivers once the database is back.
milter_start
queue_add support@relay.test
pg_down
out=$(send --from gina@customer.test --to support@help.test \
	--header "Message-ID: <down-1@customer.test>" 2>&1)
check "database down: client gets 451 4.3.0" \
	grep -q '^<\*\* 451 4.3.0 Ticket database unavailable' <<<"$out"
swaks --server 127.0.0.1:"$PF_INJECT_PORT" --silent 2 --from gina@customer.test --to support@relay.test \
	--header "Message-Id: <down-2@customer.test>" --header "Subject: queued while down" >/dev/null 2>&1
check "database down: the sending MTA keeps the message queued" \
	wait_for 15 bash -c "grep -q 'down-2@customer.test\|status=deferred.*4.3.0' '$PF_MAILLOG' && grep -q 'status=deferred' '$PF_MAILLOG'"
pg_up >/dev/null
postfix_flush
check "database back: the queued message is stored" \
	wait_for 30 bash -c "[ \"\$(psql -X -At -c \"SELECT count(*) FROM messages WHERE message_id = 'down-2@customer.test'\")\" = 1 ]"
postfix_queue_wait 15
postfix_flush; sleep 1
check_eq "database back: stored exactly once" "1" "$(count_msgid down-2@customer.test)"
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
