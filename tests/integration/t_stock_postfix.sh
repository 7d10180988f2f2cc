#!/usr/bin/env bash
# t_stock_postfix - README's Postfix lines, applied to Debian's stock
# Postfix, work as written: a new admin's first hour.
#
# A Postfix instance of its own (beside the harness's) starts from the
# main.cf and master.cf that Debian installs (/usr/share/postfix/), plus
# exactly the blocks of README.md marked "<!-- README example: NAME -->"
# (main.cf, master.cf, the map ticket-milter-queues), which must be the
# lines of the package's examples (packaging/postfix/). A ticket-milter of
# its own runs with the package's config file (packaging/ticket-milter.conf).
# What a private instance on loopback has to change, and nothing else:
#   - paths (queue, data, log, /etc/postfix/ -> the test's directory) and
#     host names; no chroot (the queue directory has no files for one);
#   - ports: README's "smtp inet" listens on 127.0.0.1:STOCK_PORT, its
#     127.0.0.1:10026 on STOCK_OUTBOX_PORT, the milter on STOCK_MILTER_PORT
#     (default PF_PORT+30, PF_PORT+31, MILTER_PORT+5), and smtpd_milters
#     and OutboxRelay say so; the daemon's Database is the test database,
#     and it runs as the test's user (no UserID);
#   - default_transport = error: no mail leaves the machine; mailboxes for
#     virtual(8) under the test's directory, where the site's own mailboxes
#     (info@ and agent@example.com) are listed in the same map as the queue.
# Then: a support message is stored and Postfix keeps no copy; the agent's
# notification leaves through README's OutboxRelay listener; a reply
# address and an unknown address get the right answer at RCPT; other mail
# is delivered unchanged and stored nowhere; and a burst of support mail
# from 20 SMTP sessions is not held by Postfix's in-flow control at one
# message per second per session.
. "$(dirname "$0")/../lib/testlib.sh"
. "$TM_ROOT/tests/lib/env.sh"
env_load
SP_PORT=${STOCK_PORT:-$((PF_PORT + 30))}
SP_OUTBOX=${STOCK_OUTBOX_PORT:-$((PF_PORT + 31))}
SP_MILTER=${STOCK_MILTER_PORT:-$((MILTER_PORT + 5))}
BURST=600 SESSIONS=20
d=$SVC_REAL/stock
etc=$d/etc
conf=$d/ticket-milter.conf
log=$d/ticket-milter.log
milter_pid=

# stock_down - stop this test's daemon and Postfix instance
stock_down() {
	if [ -n "$milter_pid" ]; then
		kill -TERM "$milter_pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$milter_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$milter_pid" 2>/dev/null
		wait "$milter_pid" 2>/dev/null
	fi
	if [ -f "$etc/main.cf" ]; then
		postfix -c "$etc" stop >/dev/null 2>&1
		for _ in $(seq 1 50); do
			pid=$(tr -d ' ' 2>/dev/null <"$d/spool/pid/master.pid")
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		postfix -c "$etc" abort >/dev/null 2>&1
	fi
}
trap 'stock_down' EXIT

if [ ! -f /usr/share/postfix/main.cf.debian ] || [ ! -f /usr/share/postfix/master.cf.dist ]; then
	skip "README's lines on a stock Postfix" "no Debian stock configuration in /usr/share/postfix"
	exit 0
fi
for p in "$SP_PORT" "$SP_OUTBOX" "$SP_MILTER"; do
	if svc_port_busy "$p"; then fail "port $p is free" "in use; set STOCK_PORT, STOCK_OUTBOX_PORT, STOCK_MILTER_PORT"; exit 1; fi
done

# config_lines - stdin without comments and blank lines
config_lines() { grep -v -E '^[[:space:]]*(#|$)'; }

# --- README and the package's examples say the same ---
for f in main.cf master.cf; do
	check_eq "README's $f lines are the package's example $f" \
		"$(config_lines <"$TM_ROOT/packaging/postfix/$f")" "$(readme_block "$f" | config_lines)"
done
[ -n "$(readme_block ticket-milter-queues)" ] || fail "README shows the map of the support addresses" "no marked block"

