#!/usr/bin/env bash
# t_sasl - who may answer as an agent, with real proofs: SMTP AUTH through
# the private Postfix (Cyrus SASL, a sasldb) and DKIM signatures checked
# against a real DNS server (dnsmasq), inside a network namespace as
# t_auth.sh does. The login anna may answer as anna@, not as bob@ (before,
# any login counted as any agent); bob hears that an answer in his name was
# not relayed; a DKIM signature of the agent's domain proves the agent, but
# not when a second From was added to a signed message (RFC 6376, 8.15),
# and such a message does not pass DMARC nor prove its sender either.
#
# Outside: create the namespace tm-sasl-PID and run this script inside it;
# delete the namespace and what runs in it whatever happens.
. "$(dirname "$0")/../lib/testlib.sh"
NS=${TM_SASL_NS:-tm-sasl-$$}

. "$TM_ROOT/tests/lib/authns.sh"

authns_enter "$NS" "$0" "${1:-}" saslpasswd2

# --- inside the namespace: own PostgreSQL, Postfix, milter and DNS ---
export SVC_DIR=${SVC_DIR:-$TM_ROOT/var/check}/sasl-ns
. "$TM_ROOT/tests/lib/env.sh"
work=$SVC_DIR/work
trap 'milter_stop; authns_dns_stop "$work"; env_down' EXIT

echo "== starting PostgreSQL and Postfix inside $(ip netns identify 2>/dev/null || echo the namespace)"
env_up || { fail "services start inside the namespace" "env_up failed"; exit 1; }
env_load
mkdir -p "$work" && chmod 755 "$work"
authns_keys "$work" >/dev/null || { fail "DKIM keys made" "opendkim-genkey failed"; exit 1; }
authns_dns_start "$work" || { fail "dnsmasq starts" "see $work/dnsmasq.log"; exit 1; }
ctl() { "$TM_BUILD/ticketctl" -c "$TM_CONF" "$@"; }

# SASL users: anna and bob, each with a password.
for u in anna bob; do
	echo "secret-$u" | saslpasswd2 -p -c -f "$PF_SASLDB" -u mx-sasl.ticket.test "$u" \
		|| { fail "sasldb user $u" "saslpasswd2 failed"; exit 1; }
done
chown postfix: "$PF_SASLDB" && chmod 640 "$PF_SASLDB"

ctl agent add anna@agents.test --queue support@help.test --name Anna --login anna >/dev/null
ctl agent add bob@agents.test --queue support@help.test --name Bob --login bob >/dev/null
ctl agent add dk@dkim.test --queue support@help.test --name "Dee Kay" >/dev/null
# No InternalHosts: only a login or a signature proves an agent here.
milter_start "DNSTimeout 1" || { fail "ticket-milter starts" "see $SVC_REAL/ticket-milter-$MILTER_PORT.log"; exit 1; }

# answer ID FROM TO [EXTRA HEADER LINES] - an agent's answer, CRLF, to stdout
answer() {
	{
		[ -n "${4:-}" ] && printf '%s\n' "$4"
		echo "From: $2"
		echo "To: $3"
		echo "Subject: Re: [#$t] Printer on fire"
		echo "Date: Sat, 28 Nov 2026 13:00:00 +0000"
		echo "Message-ID: <$1@agents.test>"
		echo
		echo "Answer $1."
	} | crlf
}

# relayed ID - true when the answer ID reached the customer
relayed() { grep -rlsi '^X-Original-To: cust@customer.test' "$PF_OUTGOING/new" | xargs -r grep -l "Answer $1\." | grep -q .; }

# kind_flag ID - the stored kind and forged_agent flag of an answer
kind_flag() { sql "SELECT kind || '|' || coalesce(facts->>'forged_agent', 'false') FROM messages WHERE message_id = '$1@agents.test'"; }

BODY="My printer is on fire." mail "Cust <cust@customer.test>" support@help.test "Printer on fire" c-1@customer.test
t=$(sql "SELECT t.number FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.message_id = 'c-1@customer.test'")
reply=$(ctl ticket show "$t" --json | jq -r .reply_address)
check "a ticket and its reply address" test -n "$t" -a "$reply" != null

# SMTP AUTH works, and a wrong password is refused by Postfix.
answer s-badpw anna@agents.test "$reply" >"$work/s-badpw.eml"
out=$(swaks --server 127.0.0.1:"$PF_SASL_PORT" --auth PLAIN --auth-user anna --auth-password wrong \
	--from anna@agents.test --to "$reply" --data "@$work/s-badpw.eml" 2>&1)
check "a wrong password is refused (535)" grep -q '535' <<<"$out"

# anna, logged in as anna, answers as anna: relayed.
answer s-anna anna@agents.test "$reply" >"$work/s-anna.eml"
swaks --server 127.0.0.1:"$PF_SASL_PORT" --silent 2 --auth PLAIN --auth-user anna --auth-password secret-anna \
	--from anna@agents.test --to "$reply" --data "@$work/s-anna.eml"
