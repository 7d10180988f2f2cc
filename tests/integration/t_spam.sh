#!/usr/bin/env bash
# t_spam - the site's spam filter decides (SpamHeader), through the private
# Postfix with README's header_checks line: a message the filter calls spam
# opens a ticket of status spam with no confirmation and no notification,
# later mail to it notifies no one, the agents' #list shows it, #notspam
# and ticketctl ticket status bring a ticket back and notify then, stats
# counts it; a reply
# to a normal ticket is never set aside. The filter is Postfix itself: a
# header_checks rule on ticket-cleanup PREPENDs the verdict for the subject
# "CHEAP PILLS" (Postfix applies header_checks as mail arrives, before the
# milter sees it, as it does for a filter milter's header). Attacks: a
# sender's own "X-Spam-Flag: YES" (README's IGNORE line removes it: an
# ordinary ticket, notified), a sender's "X-Spam-Status: Yes" at a site
# that forgot the IGNORE line (two headers: doubtful, an ordinary ticket),
# SpamHeader unset (the default): the filter's verdict changes nothing; a
# spammer's ticket cannot swallow someone else's mail that threads into
# it; closing spam and #spam with #canned send the spammer nothing.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-spam.XXXXXX)
pf_etc=$SVC_REAL/postfix/etc
# filter_rules LINES - the filter's header_checks on ticket-cleanup, or none
filter_rules() {
	if [ -n "$1" ]; then
		printf '%s\n' "$1" >"$pf_etc/spam-filter.regexp"
		postconf -c "$pf_etc" -P "ticket-cleanup/unix/header_checks=regexp:$pf_etc/spam-filter.regexp"
	else
		postconf -c "$pf_etc" -PX "ticket-cleanup/unix/header_checks" 2>/dev/null
	fi
	postfix -c "$pf_etc" reload >/dev/null 2>&1
}
trap 'milter_stop; filter_rules ""; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl queue add spamdesk@help.test --name "Spam Desk" --confirm always >/dev/null
ctl agent add sam@staff.spam.test --queue spamdesk@help.test --name "Sam Sorter" >/dev/null
ctl agent add tia@staff.spam.test --queue spamdesk@help.test --name "Tia" >/dev/null

# README's line, and the filter's verdict for one subject.
ignore=$(readme_block "spam header_checks" | grep -v '^#')
check "README shows the header_checks line that removes X-Spam-Flag" grep -q '^/^X-Spam-Flag\[\[:blank:\]\]\*:/ *IGNORE$' <<<"$ignore"
filter_rules "$ignore
/^Subject:.*CHEAP PILLS/ PREPEND X-Spam-Flag: YES"
milter_start "InternalHosts 127.0.0.1
SpamHeader x-spam-flag" || { fail "ticket-milter starts" "see its log"; exit 1; }
log=$SVC_REAL/ticket-milter-$MILTER_PORT.log

# number MSGID - the ticket a stored message is in
number() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
status_of() { sql "SELECT status FROM tickets WHERE number = '$1'"; }
# mails_for NUMBER KIND - how many outgoing mails of a kind a ticket queued
mails_for() { sql "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$1' AND o.kind = '$2'"; }
logline() { grep -F "message-id=<$1>" "$log" | tail -n1; }
# agent_mail TO BODY MSGID - an agent's mail from an internal host
agent_mail() {
	printf 'From: Sam Sorter <sam@staff.spam.test>\r\nTo: %s\r\nSubject: Re: your mail\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n' \
		"$1" "$3" "$2" >"$work/$3.eml"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from sam@staff.spam.test --to "$1" --data "@$work/$3.eml"
}

# --- the filter says spam: set aside, nothing sent ---
mail "Spammer <pills@spam-sender.test>" spamdesk@help.test "CHEAP PILLS today" sp-1@spam-sender.test
t1=$(number sp-1@spam-sender.test)
check "the filter's spam is stored" test -n "$t1"
check_eq "... as a ticket of status spam" "spam" "$(status_of "$t1")"
check_eq "... with no confirmation, saying why" "ticket-spam" \
	"$(sql "SELECT autoreply FROM messages WHERE message_id = 'sp-1@spam-sender.test'")"
check_eq "... and no notification" "0" "$(mails_for "$t1" notification)"
check_eq "... the event names the filter's header" "spam filter: X-Spam-Flag says spam" \
	"$(sql "SELECT e.actor || ': ' || (e.detail->>'why') FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE t.number = '$t1' AND e.action = 'status'")"
