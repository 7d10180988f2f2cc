#!/usr/bin/env bash
# t_mime - agents get the message as the customer sent it, and answers
# keep their form, end to end through Postfix into the outgoing Maildir:
# a notification carries the sanitized HTML as text/html, the inline
# image (cid, multipart/related) and the attachment byte for byte;
# NotifyAttachmentLimit lists the rest with how to fetch them (ticketctl
# attachment get), and neither many attachments nor a huge one make the
# notification grow past it; an agent's HTML answer reaches the customer
# as multipart/alternative without its quoted history, with its image and
# attachment; the agents' copy of a note likewise; a forged agent's HTML
# answer is not relayed; #canned in an HTML answer fills both parts.
# InternalHosts 127.0.0.1: agents send from there,
# customers and the forger from 127.0.0.2.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-mime.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
mc() { python3 "$TM_ROOT/tests/lib/mimecheck.py" "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
ctl queue add mime@help.test --name "Help" --confirm never >/dev/null
ctl agent add alice@agents.test --queue mime@help.test --name "Alice Agent" >/dev/null
ctl agent add bea@agents.test --queue mime@help.test --name "Bea" >/dev/null
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see its log"; exit 1; }

# post KIND FROM TO SUBJECT MSGID [EXTRA...] [-- SWAKS-ARGS] - build and send one message
post() {
	local kind=$1 from=$2 to=$3 subject=$4 msgid=$5 extra=() swaks_args=(--local-interface 127.0.0.2)
	shift 5
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
	[ "${1:-}" = "--" ] && { shift; swaks_args=("$@"); }
	mkdir -p "$work/$msgid"
	mc build "$kind" "$work/$msgid.eml" "$from" "$to" "$subject" "$msgid" "$work/$msgid" "${extra[@]}"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "${from##*<}" --to "$to" --data "@$work/$msgid.eml" "${swaks_args[@]}"
}
# delivered ADDRESS PATTERN - the newest mail to ADDRESS that holds PATTERN
delivered() { outgoing_to "$1" | xargs -r grep -l -- "$2" 2>/dev/null | tail -n1; }
# arrived ADDRESS PATTERN - such a mail is there
arrived() { [ -n "$(delivered "$1" "$2")" ]; }

# 1. A customer's HTML mail with an inline image, a PDF and hostile HTML.
post customer "Cust <cust@customer.test>" mime@help.test "Printer error" m-cust-1@customer.test
t=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'm-cust-1@customer.test'")
reply=$(ctl ticket show "$t" --json | jq -r .reply_address)
check "alice is notified" wait_for 20 arrived alice@agents.test 'm-cust-1@customer.test'
n=$(delivered alice@agents.test m-cust-1@customer.test)
if [ -n "$n" ]; then
	mc tree "$n" >"$work/tree"
	check_eq "notification: mixed(alternative(plain, related(html, image)), pdf)" \
		"multipart/mixed|  multipart/alternative|    text/plain|    multipart/related|      text/html|      image/png|  application/pdf" \
		"$(paste -sd'|' "$work/tree")"
	mc parts "$n" >"$work/parts"
	check "the inline image is byte-identical, with its Content-ID" \
		grep -q "^image/png inline logo.png <logo@customer.test> $(sha "$work/m-cust-1@customer.test/logo.png") " "$work/parts"
	check "the PDF is byte-identical" \
		grep -q "^application/pdf attachment report.pdf - $(sha "$work/m-cust-1@customer.test/report.pdf") " "$work/parts"
	mc text "$n" html >"$work/html"
	mc text "$n" plain >"$work/plain"
	check "the HTML alternative has the customer's HTML" grep -q 'HTMLMARK' "$work/html"
	check "... and the cid image reference" grep -q 'src="cid:logo@customer.test"' "$work/html"
	check "... framed by the notification's lines" grep -q 'Reply to this mail to answer the customer' "$work/html"
	# Attack: script, event handlers, remote images and forms reach agents sanitized.
	check "attack: no script, handler, remote image, form or javascript: URL reaches the agent" \
		bash -c "! grep -qiE '<script|onclick|tracker.test|<form|<input|evil.test|javascript:|alert' '$work/html'"
	check "the text part has the customer's text" grep -q 'PLAINMARK' "$work/plain"
	check "the text part lists the attachments" grep -q 'Attachment: report.pdf (application/pdf, 5016 bytes)' "$work/plain"
else
	fail "the notification's parts" "no notification for alice"
fi
check_eq "the notification is recorded without the attachments' bytes" "1" \
	"$(sql "SELECT count(*) FROM messages WHERE direction = 'out' AND ticket_id = (SELECT id FROM tickets WHERE number = '$t') AND envelope_recipients = '{alice@agents.test}' AND size < 8000 AND position('X-Ticket-Attachment: sha256=' in convert_from(raw, 'UTF8')) > 0")"

# 2. An agent's HTML answer (Gmail: alternative, related, attachment, quote).
post answer "Alice Agent <alice@agents.test>" "$reply" "Re: [#$t] Printer error" m-ans-1@agents.test -- --local-interface 127.0.0.1
check "the customer receives the answer" wait_for 20 arrived cust@customer.test ANSWERMARK
c=$(delivered cust@customer.test ANSWERMARK)
if [ -n "$c" ]; then
	check_eq "answer: mixed(alternative(plain, related(html, image)), pdf)" \
		"multipart/mixed|  multipart/alternative|    text/plain|    multipart/related|      text/html|      image/png|  application/pdf" \
		"$(mc tree "$c" | paste -sd'|')"
	mc text "$c" plain >"$work/a-plain"
	mc text "$c" html >"$work/a-html"
	check "the text part is made from the HTML" grep -q 'ANSWERMARK: please install the fix.' "$work/a-plain"
	check "the HTML part keeps the markup" grep -q '<b>ANSWERMARK</b>' "$work/a-html"
	check "the quoted history is gone from the text" bash -c "! grep -q 'QUOTEDHISTORY\|wrote:' '$work/a-plain'"
	check "the quoted history is gone from the HTML" bash -c "! grep -q 'QUOTEDHISTORY\|wrote:\|gmail_quote' '$work/a-html'"
	mc parts "$c" >"$work/a-parts"
	check "the inline image reaches the customer byte-identical" \
		grep -q "^image/png inline shot.png <shot@agents.test> $(sha "$work/m-ans-1@agents.test/shot.png") " "$work/a-parts"
	check "the attachment reaches the customer byte-identical" \
		grep -q "^application/pdf attachment fix.pdf - $(sha "$work/m-ans-1@agents.test/fix.pdf") " "$work/a-parts"
else
	fail "the relayed answer's parts" "nothing delivered"
fi
check_eq "the stored answer and its relayed copy keep HTML and attachments" "in:2:true|out:2:true" \
	"$(sql "SELECT string_agg(m.direction || ':' || (SELECT count(*) FROM attachments a WHERE a.msg_id = m.id) || ':' || (coalesce(m.html, '') LIKE '%ANSWERMARK%'), '|' ORDER BY m.direction) FROM messages m WHERE m.ticket_id = (SELECT id FROM tickets WHERE number = '$t') AND m.kind = 'agent'")"
check "the relayed copy's HTML is without the quote" \
	bash -c "[ \"\$(psql -X -At -c \"SELECT count(*) FROM messages WHERE direction = 'out' AND kind = 'agent' AND html LIKE '%ANSWERMARK%' AND html NOT LIKE '%QUOTEDHISTORY%'\")\" = 1 ]"

# 2b. #canned in an HTML answer: the HTML part gets the canned HTML, or
# the canned text escaped when it has none; the text part is made from it.
printf 'Hello {{customer_name}}, TEXTCANNED.\n' >"$work/greet.txt"
printf '<p>Hello {{customer_name}}, <i>HTMLCANNED</i></p>\n' >"$work/greet.html"
printf 'PLAINCANNED & <b>not markup</b>\nsecond line\n' >"$work/plain.txt"
ctl canned set mime@help.test greet --text "$work/greet.txt" --html "$work/greet.html" >/dev/null
ctl canned set mime@help.test plainonly --text "$work/plain.txt" >/dev/null
post answer "Alice Agent <alice@agents.test>" "$reply" "Re: [#$t] Printer error" m-ans-canned@agents.test \
	"#canned greet" "#canned plainonly" -- --local-interface 127.0.0.1
check "the customer receives the answer with canned answers" wait_for 20 arrived cust@customer.test HTMLCANNED
c=$(delivered cust@customer.test HTMLCANNED)
if [ -n "$c" ]; then
	mc text "$c" plain >"$work/c-plain"
	mc text "$c" html >"$work/c-html"
	check "#canned in HTML: the HTML part has the canned HTML" grep -q 'Hello Cust, <i>HTMLCANNED</i>' "$work/c-html"
	check "... and a canned answer without HTML as escaped text" \
		grep -q 'PLAINCANNED &amp; &lt;b&gt;not markup&lt;/b&gt;<br>' "$work/c-html"
	check "... before the agent's own HTML, without the command lines" bash -c \
		"tr -d '\n' <'$work/c-html' | grep -q 'HTMLCANNED.*PLAINCANNED.*<b>ANSWERMARK</b>' && ! grep -q '#canned' '$work/c-html'"
	check "... the text part, made from that HTML, has both and the answer" bash -c \
		"tr -d '\n' <'$work/c-plain' | grep -q 'Hello Cust, HTMLCANNED.*PLAINCANNED & <b>not markup</b>.*ANSWERMARK'"
else
	fail "the answer with canned answers" "nothing delivered with HTMLCANNED"
fi
check "the stored answer keeps the canned text in its text" grep -q 'Hello Cust, TEXTCANNED.' \
	<<<"$(sql "SELECT reply_text FROM messages WHERE message_id = 'm-ans-canned@agents.test'")"

# 3. A note in HTML: bea's copy carries its HTML (no command line, no
# quote) and its attachment; the customer gets nothing.
before=$(outgoing_to cust@customer.test | wc -l)
post answer "Alice Agent <alice@agents.test>" "$reply" "Re: [#$t] Printer error" m-note-1@agents.test "#note" -- --local-interface 127.0.0.1
check "bea gets the note" wait_for 20 arrived bea@agents.test 'Internal note'
b=$(delivered bea@agents.test 'Internal note')
if [ -n "$b" ]; then
	mc text "$b" html >"$work/n-html"
	check "the note's HTML reaches bea" grep -q '<b>ANSWERMARK</b>' "$work/n-html"
	check "... without #note and the quote" bash -c "! grep -q '#note\|QUOTEDHISTORY' '$work/n-html'"
	check "... with its attachment byte-identical" \
		grep -q "^application/pdf attachment fix.pdf - $(sha "$work/m-note-1@agents.test/fix.pdf") " <(mc parts "$b")
else
	fail "the note's copy" "nothing delivered to bea"
fi
sleep 2
check_eq "the note does not reach the customer" "$before" "$(outgoing_to cust@customer.test | wc -l)"

# 4. Attack: a forged agent's HTML answer (alice's From, not authenticated) is not relayed.
post answer "Alice Agent <alice@agents.test>" "$reply" "Re: [#$t] Printer error" m-forged-1@agents.test
sleep 3
check_eq "attack: a forged agent's HTML answer is stored, flagged, not relayed" "customer|true|$before" \
	"$(sql "SELECT kind || '|' || (facts->>'forged_agent') FROM messages WHERE message_id = 'm-forged-1@agents.test'")|$(outgoing_to cust@customer.test | wc -l)"

# 5. NotifyAttachmentLimit: 10 KB here. The PDF (5 KB) fits, a 20 KB file does not.
milter_start "InternalHosts 127.0.0.1
NotifyAttachmentLimit 10k" || fail "ticket-milter restarts with NotifyAttachmentLimit 10k"
post huge "Cust <cust@customer.test>" mime@help.test "Big file" m-huge-1@customer.test 20000
check "alice is notified of the big file" wait_for 20 arrived alice@agents.test 'm-huge-1@customer.test'
h=$(delivered alice@agents.test m-huge-1@customer.test)
aid=$(sql "SELECT a.id FROM attachments a JOIN messages m ON m.id = a.msg_id WHERE m.message_id = 'm-huge-1@customer.test'")
if [ -n "$h" ]; then
	mc text "$h" plain >"$work/h-plain"
	check "past the limit: the file is listed by name and size, with how to fetch it" \
		grep -q "Attachment: huge.bin (application/octet-stream, 20000 bytes): not attached; ticketctl attachment get $aid -o FILE" "$work/h-plain"
	check "... and why" grep -q '1 attachment(s) of 20000 bytes left out: a notification carries at most 10240 bytes' "$work/h-plain"
	check_eq "... and it is not attached" "" "$(mc parts "$h" | grep -v '^text/')"
	check "attack: a huge attachment keeps the notification small" [ "$(stat -c %s "$h")" -lt 12000 ]
else
	fail "the limited notification" "nothing delivered"
fi
ctl attachment get "$aid" -o "$work/fetched.bin" 2>/dev/null
check_eq "ticketctl attachment get writes the bytes as sent" "$(sha "$work/m-huge-1@customer.test/huge.bin")" "$(sha "$work/fetched.bin" 2>/dev/null)"
check "ticketctl attachment get does not overwrite a file" bash -c "! '$TM_BUILD/ticketctl' -c '$TM_CONF' attachment get $aid -o '$work/fetched.bin' 2>/dev/null"

post many "Cust <cust@customer.test>" mime@help.test "Many files" m-many-1@customer.test 300
check "alice is notified of the many files" wait_for 20 arrived alice@agents.test 'm-many-1@customer.test'
y=$(delivered alice@agents.test m-many-1@customer.test)
if [ -n "$y" ]; then
	carried=$(mc parts "$y" | grep -c '^application/octet-stream')
	check "attack: of 300 attachments only what fits in 10 KB is attached ($carried)" bash -c "[ $carried -ge 1 ] && [ $carried -le 18 ]"
	check "... the rest are counted" grep -q "$((300 - carried)) attachment(s) of $(((300 - carried) * 64)) bytes left out" <(mc text "$y" plain)
	check "... at most 100 named" grep -q '\.\.\. and 200 more attachment(s)' <(mc text "$y" plain)
	check "attack: many attachments keep the notification small" [ "$(stat -c %s "$y")" -lt 40000 ]
else
	fail "the many-files notification" "nothing delivered"
fi

check "the daemon's log has no sanitizer report" milter_log_clean
