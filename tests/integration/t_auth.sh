#!/usr/bin/env bash
# t_auth - who really sent it: SPF, DKIM and DMARC against a real DNS server
# (dnsmasq), with PostgreSQL, Postfix and ticket-milter, all inside a network
# namespace this script creates, so that the daemon gets its own resolv.conf
# and mail can come from other client addresses. Checks the stored results,
# the Authentication-Results header, forged ones removed, DmarcRejectAction,
# and a dead DNS server (temperror, still stored).
#
# Outside: create the namespace tm-auth-PID and run this script inside it;
# delete the namespace and what runs in it whatever happens.
. "$(dirname "$0")/../lib/testlib.sh"
NS=${TM_AUTH_NS:-tm-auth-$$}

. "$TM_ROOT/tests/lib/authns.sh"

authns_enter "$NS" "$0" "${1:-}"

# --- inside the namespace: own PostgreSQL, Postfix, milter and DNS ---
export SVC_DIR=${SVC_DIR:-$TM_ROOT/var/check}/auth-ns
. "$TM_ROOT/tests/lib/env.sh"
# The work directory lives with the services' state, not in /tmp.
work=$SVC_DIR/work
trap 'milter_stop; authns_dns_stop "$work"; env_down' EXIT

# elapsed START_NS - seconds since START_NS (date +%s%N)
elapsed() { awk -v s="$1" -v e="$(date +%s%N)" 'BEGIN { printf "%.2f", (e - s) / 1e9 }'; }

echo "== starting PostgreSQL and Postfix inside $(ip netns identify 2>/dev/null || echo the namespace)"
env_up || { fail "services start inside the namespace" "env_up failed"; exit 1; }
env_load
mkdir -p "$work" && chmod 755 "$work"
authns_keys "$work" >/dev/null || { fail "DKIM keys made" "opendkim-genkey failed"; exit 1; }
authns_dns_start "$work" || { fail "dnsmasq starts" "see $work/dnsmasq.log"; exit 1; }
# MtaCopy keep: the copy Postfix delivers shows the header changes.
MILTER_CONF="AuthservID mx.help.test
DNSTimeout 1
MtaCopy keep"
milter_start "$MILTER_CONF" || { fail "ticket-milter starts" "see $SVC_REAL/ticket-milter-$MILTER_PORT.log"; exit 1; }

# message ID FROM [EXTRA HEADER LINES] - a small message, CRLF, to stdout
message() {
	{
		echo "Date: Sat, 28 Nov 2026 10:00:00 +0000"
		echo "From: Customer <$2>"
		echo "To: support@help.test"
		echo "Subject: auth case $1"
		echo "Message-ID: <$1@auth.test>"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		echo
		echo "Hello, my printer is on fire."
	} | crlf
}

# deliver ID IP HELO MAILFROM FILE - send through Postfix; prints swaks' status
deliver() {
	swaks --server 127.0.0.1:"$PF_PORT" --local-interface "$2" --ehlo "$3" \
		--from "$4" --to support@help.test --data "@$5" --silent 2 >"$work/$1.swaks" 2>&1
}

# auth_of ID PATH... - a member of the stored auth JSON (jsonb path)
auth_of() { sql "SELECT auth #>> '{$2}' FROM messages WHERE message_id = '$1@auth.test'"; }

# case_plain ID IP HELO MAILFROM FROM - send an unsigned message
case_plain() {
	message "$1" "$5" >"$work/$1.eml"
	deliver "$1" "$2" "$3" "$4" "$work/$1.eml"
}

# signed ID FROM SELECTOR [EXTRA HEADERS] - a message signed for dkim.test
signed() {
	message "$1" "$2" "${4:-}" | opendkim-testmsg -C -d dkim.test -k "$work/$3.private" -s "$3"
}

