#!/usr/bin/env bash
# t_layers.sh - the layers of README.md's "Layout" hold in the tree and in
# the built programs.
#
#   includes/tree     scripts/check-layers.sh finds no broken folder rule
#   includes/upward   it fails, naming the file, on a copy of the tree with
#                     an upward include (core including daemon), a parser
#                     including milter/, parser/util including parser/, a
#                     flat milter/NAME.h, a relative quoted include, and a
#                     folder of 21 .c files
#   link/ticket-parse ldd shows neither libpq nor libmilter, nor json-glib
#                     (parser/util/json_out.c writes its JSON)
#   link/ticketctl    ldd shows libpq but no libmilter
#   link/ticket-milter ldd shows libmilter (the check can see it)
#   link/ticket-api   ldd shows libmicrohttpd but neither libmilter nor libcurl
#   link/no-test-resolver nm shows ticket-milter holds the DNS resolver but
#                     not the table one, which is for tests only
. "$(dirname "$0")/../lib/testlib.sh"

check_layers=$TM_ROOT/scripts/check-layers.sh
check includes/tree sh "$check_layers" "$TM_ROOT"

work=$(mktemp -d /tmp/tm-layers.XXXXXX)
trap 'rm -rf "$work"' EXIT

# broken NAME EXPECT SETUP - on a fresh copy of the tree, SETUP breaks a
# rule; the check must fail with a line containing EXPECT
broken() {
	local name=$1 expect=$2 setup=$3 out
	rm -rf "$work/tree" && mkdir "$work/tree" && cp -a "$TM_ROOT/milter" "$TM_ROOT/parser" "$work/tree/"
	(cd "$work/tree" && eval "$setup")
	if out=$(sh "$check_layers" "$work/tree" 2>&1); then
		fail "includes/upward/$name" "the check passed"
	elif ! grep -qF -- "$expect" <<<"$out"; then
		fail "includes/upward/$name" "want a line with [$expect], got [$out]"
	else
		pass "includes/upward/$name"
	fi
}
broken core-includes-daemon "milter/core/ingest.c" \
	'echo "#include <milter/daemon/session.h>" >>milter/core/ingest.c'
broken util-includes-core "milter/util includes milter/core/config.h" \
	'echo "#include <milter/core/config.h>" >>milter/util/log.h'
broken ctl-includes-daemon "milter/ctl includes milter/daemon/outbox.h" \
	'echo "#include <milter/daemon/outbox.h>" >>milter/ctl/ctl_outbox.c'
broken parser-includes-milter "parser includes milter/util/log.h" \
	'echo "#include <milter/util/log.h>" >>parser/mail.c'
broken parser-util-includes-parser "parser/util includes parser/mail.h" \
	'echo "#include <parser/mail.h>" >>parser/util/json_out.c'
broken flat-include "includes milter/log.h" \
	'echo "#include <milter/log.h>" >>milter/daemon/relay.c'
broken quoted-path "quoted include with a path" \
	'echo "#include \"../daemon/relay.h\"" >>milter/core/store.c'
broken too-many-files "milter/core: 21 .c files" \
	'for i in $(seq $((21 - $(ls milter/core/*.c | wc -l)))); do : >milter/core/extra$i.c; done'

# links NAME PROGRAM WANT UNWANTED... - the libraries PROGRAM loads
links() {
	local name=$1 program=$TM_BUILD/$2 want=$3 libs lib; shift 3
	if ! libs=$(ldd "$program" 2>&1); then
		fail "link/$name" "ldd $program: $libs"
		return
	fi
	if [ -n "$want" ] && ! grep -q "$want" <<<"$libs"; then
		fail "link/$name" "$want is not linked"
		return
	fi
	for lib in "$@"; do
		if grep -q "$lib" <<<"$libs"; then
			fail "link/$name" "$lib is linked: $(grep "$lib" <<<"$libs")"
			return
		fi
	done
	pass "link/$name"
}
links ticket-parse ticket-parse "" libpq libmilter libjson-glib
links ticketctl ticketctl libpq libmilter
links ticket-milter ticket-milter libmilter
links ticket-api ticket-api libmicrohttpd libmilter libcurl

# No configuration can give the daemon a table of DNS answers: the code is
# not in it (the static library's member is linked only where called).
if ! symbols=$(nm "$TM_BUILD/ticket-milter" 2>&1); then
	fail link/no-test-resolver "nm: $symbols"
elif ! grep -q ' T resolver_dns_new$' <<<"$symbols"; then
	fail link/no-test-resolver "resolver_dns_new is not in ticket-milter: the check sees nothing"
elif grep -q 'resolver_table' <<<"$symbols"; then
	fail link/no-test-resolver "ticket-milter holds $(grep -m1 resolver_table <<<"$symbols")"
else
	pass link/no-test-resolver
fi