# --- a stock Postfix with README's lines ---
rm -rf "$d"
mkdir -p "$etc" "$d/spool" "$d/data" "$d/mail"
chown postfix: "$d/data" "$d/mail"
{
	cat /usr/share/postfix/main.cf.debian
	cat <<-CF

	# What Debian's installer asks, and what a private instance needs.
	myhostname = mx.stock.test
	mydestination = \$myhostname, localhost
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	alias_maps =
	alias_database =
	queue_directory = $d/spool
	data_directory = $d/data
	maillog_file = $d/maillog
	maillog_file_prefixes = $d
	default_transport = error:5.7.1 the test sends nothing off this machine
	relay_transport = error:5.7.1 the test sends nothing off this machine
	virtual_mailbox_base = $d/mail
	virtual_uid_maps = static:$(id -u postfix)
	virtual_gid_maps = static:$(id -g postfix)

	# README's lines, with the test's milter socket and paths.
	CF
	readme_block main.cf | sed -e "s|^smtpd_milters *=.*|smtpd_milters = inet:127.0.0.1:$SP_MILTER|" \
		-e "s|/etc/postfix/|$etc/|g"
} >"$etc/main.cf"
# master.cf: the stock file without the services README's block defines,
# then README's block; every service unchrooted, the ports the test's.
readme_block master.cf >"$d/readme-master.cf"
awk 'NR == FNR { if ($0 ~ /^[^ \t#]/) drop[$1 " " $2] = 1; next }
	/^[^ \t#]/ { skip = ($1 " " $2) in drop }
	/^#/ { skip = 0 }
	!skip' "$d/readme-master.cf" /usr/share/postfix/master.cf.dist >"$etc/master.cf"
cat "$d/readme-master.cf" >>"$etc/master.cf"
awk -v port="$SP_PORT" -v outbox="$SP_OUTBOX" '
	/^[^ \t#]/ {
		if ($1 == "smtp" && $2 == "inet") $1 = "127.0.0.1:" port
		if ($1 == "127.0.0.1:10026") $1 = "127.0.0.1:" outbox
		$5 = "n"
	}
	{ print }' "$etc/master.cf" >"$etc/master.cf.new" && mv "$etc/master.cf.new" "$etc/master.cf"
{ readme_block ticket-milter-queues; echo "info@example.com info/"; echo "agent@example.com agent/"; } >"$etc/ticket-milter-queues"
postmap -c "$etc" "$etc/ticket-milter-queues"
check "postfix check accepts the stock configuration with README's lines" postfix -c "$etc" check
check_eq "main.cf keeps Postfix's default in_flow_delay" "$(postconf -d -h in_flow_delay)" \
	"$(postconf -c "$etc" -h in_flow_delay)"
check_eq "the smtpd with the milter names a cleanup without in-flow delay" "ticket-cleanup 0" \
	"$(postconf -c "$etc" -P "127.0.0.1:$SP_PORT/inet/cleanup_service_name" 2>/dev/null | sed 's/.* = //') $(
	   postconf -c "$etc" -P ticket-cleanup/unix/in_flow_delay 2>/dev/null | sed 's/.* = //')"

# --- ticket-milter with the package's config ---
sed -e "s|^Socket[[:space:]].*|Socket inet:$SP_MILTER@127.0.0.1|" \
	-e "s|^Database[[:space:]].*|Database $PG_CONNINFO|" \
	-e "s|^PidFile[[:space:]].*|PidFile $d/ticket-milter.pid|" \
	-e "s|^UserID[[:space:]].*|UserID $(id -un)|" \
	-e "/^Socket\(Mode\|Group\)[[:space:]]/d" \
	-e "s|^\(OutboxRelay[[:space:]]*\)127\.0\.0\.1:10026|\1127.0.0.1:$SP_OUTBOX|" \
	"$TM_ROOT/packaging/ticket-milter.conf" >"$conf"
"$TM_BUILD/ticketctl" -c "$conf" queue add support@example.com --name "Support" >/dev/null
"$TM_BUILD/ticketctl" -c "$conf" agent add agent@example.com --queue support@example.com >/dev/null
setsid "$TM_BUILD/ticket-milter" -f -c "$conf" >>"$log" 2>&1 </dev/null &
milter_pid=$!
svc_wait_port "$SP_MILTER" 20 || { fail "ticket-milter starts with the package's config" "$(tail -n 5 "$log")"; exit 1; }
if ! postfix -c "$etc" start >/dev/null 2>&1 || ! svc_wait_port "$SP_PORT" 20; then
	fail "Postfix starts" "$(tail -n 5 "$d/maillog" 2>/dev/null)"
	exit 1
fi
pass "Postfix starts with README's lines"

# smtp ARGS - swaks to README's smtpd with the milter
smtp() { swaks --server "127.0.0.1:$SP_PORT" --silent 2 "$@"; }
# stored MSGID - how many stored messages of the queue carry that Message-ID
stored() {
	sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id
	     WHERE q.address = 'support@example.com' AND m.message_id = '$1'"
}