# --- SPF ---
case_plain spf1 192.0.2.10 mx.client.test a@spf-pass.test a@spf-pass.test
case_plain spf2 192.0.2.20 mx.client.test a@spf-fail.test a@spf-fail.test
case_plain spf3 192.0.2.20 mx.client.test a@spf-soft.test a@spf-soft.test
case_plain spf4 192.0.2.20 mx.client.test a@spf-neutral.test a@spf-neutral.test
case_plain spf5 192.0.2.20 mx.client.test a@spf-none.test a@spf-none.test
case_plain spf6 192.0.2.20 mx.client.test a@spf-syntax.test a@spf-syntax.test
case_plain spf7 192.0.2.20 mx.client.test a@spf-loop.test a@spf-loop.test
start=$(date +%s%N)
case_plain spf8 192.0.2.20 mx.client.test a@dns-broken.test a@dns-broken.test
broken_secs=$(elapsed "$start")
case_plain spf9 192.0.2.20 helo.test '<>' postmaster@helo.test
case_plain spf10 192.0.2.10 mx.client.test a@spf-mx.test a@spf-mx.test
case_plain spf11 192.0.2.20 mx.client.test a@spf-mx.test a@spf-mx.test
case_plain spf12 192.0.2.10 mx.client.test a@spf-a.test a@spf-a.test
check_eq "SPF pass" "pass|mailfrom|spf-pass.test" "$(auth_of spf1 spf,result)|$(auth_of spf1 spf,scope)|$(auth_of spf1 spf,domain)"
check_eq "SPF fail" fail "$(auth_of spf2 spf,result)"
check_eq "SPF softfail" softfail "$(auth_of spf3 spf,result)"
check_eq "SPF neutral" neutral "$(auth_of spf4 spf,result)"
check_eq "SPF none (no record)" none "$(auth_of spf5 spf,result)"
check_eq "SPF permerror (syntax error)" permerror "$(auth_of spf6 spf,result)"
check_eq "SPF permerror (more than 10 DNS lookups)" permerror "$(auth_of spf7 spf,result)"
check_eq "SPF temperror (SERVFAIL), message still stored" temperror "$(auth_of spf8 spf,result)"
# resolv.conf says 5 s and 2 attempts; DNSTimeout 1 must bound each query.
check "SPF temperror within the DNS timeout (${broken_secs} s)" awk "BEGIN { exit !($broken_secs < 4) }"
check_eq "SPF mx mechanism: pass from the MX, fail from elsewhere" "pass fail" "$(auth_of spf10 spf,result) $(auth_of spf11 spf,result)"
check_eq "SPF a mechanism" pass "$(auth_of spf12 spf,result)"
check_eq "SPF for a null sender checks HELO" "pass|helo|helo.test" "$(auth_of spf9 spf,result)|$(auth_of spf9 spf,scope)|$(auth_of spf9 spf,identity)"

# --- DKIM ---
signed dkim1 a@dkim.test sel >"$work/dkim1.eml"
deliver dkim1 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim1.eml"
signed dkim2 a@dkim.test sel >"$work/dkim2.eml"
printf 'A line added after signing.\r\n' >>"$work/dkim2.eml"
deliver dkim2 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim2.eml"
signed dkim3 a@dkim.test sel | sed 's/^Subject: auth case dkim3/Subject: changed after signing/' >"$work/dkim3.eml"
deliver dkim3 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim3.eml"
signed dkim4 a@dkim.test gone >"$work/dkim4.eml"
deliver dkim4 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim4.eml"
signed dkim5 a@dkim.test revoked >"$work/dkim5.eml"
deliver dkim5 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim5.eml"
# signed for dns-broken.test: its name server answers SERVFAIL
message dkim6 a@dns-broken.test | opendkim-testmsg -C -d dns-broken.test -k "$work/sel.private" -s sel >"$work/dkim6.eml"
deliver dkim6 192.0.2.20 mx.client.test bounce@spf-none.test "$work/dkim6.eml"
check_eq "DKIM pass: domain and selector recorded" "pass|dkim.test|sel" \
	"$(auth_of dkim1 dkim,0,result)|$(auth_of dkim1 dkim,0,domain)|$(auth_of dkim1 dkim,0,selector)"
