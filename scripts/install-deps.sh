#!/usr/bin/env bash
# install-deps.sh - install every Debian package the build, the tests and
# `make run` need, and fetch the private Sendmail (scripts/fetch-sendmail.sh).
# Idempotent: when all are present it only checks and exits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev
	libmilter-dev libgmime-3.0-dev libpq-dev libspf2-dev libopendkim-dev
	libopendmarc-dev libjson-glib-dev libxml2-dev libytnef0-dev libssl-dev
	# ticketctl privacy export: the tar it writes
	libarchive-dev
	# the TNEF child's seccomp filter (parser/tnef.c)
	libseccomp-dev
	# outgoing mail: SMTP submission to the MTA
	libcurl4-openssl-dev
	# ticket-api: its HTTP server; its tests check every JSON answer
	# against api/openapi.yaml
	libmicrohttpd-dev python3-jsonschema python3-yaml curl
	# organizational domains for DMARC: libpsl and the Public Suffix List
	libpsl-dev publicsuffix
	# tests and tools
	libcmocka-dev python3 miltertest swaks jq opendkim-tools
	# tests: certificates for PostgreSQL over TLS and the sockets of a
	# process (t_tls)
	openssl iproute2
	# tests: a DNS server for SPF, DKIM and DMARC records
	dnsmasq-base
	# tests: SMTP AUTH in the private Postfix (Cyrus SASL with a sasldb),
	# so agents log in for real (t_sasl.sh)
	sasl2-bin libsasl2-modules
	# tests: nft drops a share of the DNS queries in the test's namespace
	# (t_dns_lossy: a resolver that loses packets under load)
	nftables
	# the real services: a private PostgreSQL and a private Postfix
	postgresql postfix
	# tests and make bench: a PostgreSQL cluster with failover
	# (tests/lib/failover.sh: pg_autoctl's monitor and two nodes, run
	# privately; the extension is the monitor's)
	pg-auto-failover-cli postgresql-15-auto-failover
	# make deb and make package-check: build, lint and install the .deb
	debhelper dpkg-dev fakeroot lintian man-db adduser
	# make bench: wrk, the HTTP load generator for ticket-api (bench_api.sh)
	wrk
	# make bench: OpenDKIM, the reference milter; tests: pgbouncer, a proxy
	# pooling transactions (both run privately, never as a service)
	opendkim pgbouncer
	# tests and make bench: what the private Sendmail needs (t_sendmail;
	# sendmail-bin itself conflicts with postfix: fetch-sendmail.sh
	# unpacks it under var/ instead of installing it)
	m4 libwrap0
)

# redocly - Redocly's CLI 1.x (2.x needs a newer Node than Debian 12's
# 18) under var/redocly, for t_openapi's lint of api/openapi.yaml
redocly() {
	[ -x "$root/var/redocly/node_modules/.bin/redocly" ] && return 0
	command -v npm >/dev/null || { echo "install-deps: no npm: t_openapi will fail" >&2; return 0; }
	npm install --silent --no-audit --no-fund --prefix "$root/var/redocly" @redocly/cli@1.34.20 >/dev/null \
		|| echo "install-deps: npm could not install @redocly/cli" >&2
}

# fetch_sendmail - the private Sendmail; without it t_sendmail skips
fetch_sendmail() {
	bash "$root/scripts/fetch-sendmail.sh" || echo "install-deps: no private Sendmail: t_sendmail will skip" >&2
}

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
		|| missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	redocly
	fetch_sendmail
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
# Postfix asks questions on install; we run private instances only.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "postfix postfix/mailname string localhost.localdomain" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 -qq update
# opendkim and pgbouncer would start a system service on install, with
# the system's config: they are installed on their own under a
# policy-rc.d that forbids that (unless the machine has one already), and
# their units are not left enabled. The benchmark and the tests run the
# binaries with their own config.
rest=() quiet=()
for p in "${missing[@]}"; do
	case "$p" in opendkim|pgbouncer) quiet+=("$p") ;; *) rest+=("$p") ;; esac
done
[ ${#rest[@]} -eq 0 ] || apt-get -o DPkg::Lock::Timeout=900 -qq install -y --no-install-recommends "${rest[@]}" >/dev/null
if [ ${#quiet[@]} -gt 0 ]; then
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
	fi
	trap '[ $own_policy = 0 ] || rm -f "$policy"' EXIT
	apt-get -o DPkg::Lock::Timeout=900 -qq install -y --no-install-recommends "${quiet[@]}" >/dev/null
	if command -v systemctl >/dev/null; then
		systemctl disable opendkim.service pgbouncer.service >/dev/null 2>&1 || true
	fi
fi
redocly
fetch_sendmail
