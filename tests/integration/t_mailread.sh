#!/usr/bin/env bash
# t_mailread - mail as Gmail, Outlook, forwarders and forgers write it is
# read right on its way through the private Postfix into the tickets:
# a subject split into padded base64 encoded words, an attachment in
# padded base64 chunks, a From without angle brackets, two From headers.
# (Garbage before the header cannot come through SMTP: Postfix writes its
# own Received field on top. test_parser_trust covers it.)
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-mailread.XXXXXX)
pf_etc=$SVC_REAL/postfix/etc
# remote_like - Postfix rewrites the header of local clients (appends
# myorigin to "Jane" and "Doe"); a help desk's mail comes from remote ones
remote_like() {
	postconf -c "$pf_etc" -e 'local_header_rewrite_clients =' && postfix -c "$pf_etc" reload >/dev/null 2>&1
}
# local_again - undo remote_like for the scripts that follow
local_again() {
	postconf -c "$pf_etc" -X local_header_rewrite_clients && postfix -c "$pf_etc" reload >/dev/null 2>&1
}
trap 'local_again; milter_stop; rm -rf "$work"' EXIT
milter_start || { fail "ticket-milter starts" "see var/check/ticket-milter-$MILTER_PORT.log"; exit 1; }

# msg_sql MSGID COLUMN-EXPRESSION - one value of the stored message
msg_sql() { sql "SELECT $2 FROM messages m WHERE m.message_id = '$1'"; }