check "... the log line says spam=spam" grep -q " spam=spam " <<<"$(logline sp-1@spam-sender.test)"
check "ticketctl ticket list --status spam lists it" grep -q "^$t1 " <<<"$(ctl ticket list --status spam)"

# Later mail to it notifies no one.
mail "Spammer <pills@spam-sender.test>" spamdesk@help.test "Re: [#$t1] CHEAP PILLS today" sp-2@spam-sender.test
check_eq "a follow-up to a spam ticket stays in it" "$t1" "$(number sp-2@spam-sender.test)"
check_eq "... and notifies no one" "0" "$(mails_for "$t1" notification)"
check_eq "... the ticket stays spam" "spam" "$(status_of "$t1")"

# Attack: a spammer's ticket holds a Message-ID someone else's mail refers
# to; that mail threads into it, and the agents are told.
mail "Vic Victim <vic@customer.test>" spamdesk@help.test "Re: your offer" sp-victim@customer.test \
	"In-Reply-To: <sp-1@spam-sender.test>"
check_eq "someone else's mail that threads into a spam ticket lands there" "$t1" "$(number sp-victim@customer.test)"
check_eq "... and the agents are told of it (a spammer cannot swallow a thread)" "2" "$(mails_for "$t1" notification)"

# Closing spam sends the spammer nothing, and tells the agents nothing.
mail "Spammer <pills2@spam-sender.test>" spamdesk@help.test "CHEAP PILLS again" sp-close@spam-sender.test
t6=$(number sp-close@spam-sender.test)
ctl ticket status "$t6" closed >/dev/null
check_eq "closing a spam ticket: no closed mail, no notification" "closed 0 0" \
	"$(status_of "$t6") $(mails_for "$t6" closed) $(mails_for "$t6" notification)"

# --- attack: the sender writes the verdict ---
mail "Cora Customer <cora@customer.test>" spamdesk@help.test "My invoice is wrong" sp-forged@customer.test "X-Spam-Flag: YES"
t2=$(number sp-forged@customer.test)
check_eq "a sender's own X-Spam-Flag: YES hides nothing: status new" "new" "$(status_of "$t2")"
check_eq "... the header never reached the milter (README's IGNORE line)" "" \
	"$(stored_raw sp-forged@customer.test | grep -i '^X-Spam-Flag')"
check_eq "... the customer is confirmed" "1" "$(mails_for "$t2" confirmation)"
check_eq "... both agents are notified" "2" "$(mails_for "$t2" notification)"
check "... the log line says spam=absent" grep -q " spam=absent " <<<"$(logline sp-forged@customer.test)"

# The same with a space before the colon, which Postfix takes as that header.
printf 'From: Cora Customer <cora@customer.test>\r\nTo: spamdesk@help.test\r\nSubject: My refund\r\nMessage-ID: <sp-forged-2@customer.test>\r\nX-Spam-Flag : YES\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\nWhere is it?\r\n' >"$work/forged-2.eml"
send --from cora@customer.test --to spamdesk@help.test --data "@$work/forged-2.eml"
check_eq "a sender's \"X-Spam-Flag : YES\" (space before the colon) hides nothing either" "new" \
	"$(status_of "$(number sp-forged-2@customer.test)")"
check_eq "... it never reached the milter" "" "$(stored_raw sp-forged-2@customer.test | grep -i '^X-Spam-Flag')"

# A reply to a normal ticket that the filter calls spam is never set aside.
mail "Cora Customer <cora@customer.test>" spamdesk@help.test "Re: [#$t2] CHEAP PILLS? no, my invoice" sp-reply@customer.test
check_eq "a customer's reply the filter calls spam stays in its ticket" "$t2" "$(number sp-reply@customer.test)"
check_eq "... which stays new" "new" "$(status_of "$t2")"
check_eq "... the agents hear of it" "4" "$(mails_for "$t2" notification)"
check_eq "... the verdict is kept with the message" "spam" \
	"$(sql "SELECT facts->>'spam_verdict' FROM messages WHERE message_id = 'sp-reply@customer.test'")"

