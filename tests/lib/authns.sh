# authns.sh - a network namespace with its own DNS server (dnsmasq) serving
# SPF, DKIM and DMARC records for test domains; used by
# tests/integration/t_auth.sh and bench/bench_auth.sh. Inside the namespace,
# `ip netns exec` gives every program /etc/netns/NAME/resolv.conf, which
# points at the dnsmasq on the namespace's own loopback.
#
#   authns_enter NAME SCRIPT ARG [CMD...]
#                             outside (ARG is not --inside): check that
#                             dnsmasq and each CMD are installed, create
#                             NAME, run SCRIPT --inside in it, delete it,
#                             exit with its status; inside: return
#   authns_up NAME            create it: lo up, client addresses, resolv.conf
#   authns_down NAME          stop what runs in it (by PID) and delete it
#   authns_keys DIR           DKIM keys for dkim.test: sel, gone, revoked, big
#   authns_dns_start DIR [LINES]  write DIR/dnsmasq.conf (LINES appended:
#                             more dnsmasq options), start dnsmasq (inside)
#   authns_dns_stop DIR       stop that dnsmasq, by its PID
#   authns_drop PERCENT       (inside) drop a random PERCENT of the UDP
#                             packets to port 53 (nftables, statistic)
#   authns_dropped            (inside) how many the rule dropped so far
#   authns_drop_off           (inside) remove the rule
#
# Client addresses on the namespace's lo: 192.0.2.10 (allowed by the SPF
# records), 192.0.2.20 (allowed for helo.test only), 198.51.100.7.

# authns_enter NAME SCRIPT ARG [CMD...] - run SCRIPT inside a namespace
# of its own (see above)
authns_enter() {
	local ns=$1 script=$2 cmd why
	[ "$3" = --inside ] && return 0
	shift 3
	for cmd in dnsmasq "$@"; do
		if ! command -v "$cmd" >/dev/null; then
			fail "$cmd for $(basename "$script" .sh)" "$cmd is not installed (run scripts/install-deps.sh)"
			exit 1
		fi
	done
	trap "authns_down '$ns'" EXIT
	if ! why=$(authns_up "$ns" 2>&1); then
		echo "######## NETWORK NAMESPACES ARE NOT AVAILABLE HERE: $(basename "$script" .sh) cannot run ########" >&2
		fail "network namespace for $(basename "$script" .sh)" "cannot create $ns: $why"
		exit 1
	fi
	ip netns exec "$ns" bash "$script" --inside
	exit $?
}

# authns_up NAME - create the namespace; false (with the reason) if impossible
authns_up() {
	local a
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up || return 1
	for a in 192.0.2.10 192.0.2.20 198.51.100.7; do ip -n "$1" addr add "$a/32" dev lo || return 1; done
	mkdir -p "/etc/netns/$1"
	# No options: glibc's defaults (5 s, 2 attempts) hold for everyone, so
	# only the milter's DNSTimeout can make its queries end sooner.
	printf 'nameserver 127.0.0.1\n' >"/etc/netns/$1/resolv.conf"
}