check "the login anna answers as anna@: relayed to the customer" wait_for 15 relayed s-anna
check_eq "... stored as an agent reply" "agent|false" "$(kind_flag s-anna)"

# anna, logged in as anna, answers as bob: not bob's answer (any SASL login
# counted as any agent before).
answer s-as-bob bob@agents.test "$reply" >"$work/s-as-bob.eml"
swaks --server 127.0.0.1:"$PF_SASL_PORT" --silent 2 --auth LOGIN --auth-user anna --auth-password secret-anna \
	--from bob@agents.test --to "$reply" --data "@$work/s-as-bob.eml"
sleep 3
check_eq "the login anna cannot answer as bob@: stored, flagged" "customer|true" "$(kind_flag s-as-bob)"
check "... not relayed" bash -c "$(declare -f relayed); ! relayed s-as-bob"
check "bob hears that an answer in his name was not relayed, naming the login" wait_for 15 bash -c \
	"grep -rlsi '^X-Original-To: bob@agents.test' '$PF_OUTGOING/new' | xargs -r grep -l 'Not relayed: a message from your address bob@agents.test' | xargs -r grep -l 'the SMTP login \"anna\", which is not a login of bob@agents.test' | grep -q ."
# Once bound, the login counts: bob's login for bob's address.
answer s-bob bob@agents.test "$reply" >"$work/s-bob.eml"
swaks --server 127.0.0.1:"$PF_SASL_PORT" --silent 2 --auth PLAIN --auth-user bob --auth-password secret-bob \
	--from bob@agents.test --to "$reply" --data "@$work/s-bob.eml"
check "the login bob answers as bob@: relayed" wait_for 15 relayed s-bob
# No login, no InternalHosts, no signature: an outside sender.
answer s-plain anna@agents.test "$reply" >"$work/s-plain.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --from anna@agents.test --to "$reply" --data "@$work/s-plain.eml"
sleep 3
check_eq "no login: not anna's answer" "customer|true" "$(kind_flag s-plain)"

# --- DKIM: a signature of the agent's domain covering From proves the agent ---
# signed ID FROM [EXTRA] - an answer signed for dkim.test with selector sel
signed() { answer "$1" "$2" "$reply" "${3:-}" | opendkim-testmsg -C -d dkim.test -k "$work/sel.private" -s sel; }
signed s-dkim "Dee Kay <dk@dkim.test>" >"$work/s-dkim.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --local-interface 192.0.2.20 --from dk@dkim.test --to "$reply" --data "@$work/s-dkim.eml"
check "a signature of dkim.test covering From proves dk@dkim.test: relayed" wait_for 15 relayed s-dkim
check_eq "... stored as an agent reply" "agent|false" "$(kind_flag s-dkim)"
# Someone's signed mail of dkim.test (From other@dkim.test) with a second
# From naming the agent added on top: the signature still verifies (it
# covers the last From), readers show the first.
{ printf 'From: Dee Kay <dk@dkim.test>\r\n'; signed s-twofrom "Other <other@dkim.test>"; } >"$work/s-twofrom.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --local-interface 192.0.2.20 --from dk@dkim.test --to "$reply" --data "@$work/s-twofrom.eml"
sleep 3
check_eq "the signature still passes" "pass" "$(sql "SELECT auth->'dkim'->0->>'result' FROM messages WHERE message_id = 's-twofrom@agents.test'")"
check_eq "a signed message with an added second From is not the agent's" "customer|true" "$(kind_flag s-twofrom)"
check "... not relayed" bash -c "$(declare -f relayed); ! relayed s-twofrom"
# The same trick toward a new ticket: the sender is not proven, so no
# confirmation goes to the address the first From names.
{
	printf 'From: Victim <victim@dkim.test>\r\n'
	answer s-newtwo "Other <other@dkim.test>" support@help.test | sed 's/^Subject: .*/Subject: a new question\r/' \
		| opendkim-testmsg -C -d dkim.test -k "$work/sel.private" -s sel
} >"$work/s-newtwo.eml"
swaks --server 127.0.0.1:"$PF_PORT" --silent 2 --local-interface 192.0.2.20 --from other@dkim.test --to support@help.test --data "@$work/s-newtwo.eml"
sleep 2
check_eq "a second From: the signature passes, DMARC does not, no confirmation" "pass|fail|more than one From field|sender-not-authenticated" \
	"$(sql "SELECT concat_ws('|', auth->'dkim'->0->>'result', auth->'dmarc'->>'result', auth->'dmarc'->>'reason', autoreply) FROM messages WHERE message_id = 's-newtwo@agents.test'")"
check_eq "... and the view message_auth agrees" "fail|false" \
	"$(sql "SELECT dmarc || '|' || sender_authenticated FROM message_auth WHERE message_id = 's-newtwo@agents.test'")"

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