# --- the agents see it, and bring it back ---
mail "Nina New <nina@customer.test>" spamdesk@help.test "CHEAP PILLS? no: my order 7781" sp-3@customer.test
t3=$(number sp-3@customer.test)
check_eq "a false positive is set aside too" "spam" "$(status_of "$t3")"
check_eq "ticketctl stats counts the queue's spam" "2" \
	"$(ctl stats --json | jq '.queues[] | select(.queue == "spamdesk@help.test") | .tickets.spam')"
agent_mail spamdesk@help.test "#list" sp-list-1@staff.spam.test
check "the agent's #list answer arrives" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: sam@staff.spam.test\$' '$PF_OUTGOING/new' | xargs -r grep -l 'Set aside as spam' | grep -q ."
listing=$(grep -rlsi '^X-Original-To: sam@staff.spam.test$' "$PF_OUTGOING/new" | xargs -r grep -l 'Set aside as spam' | head -n1)
check "... it lists the spam of the last days with its reply address" \
	grep -q "#$t3 CHEAP PILLS? no: my order 7781" "${listing:-/dev/null}"
reply3=$(ctl ticket show "$t3" --json | jq -r .reply_address)
agent_mail "$reply3" "#notspam" sp-notspam@staff.spam.test
check_eq "#notspam makes it an open ticket" "open" "$(status_of "$t3")"
check_eq "... and notifies the other agent, not the one who said it" "tia@staff.spam.test" \
	"$(sql "SELECT string_agg(o.recipient, ',') FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$t3' AND o.kind = 'notification'")"
check "... telling who said so" grep -q "Not spam, says Sam Sorter" <<<"$(sql "SELECT notice FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE t.number = '$t3' AND o.kind = 'notification'")"
# #spam with a canned answer is refused: nothing goes to a sender of spam.
printf 'Thanks, {{customer_name}}.\n' >"$work/thanks.txt"
ctl canned set spamdesk@help.test thanks --text "$work/thanks.txt" >/dev/null
reply2=$(ctl ticket show "$t2" --json | jq -r .reply_address)
agent_mail "$reply2" "#spam
#canned thanks" sp-spam-canned@staff.spam.test
check_eq "#spam with #canned is refused, nothing done" "new" "$(status_of "$t2")"
check "... the agent is told why" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: sam@staff.spam.test\$' '$PF_OUTGOING/new' | xargs -r grep -l 'send #spam without #canned' | grep -q ."
ctl ticket status "$t1" open >/dev/null
check_eq "ticketctl ticket status NUMBER open brings one back too" "open" "$(status_of "$t1")"
check_eq "... and notifies both agents" "4" "$(mails_for "$t1" notification)"

# --- a site that forgot the IGNORE line: two headers are doubtful ---
milter_stop
filter_rules "/^Subject:/ PREPEND X-Spam-Status: No, score=0.1"
milter_start "InternalHosts 127.0.0.1
SpamHeader X-Spam-Status" || { fail "ticket-milter starts again" "see its log"; exit 1; }
mail "Carl Crook <carl@crook.test>" spamdesk@help.test "Please look at this" sp-doubt@crook.test "X-Spam-Status: Yes, score=99"
t4=$(number sp-doubt@crook.test)
check_eq "a sender's X-Spam-Status: Yes beside the filter's No: status new" "new" "$(status_of "$t4")"
check_eq "... the verdict is doubtful" "doubtful" \
	"$(sql "SELECT facts->>'spam_verdict' FROM messages WHERE message_id = 'sp-doubt@crook.test'")"
check_eq "... the agents are notified" "2" "$(mails_for "$t4" notification)"
check "... the log line says spam=doubtful" grep -q " spam=doubtful " <<<"$(logline sp-doubt@crook.test)"

# --- SpamHeader unset (the default): the filter's verdict changes nothing ---
milter_stop
filter_rules "$ignore
/^Subject:.*CHEAP PILLS/ PREPEND X-Spam-Flag: YES"
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts a third time" "see its log"; exit 1; }
mail "Dora Default <dora@customer.test>" spamdesk@help.test "CHEAP PILLS wanted, seriously" sp-off@customer.test
t5=$(number sp-off@customer.test)
check_eq "without SpamHeader, the filter's verdict changes nothing" "new" "$(status_of "$t5")"
check_eq "... and the log line has no spam field" "" "$(logline sp-off@customer.test | grep -o ' spam=[a-z]*')"

check "the daemon's log holds no sanitizer report" milter_log_clean