# authns_down NAME - stop what still runs in the namespace, delete it
authns_down() {
	local pid
	for pid in $(ip netns pids "$1" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
	for pid in $(seq 1 10); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break; sleep 0.2; done
	for pid in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	ip netns del "$1" 2>/dev/null
	rm -rf "/etc/netns/$1"
}

# authns_keys DIR - DKIM keys; "revoked" signs with sel's key, published empty
authns_keys() {
	local sel
	for sel in sel gone; do
		opendkim-genkey -b 1024 -D "$1" -d dkim.test -s "$sel" || return 1
	done
	cp "$1/sel.private" "$1/revoked.private"
	cp "$1/sel.private" "$1/big.private"
}

# authns_txt_strings TEXT - TEXT as dnsmasq's quoted character-strings
# ("...","..."), each at most 250 bytes (a TXT string holds 255)
authns_txt_strings() {
	printf '%s' "$1" | fold -w 250 | sed 's/.*/"&"/' | paste -sd,
}

# authns_big_records PUBKEY - records too large for UDP (TCP fallback):
# big._domainkey.dkim.test, sel's key with a 600-byte note (n=; dnsmasq
# reads config lines of up to 1 KB), and at
# _dmarc.big-dmarc.test 40 records of 250 bytes, then the DMARC record,
# about 10.5 KB in all, past the 8 KB buffer DMARC lookups once had
authns_big_records() {
	local note i junk
	note=$(head -c 600 /dev/zero | tr '\0' x)
	echo "txt-record=big._domainkey.dkim.test,$(authns_txt_strings "v=DKIM1; k=rsa; n=$note; p=$1")"
	junk=$(head -c 240 /dev/zero | tr '\0' j)
	for i in $(seq 10 49); do echo "txt-record=_dmarc.big-dmarc.test,\"junk$i $junk\""; done
	echo 'txt-record=_dmarc.big-dmarc.test,"v=DMARC1; p=quarantine"'
	echo 'txt-record=big-dmarc.test,"v=spf1 ip4:192.0.2.10 -all"'
}

# authns_dns_start DIR [LINES] - serve the test records from a dnsmasq in
# DIR; LINES are more dnsmasq options (e.g. local-ttl=300, log-queries)
authns_dns_start() {
	local pubkey loop i
	pubkey=$(tr -d '\n' <"$1/sel.txt" | sed 's/.*p=\([A-Za-z0-9+/=]*\).*/\1/')
	loop="v=spf1"
	for i in $(seq 1 11); do loop="$loop a:h$i.spf-loop.test"; done
	cat >"$1/dnsmasq.conf" <<-EOF
	no-resolv
	no-hosts
	listen-address=127.0.0.1
	bind-interfaces
	port=53
	user=root
	pid-file=$1/dnsmasq.pid
	log-facility=$1/dnsmasq.log
	local=/test/
	local=/in-addr.arpa/
	# Nothing listens there: lookups under dns-broken.test fail (SERVFAIL).
	server=/dns-broken.test/127.0.0.1#5399
	txt-record=spf-pass.test,"v=spf1 ip4:192.0.2.10 -all"
	txt-record=spf-fail.test,"v=spf1 ip4:192.0.2.99 -all"
	txt-record=spf-soft.test,"v=spf1 ip4:192.0.2.99 ~all"
	txt-record=spf-neutral.test,"v=spf1 ?all"
	txt-record=spf-syntax.test,"v=spf1 ip4:192.0.2.300 frobnicate -all"
	txt-record=spf-loop.test,"$loop -all"
	txt-record=helo.test,"v=spf1 ip4:192.0.2.20 -all"
	# mx and a mechanisms: A and MX answers through the milter's DNS layer
	txt-record=spf-mx.test,"v=spf1 mx -all"
	mx-host=spf-mx.test,mail.spf-mx.test,10
	host-record=mail.spf-mx.test,192.0.2.10
	txt-record=spf-a.test,"v=spf1 a:mail.spf-mx.test -all"
	txt-record=sel._domainkey.dkim.test,"v=DKIM1; k=rsa; p=$pubkey"
	txt-record=revoked._domainkey.dkim.test,"v=DKIM1; k=rsa; p="
	txt-record=dkim.test,"v=spf1 ip4:192.0.2.10 -all"
	txt-record=_dmarc.dkim.test,"v=DMARC1; p=reject"
	txt-record=dmarc-spf.test,"v=spf1 ip4:192.0.2.10 -all"
	txt-record=_dmarc.dmarc-spf.test,"v=DMARC1; p=reject"
	txt-record=_dmarc.p-none.test,"v=DMARC1; p=none"
	txt-record=_dmarc.p-quar.test,"v=DMARC1; p=quarantine"
	txt-record=_dmarc.p-reject.test,"v=DMARC1; p=reject"
	txt-record=_dmarc.org-sp.test,"v=DMARC1; p=none; sp=reject"
	$(authns_big_records "$pubkey")
	${2:-}
	EOF
	dnsmasq --conf-file="$1/dnsmasq.conf"
}

# authns_dns_stop DIR - stop the dnsmasq started for DIR
authns_dns_stop() {
	[ -f "$1/dnsmasq.pid" ] && kill "$(cat "$1/dnsmasq.pid")" 2>/dev/null
	rm -f "$1/dnsmasq.pid"
}

# authns_drop PERCENT - (inside the namespace) a lossy resolver: drop a
# random PERCENT of the UDP packets to port 53, as a loaded resolver drops
# queries; nftables' numgen draws a number per packet
authns_drop() {
	nft -f - <<-EOF
	table inet authns_loss {
		chain input {
			type filter hook input priority 0; policy accept;
			udp dport 53 numgen random mod 100 < $1 counter drop
		}
	}
	EOF
}

# authns_dropped - (inside) the packets the drop rule has dropped so far
authns_dropped() {
	nft list table inet authns_loss 2>/dev/null | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -n1
}

# authns_drop_off - (inside) no more drops
authns_drop_off() {
	nft delete table inet authns_loss 2>/dev/null
}