# ticket_subject MSGID - the subject of the ticket holding that message
ticket_subject() { sql "SELECT t.subject FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }

# ticket_customer MSGID - the customer address of that ticket
ticket_customer() {
	sql "SELECT c.address FROM messages m JOIN tickets t ON t.id = m.ticket_id
	     JOIN contacts c ON c.id = t.customer_id WHERE m.message_id = '$1'"
}

# has_defect MSGID NAME - did the parser record that defect for the message
has_defect() { [ "$(msg_sql "$1" "m.facts->'defects' ? '$2'")" = t ]; }

# 1. Gmail splits a long subject into base64 words; the first ends in
# padding and "ä" (C3 A4) is split between the words. gmime 3.2.13 kept
# only the first word (jstedfast/gmime#133).
crlf >"$work/subject.eml" <<'MSG'
From: Grete <grete@customer.test>
To: support@help.test
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgZ2Fuei4gTcOkeMM=?=
 =?UTF-8?B?pHkgLSBiaXR0ZSBoZWxmZW4=?=
Message-ID: <split-subject@customer.test>
Date: Sat, 28 Nov 2026 12:00:00 +0000

Hello.
MSG
check "split subject accepted" send --from grete@customer.test --to support@help.test --data "@$work/subject.eml"
check_eq "split encoded subject stored whole on the ticket" "Grüße aus ganz. Mäxäy - bitte helfen" \
	"$(ticket_subject split-subject@customer.test)"
check_eq "split encoded subject stored whole on the message" "Grüße aus ganz. Mäxäy - bitte helfen" \
	"$(msg_sql split-subject@customer.test m.subject)"

# 2. An attachment (and the text) in base64 chunks that each end in
# padding: gmime 3.2.13 stopped at the first "=" (#150).
head -c 30000 /dev/urandom >"$work/file.bin"
chunks() {	# FILE SIZE - base64 of FILE, each SIZE bytes encoded alone
	local i n
	n=$(( ($(stat -c %s "$1") + $2 - 1) / $2 ))
	for ((i = 0; i < n; i++)); do
		dd if="$1" bs="$2" skip="$i" count=1 2>/dev/null | base64 -w 76
	done
}
printf 'Dear support, the whole text is here, in chunks.' >"$work/text.txt"
{
	printf 'From: Carl <carl@customer.test>\nTo: support@help.test\nSubject: chunked\n'
	printf 'Message-ID: <chunked@customer.test>\nDate: Sat, 28 Nov 2026 12:00:00 +0000\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b1"\n\n'
	printf -- '--b1\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n'
	chunks "$work/text.txt" 7
	printf -- '--b1\nContent-Type: application/octet-stream; name="data.bin"\n'
	printf 'Content-Disposition: attachment; filename="data.bin"\nContent-Transfer-Encoding: base64\n\n'
	chunks "$work/file.bin" 1000
	printf -- '--b1--\n'
} | crlf >"$work/chunked.eml"
check "chunked message accepted" send --from carl@customer.test --to support@help.test --data "@$work/chunked.eml"
check_eq "chunked attachment stored whole: size" "$(stat -c %s "$work/file.bin")" \
	"$(sql "SELECT a.size FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.message_id = 'chunked@customer.test' AND a.filename = 'data.bin'")"
check_eq "chunked attachment stored whole: sha256" "$(sha256sum <"$work/file.bin" | cut -d' ' -f1)" \
	"$(sql "SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.message_id = 'chunked@customer.test' AND a.filename = 'data.bin'")"
sql "SELECT encode(b.content, 'base64') FROM attachments a JOIN messages m ON m.id = a.msg_id
     JOIN blobs b ON b.sha256 = a.sha256 WHERE m.message_id = 'chunked@customer.test'" | base64 -d >"$work/file.got"
check "chunked attachment stored whole: bytes" cmp "$work/file.bin" "$work/file.got"
check_eq "chunked text stored whole" "$(cat "$work/text.txt")" "$(msg_sql chunked@customer.test m.body_text)"
printf '\r\n' >>"$work/chunked.eml"	# swaks adds a CRLF before the dot
msg_sql chunked@customer.test "encode(m.raw, 'base64')" | base64 -d >"$work/chunked.got"
check "raw bytes of the chunked message unchanged" cmp "$work/chunked.eml" "$work/chunked.got"

# 3. A From without angle brackets: the customer is that address, not the
# envelope sender (a forwarder's), and the defect is recorded. The message
# comes as from a remote client: Postfix leaves its header as it is.
remote_like
crlf >"$work/unbracketed.eml" <<'MSG'
From: Jane Doe jane@customer.test
To: support@help.test
Subject: no brackets
Message-ID: <unbracketed@customer.test>
Date: Sat, 28 Nov 2026 12:00:00 +0000

Hello.
MSG
check "unbracketed From accepted" send --from bounces@forwarder.test --to support@help.test \
	--data "@$work/unbracketed.eml"
check_eq "unbracketed From is the message's From" "jane@customer.test|Jane Doe" \
	"$(msg_sql unbracketed@customer.test "m.from_address || '|' || m.from_name")"
check_eq "unbracketed From is the ticket's customer" "jane@customer.test" \
	"$(ticket_customer unbracketed@customer.test)"
check "unbracketed From recorded as a defect" has_defect unbracketed@customer.test from_unbracketed
local_again

# 4. Two From fields: the first (the one a mail client shows) counts, and
# duplicate_header:from is recorded for the trust checks. Two Subject
# fields too: gmime's own subject is the last one.
crlf >"$work/twofrom.eml" <<'MSG'
From: Boss <boss@customer.test>
From: Other <other@elsewhere.test>
To: support@help.test
Subject: two senders
Subject: a second subject
Message-ID: <two-from@customer.test>
Date: Sat, 28 Nov 2026 12:00:00 +0000

Hello.
MSG
check "two From fields accepted" send --from other@elsewhere.test --to support@help.test \
	--data "@$work/twofrom.eml"
check_eq "two From fields: the first is stored" "boss@customer.test" \
	"$(msg_sql two-from@customer.test m.from_address)"
check_eq "two From fields: the first is the customer" "boss@customer.test" \
	"$(ticket_customer two-from@customer.test)"
check "two From fields recorded as duplicate_header:from" has_defect two-from@customer.test duplicate_header:from
check_eq "two Subject fields: the first is the ticket's" "two senders" "$(ticket_subject two-from@customer.test)"
check "two Subject fields recorded as duplicate_header:subject" has_defect two-from@customer.test duplicate_header:subject
check "a single From records no duplicate" bash -c "[ \"\$(psql -X -q -At -c \"SELECT m.facts->'defects' ? 'duplicate_header:from' FROM messages m WHERE m.message_id = 'split-subject@customer.test'\")\" = f ]"
