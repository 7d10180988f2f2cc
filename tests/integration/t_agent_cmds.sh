#!/usr/bin/env bash
# t_agent_cmds - an agent works a ticket with nothing but a mail client,
# through the private Postfix: who is notified (ticketctl agent set
# --notify, the assignee), #cc add and remove, #canned (ticketctl canned),
# #merge and where the old reply address leads, #spam and #notspam, a bad
# command answered with the notice template and nothing done. Attacks:
# the same commands from a stranger, from a forged agent (From the agent,
# not authenticated: 127.0.0.2 is not an InternalHost), #merge into
# another queue's ticket, and #cc add from a customer.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
work=$(mktemp -d /tmp/tm-cmds.XXXXXX)
trap 'milter_stop; rm -rf "$work"' EXIT
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }
ctl queue add desk@cmds.test --name "Desk" --confirm never >/dev/null
ctl queue add elsewhere@cmds.test --name "Elsewhere" --confirm never >/dev/null
ctl agent add ann@staff.cmds.test --queue desk@cmds.test --name "Ann Agent" >/dev/null
ctl agent add bob@staff.cmds.test --queue desk@cmds.test --name "Bob" >/dev/null
ctl agent add carl@staff.cmds.test --queue desk@cmds.test --name "Carl" >/dev/null
ctl agent add olga@staff.cmds.test --queue elsewhere@cmds.test --name "Olga" >/dev/null
milter_start "InternalHosts 127.0.0.1" || { fail "ticket-milter starts" "see its log"; exit 1; }

