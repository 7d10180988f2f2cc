#!/usr/bin/env bash
# fetch-sendmail.sh - a private copy of Debian's Sendmail for t_sendmail
# and `make bench`, never installed: Debian's sendmail-bin conflicts with
# postfix, which the tests need. `apt-get download` fetches sendmail-bin
# (the binary) and sendmail-cf (the m4 files that build a sendmail.cf)
# into DIR/debs, and `dpkg -x` unpacks them into DIR/root; nothing of
# them is configured, started or registered with dpkg. Their libraries
# (libwrap0) and m4 are ordinary packages: scripts/install-deps.sh
# installs them. DIR is var/sendmail unless given. Idempotent: exit 0 at
# once when DIR/root holds the binary; exit 1 when it cannot be fetched
# (no network), and the tests that need it skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/var/sendmail}
bin=$dir/root/usr/libexec/sendmail/sendmail
[ -x "$bin" ] && exit 0
mkdir -p "$dir/debs"
cd "$dir/debs"
# The download runs as root here: _apt cannot write into the directory.
if ! apt-get -qq download sendmail-bin sendmail-cf >/dev/null 2>&1; then
	# A fresh machine has no package lists yet.
	[ "$(id -u)" -eq 0 ] && apt-get -o DPkg::Lock::Timeout=900 -qq update >/dev/null 2>&1 || true
	apt-get -qq download sendmail-bin sendmail-cf >/dev/null 2>&1 || {
		echo "fetch-sendmail: apt-get download sendmail-bin sendmail-cf failed (no network?)" >&2
		exit 1
	}
fi
rm -rf "$dir/root.new"
for deb in sendmail-bin_*.deb sendmail-cf_*.deb; do
	dpkg -x "$deb" "$dir/root.new"
done
rm -rf "$dir/root"
mv "$dir/root.new" "$dir/root"
[ -x "$bin" ]
