#!/usr/bin/env bash
# install-deps.sh - install every Debian package the build, the tests and
# `make run` need. Idempotent: when all are present it only checks and exits.
set -euo pipefail

packages=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev
	libmilter-dev libgmime-3.0-dev libpq-dev libspf2-dev libopendkim-dev
	libopendmarc-dev libjson-glib-dev libxml2-dev libytnef0-dev
	# outgoing mail: SMTP submission to the MTA
	libcurl4-openssl-dev
	# organizational domains for DMARC: libpsl and the Public Suffix List
	libpsl-dev publicsuffix
	# tests and tools
	libcmocka-dev miltertest swaks jq opendkim-tools
	# tests: a DNS server for SPF, DKIM and DMARC records
	dnsmasq-base
	# the real services: a private PostgreSQL and a private Postfix
	postgresql postfix
	# make deb and make package-check: build, lint and install the .deb
	debhelper dpkg-dev fakeroot lintian man-db adduser
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' \
		|| missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
apt-get -o DPkg::Lock::Timeout=900 -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
