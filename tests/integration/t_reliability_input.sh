#!/usr/bin/env bash
# t_reliability_input - hostile input through SMTP and a full spool disk.
# Each case has a defined outcome, and the daemon must still take mail
# afterwards:
#   over Postfix's message_size_limit   552 5.3.4 from Postfix, nothing stored
#   10,000 recipients                   Postfix takes 1000 (smtpd_recipient_limit),
#                                       452 4.5.3 for the rest, then 421 and
#                                       hangs up: nothing stored; 1000 in one
#                                       transaction are stored once
#   100,000 header fields               all reach the milter (Postfix has no
#                                       count limit): stored, bound "headers" noted
#   1,000-deep multipart                stored, bound "depth" noted
#   NUL bytes                           body kept byte for byte; a header value
#                                       ends at its first NUL (the milter protocol
#                                       passes header values as C strings)
#   8-bit, invalid UTF-8 headers        stored, text made valid UTF-8, raw kept
#   SMTPUTF8 addresses                  stored with the UTF-8 addresses
#   no Message-ID, Date, From           stored; the same bytes again are the same
#                                       message (content digest)
#   spool disk full                     451 4.3.0 "... (local error) ...", the
#                                       reason in the log, nothing stored
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
. "$TM_ROOT/tests/lib/reliability.sh"
work=$(mktemp -d /tmp/tm-rel-input.XXXXXX)
spool=$SVC_REAL/smallspool
trap 'milter_stop; mountpoint -q "$spool" && umount "$spool"; rm -rf "$work"' EXIT
milter_start "VerifySenders no" || { fail "ticket-milter starts" "see its log"; exit 1; }
run=$$

# smtpc ARGS - the load client, through the Postfix with the milter
smtpc() { python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$PF_PORT" "$@"; }
# stored MSGID - how many messages carry that Message-ID
stored() { sql "SELECT count(*) FROM messages WHERE message_id = '$1'"; }
# reply_of FILE - the final reply code smtpc wrote for its one message
reply_of() { awk '{ print $3 }' "$1"; }

# gen - write the hostile messages into $work (CRLF, some with raw bytes)
python3 - "$work" "$run" <<'PY'
import sys
d, run = sys.argv[1], sys.argv[2]
def w(name, head, body=b"Hello.\r\n"):
    open("%s/%s.eml" % (d, name), "wb").write(head + b"\r\n" + body)
def base(subject, msgid):
    return (b"From: h@customer.test\r\nTo: support@help.test\r\n"
            b"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nSubject: %s\r\nMessage-ID: <%s-%s@rel.test>\r\n"
            % (subject, msgid, run.encode()))
w("big", base(b"big", b"big"), (b"x" * 76 + b"\r\n") * 150000)
w("headers", base(b"many headers", b"headers")
  + b"".join(b"X-Filler-%d: value %d\r\n" % (i, i) for i in range(100000)))
depth = 1000
body = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n" % (i, i + 1)
                for i in range(depth))