check_eq "DKIM fail: body changed after signing" "fail|body hash mismatch" "$(auth_of dkim2 dkim,0,result)|$(auth_of dkim2 dkim,0,reason)"
check_eq "DKIM fail: signed header changed" "fail" "$(auth_of dkim3 dkim,0,result)"
check_eq "DKIM permerror: no key in the DNS" "permerror|no key" "$(auth_of dkim4 dkim,0,result)|$(auth_of dkim4 dkim,0,reason)"
check_eq "DKIM fail: key revoked" "fail|key revoked" "$(auth_of dkim5 dkim,0,result)|$(auth_of dkim5 dkim,0,reason)"
check_eq "DKIM temperror: the key's name server fails (SERVFAIL)" "temperror|key not retrieved|dns-broken.test" \
	"$(auth_of dkim6 dkim,0,result)|$(auth_of dkim6 dkim,0,reason)|$(auth_of dkim6 dkim,0,domain)"
check_eq "unsigned message: no DKIM results" "0" "$(sql "SELECT jsonb_array_length(auth->'dkim') FROM messages WHERE message_id = 'spf1@auth.test'")"

# --- DMARC ---
case_plain dmarc1 192.0.2.10 mx.client.test bounce@dmarc-spf.test a@dmarc-spf.test
case_plain dmarc2 192.0.2.10 mx.client.test bounce@spf-pass.test a@p-none.test
case_plain dmarc3 192.0.2.10 mx.client.test bounce@spf-pass.test a@p-quar.test
case_plain dmarc4 192.0.2.10 mx.client.test bounce@spf-pass.test a@p-reject.test
case_plain dmarc5 192.0.2.10 mx.client.test bounce@spf-pass.test a@help.sub.org-sp.test
case_plain dmarc6 192.0.2.10 mx.client.test bounce@spf-pass.test a@org-sp.test
check_eq "DMARC pass via SPF alignment" "pass|true|false|reject" \
	"$(auth_of dmarc1 dmarc,result)|$(auth_of dmarc1 dmarc,spf_aligned)|$(auth_of dmarc1 dmarc,dkim_aligned)|$(auth_of dmarc1 dmarc,policy)"
check_eq "DMARC pass via DKIM alignment (SPF none)" "pass|none|true" \
	"$(auth_of dkim1 dmarc,result)|$(auth_of dkim1 spf,result)|$(auth_of dkim1 dmarc,dkim_aligned)"
check_eq "DMARC fail with a broken signature" "fail|reject" "$(auth_of dkim2 dmarc,result)|$(auth_of dkim2 dmarc,disposition)"
check_eq "DMARC fail, p=none" "fail|none|none" "$(auth_of dmarc2 dmarc,result)|$(auth_of dmarc2 dmarc,policy)|$(auth_of dmarc2 dmarc,disposition)"
check_eq "DMARC fail, p=quarantine" "fail|quarantine|quarantine" "$(auth_of dmarc3 dmarc,result)|$(auth_of dmarc3 dmarc,policy)|$(auth_of dmarc3 dmarc,disposition)"
check_eq "DMARC fail, p=reject: accepted and flagged by default" "fail|reject|reject" \
	"$(auth_of dmarc4 dmarc,result)|$(auth_of dmarc4 dmarc,policy)|$(auth_of dmarc4 dmarc,disposition)"
check_eq "DMARC subdomain policy (sp=reject of the organizational domain)" "fail|org-sp.test|reject|true" \
	"$(auth_of dmarc5 dmarc,result)|$(auth_of dmarc5 dmarc,record_domain)|$(auth_of dmarc5 dmarc,policy)|$(auth_of dmarc5 dmarc,subdomain_policy)"
check_eq "DMARC: the organizational domain itself gets p=, not sp=" "none|false" \
	"$(auth_of dmarc6 dmarc,policy)|$(auth_of dmarc6 dmarc,subdomain_policy)"
check_eq "DMARC none without a record; SPF alignment still known" "none|true" \
	"$(auth_of spf1 dmarc,result)|$(auth_of spf1 dmarc,spf_aligned)"