# to_with ADDRESS TEXT - the number of mails to ADDRESS that contain TEXT
to_with() { outgoing_to "$1" | xargs -r grep -lF -- "$2" | wc -l; }
# wait_to ADDRESS TEXT - wait until a mail to ADDRESS contains TEXT
wait_to() { wait_for 15 bash -c "grep -rlsi '^X-Original-To: $1\$' '$PF_OUTGOING/new' | xargs -r grep -lF -- '$2' | grep -q ."; }
# number MSGID - the ticket a stored message is in
number() { sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
# reply_of NUMBER - a ticket's reply address
reply_of() { ctl ticket show "$1" --json | jq -r .reply_address; }
# agent_mail FROM TO BODY MSGID [SWAKS-ARGS] - an agent's mail, quoting a notification
agent_mail() {
	local f=$work/$4.eml
	printf 'From: %s\r\nTo: %s\r\nSubject: Re: [#%s] Scanner\r\nMessage-ID: <%s>\r\nDate: Sat, 28 Nov 2026 13:00:00 +0000\r\n\r\n%s\r\n\r\nOn Sat, 28 Nov 2026, Desk wrote:\r\n> The scanner is broken.\r\n' \
		"$1" "$2" "$t" "$4" "$3" >"$f"
	swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from "${1##*<}" --to "$2" --data "@$f" "${@:5}"
}

# --- ticketctl agent set --notify, canned ---
check "agent set --notify all" ctl agent set carl@staff.cmds.test --notify all
check "agent set --notify with an unknown value is refused" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent set carl@staff.cmds.test --notify some"
check "agent set of an unknown agent fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent set nobody@staff.cmds.test --notify all"
check_eq "agent list --json shows the setting" "assigned,assigned,all" \
	"$(ctl agent list --json | jq -r '[.[] | select(.address | test("^(ann|bob|carl)@staff")) | .notify] | join(",")')"
check "agent list shows it" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" agent list | grep '^carl@staff.cmds.test' | grep -q 'notify: all'"
printf 'Dear {{customer_name}},\nticket {{ ticket_number }} is solved.\n{{agent_name}}\n' >"$work/solved.txt"
printf '<p>Dear {{customer_name}}</p>\n' >"$work/solved.html"
printf 'Liebe(r) {{customer_name}}, erledigt.\n' >"$work/solved.de.txt"
printf 'Hello {{ticket_numbr}}\n' >"$work/bad.txt"
check "canned set default" ctl canned set default solved --text "$work/solved.txt" --html "$work/solved.html"
check "canned set for a queue, in German" ctl canned set desk@cmds.test Solved --lang de --text "$work/solved.de.txt"
out=$(ctl canned set default broken --text "$work/bad.txt" 2>&1)
check_eq "canned set with an unknown field fails" "1" "$?"
check "... naming the file, line and field" grep -qF "$work/bad.txt, line 1: unknown variable \"ticket_numbr\" (known: ticket_number," <<<"$out"
check "canned set of a template-only field fails too" bash -c "printf '{{attachments}}\n' >'$work/att.txt'; ! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned set default att --text '$work/att.txt'"
check "canned set with a bad name fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned set default 'no space' --text '$work/solved.txt'"
check "canned set for an unknown queue fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned set nosuch@cmds.test x --text '$work/solved.txt'"
check "canned show prints it as stored, with its HTML" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned show default solved | grep -q '^--- HTML ---'"
check_eq "canned list --json" "default:solved:en:true,desk@cmds.test:solved:de:false" \
	"$(ctl canned list --json | jq -r '[.[] | (.queue // "default") + ":" + .name + ":" + .language + ":" + (.html | tostring)] | join(",")')"
check "canned list" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned list | grep -q '^desk@cmds.test *solved *de *text$'"

# --- Routing ---
BODY="The scanner is broken." mail "Cust <cust@customer.cmds.test>" desk@cmds.test "Scanner" c-1@customer.cmds.test
t=$(number c-1@customer.cmds.test)
reply=$(reply_of "$t")
check "an unassigned ticket notifies the queue's agents" wait_to bob@staff.cmds.test "The scanner is broken."
check "... all of them" wait_to ann@staff.cmds.test "The scanner is broken."
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#take" a-take@staff.cmds.test
check_eq "#take by mail" "ann@staff.cmds.test" "$(sql "SELECT assignee FROM tickets WHERE number = '$t'")"
BODY="Still broken." mail "Cust <cust@customer.cmds.test>" "$reply" "Re: Scanner" c-2@customer.cmds.test
check "an assigned ticket notifies its assignee" wait_to ann@staff.cmds.test "Still broken."
check "... and who follows the queue (notify all)" wait_to carl@staff.cmds.test "Still broken."
check_eq "... not the other agents" "0" "$(to_with bob@staff.cmds.test "Still broken.")"
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "Please restart it." a-1@staff.cmds.test
check "the answer reaches the customer" wait_to cust@customer.cmds.test "Please restart it."
check "the follower hears of the answer" wait_to carl@staff.cmds.test "Please restart it."
check_eq "its author does not" "0" "$(to_with ann@staff.cmds.test "Please restart it.")"

# --- #cc add / remove ---
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#cc add Boss@Customer.cmds.test
Adding your manager." a-cc@staff.cmds.test
check "#cc add: the answer after it reaches the new participant" wait_to boss@customer.cmds.test "Adding your manager."
check "ticket show names who added them" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket show $t | grep '^Participants: ' | grep -qF '<boss@customer.cmds.test> (cc, added by ann@staff.cmds.test)'"
check "... and the event" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket show $t | grep -F 'ann@staff.cmds.test  participant' | grep -q '\"add\": \"boss@customer.cmds.test\"'"
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#cc add bad@@customer.cmds.test
Hello." a-cc-bad@staff.cmds.test
check "#cc add of an invalid address: the agent gets a notice saying so" wait_to ann@staff.cmds.test '#cc add bad@@customer.cmds.test: "bad@@customer.cmds.test" is not a mail address'
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#cc remove boss@customer.cmds.test
Without your manager." a-cc-rm@staff.cmds.test
check "#cc remove: the customer gets the next answer" wait_to cust@customer.cmds.test "Without your manager."
check_eq "... the removed participant does not" "0" "$(to_with boss@customer.cmds.test "Without your manager.")"

# --- #canned ---
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#canned solved
#solved
Thanks for your patience." a-canned@staff.cmds.test
check "#canned: the customer gets the canned text, its fields filled" wait_to cust@customer.cmds.test "ticket $t is solved."
got=$(outgoing_to cust@customer.cmds.test | xargs -r grep -lF "ticket $t is solved." | head -n1)
check "... with the customer's name, the agent's name and the rest of the answer" bash -c \
	"tr -d '\r' <'${got:-/dev/null}' | grep -A4 '^Dear Cust,' | tr '\n' '|' | grep -qF 'Dear Cust,|ticket $t is solved.|Ann Agent||Thanks for your patience.'"
check "... without the command lines" bash -c "! grep -q '^#' '${got:-/dev/null}'"
check_eq "#solved with it" "solved" "$(sql "SELECT status FROM tickets WHERE number = '$t'")"
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#canned nosuch
#close" a-canned-bad@staff.cmds.test
check "#canned of an unknown answer: a notice" wait_to ann@staff.cmds.test "#canned nosuch: there is no canned answer nosuch for desk@cmds.test"
check_eq "... and the #close with it is not done" "solved" "$(sql "SELECT status FROM tickets WHERE number = '$t'")"
check "canned remove" ctl canned remove desk@cmds.test solved
check "canned remove of one that is gone fails" bash -c "! \"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" canned remove desk@cmds.test solved"

# --- #merge ---
BODY="The scanner again, from my colleague." mail "Cust Two <cust2@customer.cmds.test>" desk@cmds.test "Scanner (2)" c2-1@customer.cmds.test
t2=$(number c2-1@customer.cmds.test)
reply2=$(reply_of "$t2")
BODY="Elsewhere." mail "Cust <cust@customer.cmds.test>" elsewhere@cmds.test "Other queue" o-1@customer.cmds.test
t_other=$(number o-1@customer.cmds.test)
t_keep=$t; t=$t2
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply2" "#merge $t_other" a-merge-other@staff.cmds.test
check "#merge into another queue's ticket: refused, as if it did not exist" wait_to ann@staff.cmds.test "#merge $t_other: there is no ticket $t_other in desk@cmds.test"
check_eq "... nothing moved" "$t2|" "$(sql "SELECT t.number || '|' || coalesce(t.merged_into::text, '') FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'c2-1@customer.cmds.test'")"
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply2" "#merge $t_keep
We handle both requests in one ticket." a-merge@staff.cmds.test
check "#merge: the answer after it reaches the merged ticket's customer" wait_to cust2@customer.cmds.test "We handle both requests in one ticket."
check "... and the other ticket's customer" wait_to cust@customer.cmds.test "We handle both requests in one ticket."
check_eq "its messages moved" "$t_keep" "$(number c2-1@customer.cmds.test)"
check "ticket show of the old number says where it went" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket show $t2 | grep -q '^Merged into: $t_keep'"
BODY="Reply to the old address." mail "Cust Two <cust2@customer.cmds.test>" "$reply2" "Re: [#$t2] Scanner (2)" c2-2@customer.cmds.test
check_eq "the old reply address leads to the new ticket" "$t_keep" "$(number c2-2@customer.cmds.test)"
t=$t_keep

# --- #spam, #notspam ---
BODY="Buy cheap toner." mail "Spammer <sp@spam.cmds.test>" desk@cmds.test "Toner offer" s-1@spam.cmds.test
ts=$(number s-1@spam.cmds.test)
t=$ts
agent_mail "Ann Agent <ann@staff.cmds.test>" "$(reply_of "$ts")" "#spam" a-spam@staff.cmds.test
check_eq "#spam" "spam" "$(sql "SELECT status FROM tickets WHERE number = '$ts'")"
check "ticket list --status spam lists it" bash -c "\"$TM_BUILD/ticketctl\" -c \"$TM_CONF\" ticket list --json --status spam | jq -e '.[] | select(.number == \"$ts\")'"
agent_mail "Ann Agent <ann@staff.cmds.test>" "$(reply_of "$ts")" "#notspam" a-notspam@staff.cmds.test
check_eq "#notspam" "open" "$(sql "SELECT status FROM tickets WHERE number = '$ts'")"
check "... notifies the agents then" wait_to bob@staff.cmds.test "Not spam, says Ann Agent"
t=$t_keep

# --- Attacks ---
assignee=$(sql "SELECT assignee FROM tickets WHERE number = '$t'")
BODY="#assign olga@staff.cmds.test
#merge $ts
#cc add evil@attacker.cmds.test
Hi." mail "Eve <eve@attacker.cmds.test>" "$reply" "Re: [#$t] Scanner" x-stranger@attacker.cmds.test
agent_mail "Ann Agent <ann@staff.cmds.test>" "$reply" "#assign bob@staff.cmds.test
#merge $ts
#cc add evil@attacker.cmds.test
Send everything." x-forged@staff.cmds.test --local-interface 127.0.0.2
BODY="#cc add friend@attacker.cmds.test
Please add my friend." mail "Cust <cust@customer.cmds.test>" "$reply" "Re: [#$t] Scanner" x-customer@customer.cmds.test
sleep 3
check_eq "a stranger's, a forged agent's and a customer's commands: stored" "3" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id IN ('x-stranger@attacker.cmds.test', 'x-forged@staff.cmds.test', 'x-customer@customer.cmds.test') AND kind = 'customer'")"
check_eq "... the forged agent's flagged" "true" "$(sql "SELECT facts->>'forged_agent' FROM messages WHERE message_id = 'x-forged@staff.cmds.test'")"
check_eq "... no #assign obeyed" "$assignee" "$(sql "SELECT assignee FROM tickets WHERE number = '$t'")"
check_eq "... no #merge obeyed" "" "$(sql "SELECT merged_into FROM tickets WHERE number = '$ts'")"
check_eq "... no #cc add obeyed" "0" "$(sql "SELECT count(*) FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id WHERE c.address IN ('evil@attacker.cmds.test', 'friend@attacker.cmds.test')")"
check_eq "... nothing relayed to them" "0" "$(( $(outgoing_to evil@attacker.cmds.test | wc -l) + $(outgoing_to friend@attacker.cmds.test | wc -l) ))"
check_eq "... and no command event" "0" \
	"$(sql "SELECT count(*) FROM events e WHERE e.at >= (SELECT received_at FROM messages WHERE message_id = 'x-stranger@attacker.cmds.test') AND (e.action IN ('assign', 'participant', 'merge', 'merged', 'canned', 'note', 'commands refused') OR e.detail->>'why' LIKE '#%')")"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