# --- support mail, reply addresses, unknown addresses ---
check "support mail accepted" smtp --from customer@customer.test --to support@example.com \
	--header "Message-ID: <stock-1@customer.test>" --header "Subject: printer"
check_eq "support mail stored as a ticket of support@example.com" 1 "$(stored stock-1@customer.test)"
check_eq "the client's address reaches the milter with README's lines alone" 127.0.0.1 \
	"$(sql "SELECT host(client_ip) FROM messages WHERE message_id = 'stock-1@customer.test'")"
check "a reply address (support+TOKEN) is a valid recipient" \
	smtp --quit-after RCPT --from customer@customer.test --to support+100001-abcdef@example.com
out=$(smtp --quit-after RCPT --from customer@customer.test --to nobody@example.com 2>&1)
check "an unknown address of the domain is refused at RCPT (550)" grep -q '<\*\* *550' <<<"$out"
check "the agent's notification leaves through README's OutboxRelay listener" \
	wait_for 30 bash -c "grep -rqs 'stock-1@customer.test' '$d/mail/agent/new'"
"$TM_BUILD/ticketctl" -c "$conf" agent remove agent@example.com >/dev/null
qid=$(sed -n 's/.*: \([0-9A-F]*\): message-id=<stock-1@customer\.test>.*/\1/p' "$d/maillog" | head -n1)
check "Postfix keeps no copy of the support message (MtaCopy remove)" \
	bash -c "[ -n '$qid' ] && grep -q '$qid: milter-discard' '$d/maillog' && [ ! -e '$d/mail/x' ]"

# --- other mail ---
check "other mail accepted" smtp --from alice@customer.test --to info@example.com \
	--header "Message-ID: <stock-other@customer.test>" --header "Subject: hello info"
check "other mail delivered" wait_for 20 bash -c "grep -rqs 'stock-other@customer.test' '$d/mail/info/new'"
f=$(grep -rls 'stock-other@customer.test' "$d/mail/info/new" 2>/dev/null | head -n1)
check "other mail unchanged by the milter" bash -c "[ -n '$f' ] && ! grep -qiE '^(X-Ticket-Number|Authentication-Results):' '$f'"
check_eq "other mail stored nowhere" 0 "$(sql "SELECT count(*) FROM messages WHERE message_id = 'stock-other@customer.test'")"

# --- a burst of support mail and nothing else ---
# Postfix's in-flow control would let the first default_process_limit
# (100) messages in and then hold each new one in_flow_delay (1 s) before
# its transaction could go on: most transactions would take 1 s or more
# (median 1011 ms without README's ticket-cleanup). So the median must stay
# well under in_flow_delay, below half of it; slow DNS answers for the
# SPF/DKIM/DMARC checks only lengthen the tail.
python3 - "$d/burst" "$BURST" <<-'PY'
	import os, sys
	d, n = sys.argv[1], int(sys.argv[2])
	os.makedirs(d)
	body = b"".join(b"%03d the printer is on fire, please send help and an extinguisher\r\n" % i for i in range(50))
	for i in range(n):
	    with open("%s/%04d.eml" % (d, i), "wb") as f:
	        f.write(b"From: customer@customer.test\r\nTo: support@example.com\r\nSubject: burst %d\r\n"
	                b"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nMessage-ID: <burst-%d@customer.test>\r\n\r\n" % (i, i) + body)
	PY
discards=$(grep -c 'milter-discard' "$d/maillog")
out=$(python3 "$TM_ROOT/tests/lib/smtpc.py" send --port "$SP_PORT" --from customer@customer.test \
	--to support@example.com --conns "$SESSIONS" --per-conn $((BURST / SESSIONS)) --latency "$d"/burst/*.eml)
echo "   burst: $(tr '\n' ' ' <<<"$out")"
check_eq "burst: every support message answered 250" "$BURST" "$(awk '/^sent/ { print $4 }' <<<"$out")"
check_eq "burst: every support message stored" "$BURST" \
	"$(sql "SELECT count(*) FROM messages WHERE message_id LIKE 'burst-%@customer.test'")"
check_eq "burst: Postfix discarded every copy" "$BURST" "$(( $(grep -c 'milter-discard' "$d/maillog") - discards ))"
p50=$(awk '/^p50_ms/ { print $2 }' <<<"$out")
check "burst: the median transaction is well under in_flow_delay (${p50:-?} ms < 500 ms)" \
	awk -v p="${p50:-x}" 'BEGIN { exit !(p ~ /^[0-9.]+$/ && p < 500) }'
stock_down
milter_pid=
check "the daemon's log is clean" bash -c "! grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$log'"