body += b"--b%d\r\nContent-Type: text/plain\r\n\r\ninnermost\r\n--b%d--\r\n" % (depth, depth)
body += b"".join(b"--b%d--\r\n" % i for i in range(depth - 1, -1, -1))
w("deep", base(b"deep", b"deep") + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n", body)
w("nul", base(b"nul\x00bytes", b"nul"), b"before\x00after\r\nline two \x00\x00\r\n")
w("8bit", b"From: Ren\xe9e M\xfcller <renee@customer.test>\r\nTo: support@help.test\r\n"
  b"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nSubject: caf\xc3\xa9 \xc3\x28 broken \xff\xfe\r\n"
  b"Message-ID: <8bit-%s@rel.test>\r\nX-Junk: \x80\x81\x82\r\n" % run.encode(), b"Latin-1 body: \xe9\xe8\r\n")
w("utf8", ("From: Jösé <jösé@exämple.test>\r\nTo: support@help.test\r\n"
           "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nSubject: ünïcödé\r\n"
           "Message-ID: <utf8-%s@exämple.test>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n" % run).encode(), "Grüße\r\n".encode())
w("bare", b"To: support@help.test\r\nSubject: bare %s\r\n" % run.encode(), b"No Message-ID, no Date, no From.\r\n")
w("small", base(b"small", b"small"))
w("spooled", base(b"spooled", b"spooled"), (b"y" * 76 + b"\r\n") * 2000)
w("rcpts", base(b"1000 recipients", b"rcpts"))
PY

# Over Postfix's size limit (message_size_limit, 10 MB by default).
smtpc --codes "$work/big.code" "$work/big.eml" >/dev/null
check_eq "over the size limit: Postfix answers 552" "552" "$(reply_of "$work/big.code")"
check_eq "over the size limit: nothing stored" "0" "$(stored "big-$run@rel.test")"

# 10,000 recipients, sent blindly, and 1000 in one transaction.
out=$(python3 - "$PF_PORT" "$run" <<'PY'
import collections, smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=120)
s.ehlo()
s.mail("many@customer.test")
codes = collections.Counter()
try:
    for i in range(10000):
        code, _ = s.rcpt("support@help.test" if i == 0 else "user%d@discard.test" % i)
        codes[code] += 1
    code, _ = s.data(b"Subject: 10000\r\nMessage-ID: <rcpt10k-%s@rel.test>\r\n\r\nhi\r\n" % sys.argv[2].encode())
    codes["data %d" % code] += 1
except smtplib.SMTPServerDisconnected:
    codes["hung up"] += 1
print(" ".join("%s=%d" % (k, v) for k, v in sorted(codes.items(), key=lambda kv: str(kv[0]))))
PY
)
echo "  10,000 recipients: $out"
check_eq "10,000 recipients: 1000 taken, 1020 refused 452, then 421 and the server hangs up" \
	"250=1000 421=1 452=1020 hung up=1" "$out"
check_eq "10,000 recipients: nothing stored" "0" "$(stored "rcpt10k-$run@rel.test")"
rcpts=support@help.test$(printf ',user%d@discard.test' $(seq 1 999))
smtpc --to "$rcpts" --codes "$work/rcpts.code" "$work/rcpts.eml" >/dev/null
check_eq "1000 recipients in one transaction: accepted" "250" "$(reply_of "$work/rcpts.code")"
check_eq "1000 recipients: stored once, with every envelope recipient" "1|1000" \
	"$(sql "SELECT count(*) || '|' || max(cardinality(envelope_recipients)) FROM messages WHERE message_id = 'rcpts-$run@rel.test'")"
check "1000 recipients: the daemon still takes mail" milter_alive

# 100,000 header fields: Postfix passes them all; the parser stops at its bound.
smtpc --codes "$work/headers.code" "$work/headers.eml" >/dev/null
check_eq "100,000 headers: accepted" "250" "$(reply_of "$work/headers.code")"
check_eq "100,000 headers: stored whole, the header bound noted" "$(stat -c %s "$work/headers.eml")|[\"headers\"]" \
	"$(sql "SELECT length(raw) || '|' || (facts->'bounds_hit')::text FROM messages WHERE message_id = 'headers-$run@rel.test'")"

# 1,000-deep multipart.
smtpc --codes "$work/deep.code" "$work/deep.eml" >/dev/null
check_eq "1,000-deep multipart: accepted" "250" "$(reply_of "$work/deep.code")"
check_eq "1,000-deep multipart: stored, the depth bound noted" "1|[\"depth\"]" \
	"$(sql "SELECT count(*) || '|' || max((facts->'bounds_hit')::text) FROM messages WHERE message_id = 'deep-$run@rel.test'")"

# NUL bytes in the body and in a header.
smtpc --codes "$work/nul.code" "$work/nul.eml" >/dev/null
check_eq "NUL bytes: accepted" "250" "$(reply_of "$work/nul.code")"
check_eq "NUL bytes: the body's NULs are stored" "3" \
	"$(sql "SELECT count(*) FROM messages m, generate_series(0, length(m.raw) - 1) i
		WHERE m.message_id = 'nul-$run@rel.test' AND get_byte(m.raw, i) = 0")"
check_eq "NUL bytes: a header value ends at its NUL" "nul" \
	"$(sql "SELECT subject FROM messages WHERE message_id = 'nul-$run@rel.test'")"