# --- the view message_auth (sql/functions/reports.sql) ---
# view_of ID COLUMNS - columns of message_auth for one message
view_of() { sql "SELECT $2 FROM message_auth WHERE message_id = '$1@auth.test'"; }
check_eq "message_auth: DKIM pass domains, sender authenticated" "{dkim.test}|true" "$(view_of dkim1 "dkim_pass_domains::text || '|' || sender_authenticated")"
check_eq "message_auth: aligned SPF pass without a DMARC record authenticates" "none|true" "$(view_of spf1 "dmarc || '|' || sender_authenticated")"
check_eq "message_auth: a DMARC failure does not" "fail|false" "$(view_of dmarc2 "dmarc || '|' || sender_authenticated")"
# The queue confirms only to authenticated senders (the default).
check_eq "a sender DMARC proves gets a confirmation" "sent" "$(sql "SELECT autoreply FROM messages WHERE message_id = 'dmarc1@auth.test'")"
check_eq "a sender failing DMARC gets none" "sender-not-authenticated" "$(sql "SELECT autoreply FROM messages WHERE message_id = 'dmarc2@auth.test'")"
check_eq "a forged sender (p=reject failed, accepted and flagged) gets none" "sender-not-authenticated" \
	"$(sql "SELECT autoreply FROM messages WHERE message_id = 'dmarc4@auth.test'")"
check_eq "message_auth: flagged messages (p=reject failed, accepted)" "dkim2 dkim3 dkim4 dkim5 dmarc4 dmarc5" \
	"$(sql "SELECT string_agg(split_part(message_id, '@', 1), ' ' ORDER BY id) FROM message_auth WHERE dmarc_disposition = 'reject'" | tr ' ' '\n' | sort -V | tr '\n' ' ' | sed 's/ $//')"

# --- the Authentication-Results header on the delivered copy ---
# delivered ID - the copy Postfix delivered (MtaCopy keep), LF line ends
delivered() { grep -rlsF "Message-ID: <$1@auth.test>" "$PF_OUTGOING" | head -n1 | xargs -r cat | tr -d '\r'; }
# ar_fields ID - the Authentication-Results fields of the copy, unfolded, one a line
ar_fields() { delivered "$1" | sed '/^$/q' | awk '/^[^ \t]/{if(l!="")print l; l=$0; next}{sub(/^[ \t]+/," "); l=l $0} END{print l}' | grep -i '^Authentication-Results:'; }
wait_for 10 bash -c "grep -rqsF 'Message-ID: <dkim1@auth.test>' '$PF_OUTGOING'"
check_eq "A-R header: our authserv-id and all three results" \
	"Authentication-Results: mx.help.test; spf=none (no domain to check) smtp.mailfrom=bounce@spf-none.test; dkim=pass header.d=dkim.test header.s=sel header.b=X; dmarc=pass (p=reject dis=none) header.from=dkim.test" \
	"$(ar_fields dkim1 | sed 's/header.b=[A-Za-z0-9+/]*/header.b=X/; s/spf=none ([^)]*)/spf=none (no domain to check)/')"

# Forged: two fields claim our authserv-id (one with a /version, one
# unparseable), one belongs to someone else; ours must be the only one
# with our id, the foreign one kept.
forged_headers="Authentication-Results: mx.help.test; dkim=pass header.d=bank.test
Authentication-Results: other.example; spf=pass smtp.mailfrom=x@other.example
Authentication-Results: MX.Help.Test/1; dmarc=pass
X-Between: 1
Authentication-Results: mx.help.test ((( unparseable"
message forged1 a@spf-fail.test "$forged_headers" >"$work/forged1.eml"
deliver forged1 192.0.2.20 mx.client.test a@spf-fail.test "$work/forged1.eml"
wait_for 10 bash -c "grep -rqsF 'Message-ID: <forged1@auth.test>' '$PF_OUTGOING'"
ars=$(ar_fields forged1)
check_eq "forged A-R headers with our authserv-id removed, ours added" "1" \
	"$(grep -ic '^Authentication-Results: *mx\.help\.test' <<<"$ars")"
check "our A-R header tells the truth (spf=fail)" grep -q '^Authentication-Results: mx.help.test; spf=fail' <<<"$ars"
check "A-R header of another authserv-id kept" grep -q '^Authentication-Results: other.example; spf=pass' <<<"$ars"
check "no forged claim survives" bash -c "! grep -qiE 'bank.test|MX.Help.Test/1|unparseable' <<<\"\$0\"" "$ars"
check "the stored raw message is unchanged (forged fields included)" \
	bash -c "psql -X -At -c \"SELECT encode(raw, 'escape') FROM messages WHERE message_id = 'forged1@auth.test'\" | grep -q 'header.d=bank.test'"

# --- DmarcRejectAction reject ---
milter_start "$MILTER_CONF
DmarcRejectAction reject" || fail "ticket-milter restarts" "see its log"
case_plain reject1 192.0.2.10 mx.client.test bounce@spf-pass.test a@p-reject.test
check "DmarcRejectAction reject: 550 5.7.1 with a clear text" grep -q '550 5.7.1 Message rejected: the DMARC policy of p-reject.test says reject' "$work/reject1.swaks"
check_eq "DmarcRejectAction reject: nothing stored" "0" "$(sql "SELECT count(*) FROM messages WHERE message_id = 'reject1@auth.test'")"
case_plain reject2 192.0.2.10 mx.client.test bounce@spf-pass.test a@p-quar.test
check_eq "DmarcRejectAction reject: quarantine policy still accepted" "fail|quarantine" \
	"$(auth_of reject2 dmarc,result)|$(auth_of reject2 dmarc,disposition)"
case_plain reject3 192.0.2.10 mx.client.test bounce@dmarc-spf.test a@dmarc-spf.test
check_eq "DmarcRejectAction reject: a DMARC pass is accepted" "pass" "$(auth_of reject3 dmarc,result)"

# --- DNS down: temperror everywhere, the message still stored ---
authns_dns_stop "$work"
start=$(date +%s%N)
case_plain down1 192.0.2.10 mx.client.test bounce@dmarc-spf.test a@dmarc-spf.test
down_secs=$(elapsed "$start")
check_eq "DNS down: SPF and DMARC temperror, message stored" "temperror|temperror" \
	"$(auth_of down1 spf,result)|$(auth_of down1 dmarc,result)"
check "DNS down: the answer came within a few DNS timeouts (${down_secs} s)" awk "BEGIN { exit !($down_secs < 12) }"

# --- Answers too large for UDP: read whole over TCP -----------------------
# glibc's res_nsend() returns the whole length of a TCP answer larger than
# the buffer it filled; that length once went to ns_initparse() unclamped
# (a read past an 8 KB stack buffer). _dmarc.big-dmarc.test holds 41 TXT
# records, 10.5 KB, the DMARC record last; big._domainkey.dkim.test is a
# key record of 900 bytes.
authns_dns_start "$work" || fail "dnsmasq starts again" "see $work/dnsmasq.log"
case_plain big1 192.0.2.10 mx.client.test bounce@big-dmarc.test a@big-dmarc.test
check_eq "a 10.5 KB TXT RRset is read whole: its last record, the DMARC policy, found" "pass|quarantine|true" \
	"$(auth_of big1 dmarc,result)|$(auth_of big1 dmarc,policy)|$(auth_of big1 dmarc,spf_aligned)"
signed big2 a@dkim.test big >"$work/big2.eml"
deliver big2 192.0.2.20 mx.client.test bounce@spf-none.test "$work/big2.eml"
check_eq "a DKIM key record larger than a UDP answer is read over TCP: pass" "pass|big|pass" \
	"$(auth_of big2 dkim,0,result)|$(auth_of big2 dkim,0,selector)|$(auth_of big2 dmarc,result)"
check "the daemon still takes mail after the large answers" case_plain big3 192.0.2.10 mx.client.test bounce@spf-pass.test a@spf-pass.test

milter_stop
check "no sanitizer or leak report in the milter log" milter_log_clean