# 8-bit and invalid UTF-8 in header fields.
smtpc --codes "$work/8bit.code" "$work/8bit.eml" >/dev/null
check_eq "8-bit headers: accepted" "250" "$(reply_of "$work/8bit.code")"
check_eq "8-bit headers: stored byte for byte" "$(stat -c %s "$work/8bit.eml")" \
	"$(sql "SELECT length(raw) FROM messages WHERE message_id = '8bit-$run@rel.test'")"
check "8-bit headers: the subject is valid UTF-8 text" \
	test -n "$(sql "SELECT subject FROM messages WHERE message_id = '8bit-$run@rel.test' AND subject LIKE 'caf%broken%'")"

# SMTPUTF8 addresses.
smtpc --smtputf8 --from "jösé@exämple.test" --codes "$work/utf8.code" "$work/utf8.eml" >/dev/null
check_eq "SMTPUTF8: accepted" "250" "$(reply_of "$work/utf8.code")"
check_eq "SMTPUTF8: the UTF-8 addresses are stored" "jösé@exämple.test|jösé@exämple.test" \
	"$(sql "SELECT envelope_sender || '|' || from_address FROM messages WHERE message_id = 'utf8-$run@exämple.test'")"

# No Message-ID, Date or From. From 127.0.0.1 Postfix adds them
# (local_header_rewrite_clients); from another address it does not.
smtpc --source 127.0.0.2 --codes "$work/bare.code" "$work/bare.eml" >/dev/null
check_eq "no Message-ID, Date or From: accepted" "250" "$(reply_of "$work/bare.code")"
check_eq "no Message-ID, Date or From: stored without them" "1|||" \
	"$(sql "SELECT count(*) || '|' || coalesce(max(message_id), '') || '|' || coalesce(max(from_address), '') || '|' || coalesce(max(sent_at)::text, '') FROM messages WHERE subject = 'bare $run'")"
smtpc --source 127.0.0.2 --codes "$work/bare.code" "$work/bare.eml" >/dev/null
check_eq "no Message-ID: the same bytes again are recognized, not stored twice" "1" \
	"$(sql "SELECT count(*) FROM messages WHERE subject = 'bare $run'")"
check "after the hostile input the daemon still takes mail" milter_alive

# The spool disk full: a small tmpfs as TemporaryDirectory, filled up.
mkdir -p "$spool"
if mount -t tmpfs -o size=256k,mode=0700 tm-spool "$spool" 2>/dev/null; then
	milter_start "VerifySenders no
BodyMemoryLimit 16k
TemporaryDirectory $spool"
	dd if=/dev/zero of="$spool/filler" bs=1k count=256 2>/dev/null
	rows_before=$(sql "SELECT count(*) FROM messages")
	out=$(send --from h@customer.test --to support@help.test --data "@$work/spooled.eml" 2>&1)
	check "spool full: a message past BodyMemoryLimit gets 451 4.3.0 with a clear text" \
		grep -q '^<\*\* 451 4.3.0 Help desk cannot take the message now (local error)' <<<"$out"
	check "spool full: the log says why" \
		grep -q "cannot write the temporary file: No space left on device" "$SVC_REAL/ticket-milter-$MILTER_PORT.log"
	check_eq "spool full: nothing stored" "$rows_before" "$(sql "SELECT count(*) FROM messages")"
	smtpc --codes "$work/small.code" "$work/small.eml" >/dev/null
	check_eq "spool full: a message within BodyMemoryLimit is still stored" "250|1" \
		"$(reply_of "$work/small.code")|$(stored "small-$run@rel.test")"
	rm -f "$spool/filler"
	smtpc --codes "$work/spooled.code" "$work/spooled.eml" >/dev/null
	check_eq "spool free again: the retried message is stored once, whole" "1|$(stat -c %s "$work/spooled.eml")" \
		"$(sql "SELECT count(*) || '|' || max(length(raw)) FROM messages WHERE message_id = 'spooled-$run@rel.test'")"
	check_eq "spool: no temporary file is left behind" "" "$(ls -A "$spool")"
	milter_stop
	umount "$spool"
else
	skip "spool full" "cannot mount a tmpfs here"
fi
check_eq "no stored message is corrupt (size = bytes stored)" "0" \
	"$(sql "SELECT count(*) FROM messages WHERE size <> length(raw)")"
milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
