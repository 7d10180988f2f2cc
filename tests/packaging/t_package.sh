#!/usr/bin/env bash
# t_package.sh - the Debian package: build it, lint it, install it, run what
# it installed, purge it. `make package-check` runs this script alone.
#
#   docs/*     every config key of milter/core/config.c is in ticket-milter.conf(5)
#              and in the shipped config; ticketctl(8) describes exactly the
#              commands `ticketctl --help` lists; debian/changelog is VERSION
#   build      packaging/build-deb.sh makes a .deb (into $TM_BUILD/package/)
#   lintian    no errors (warnings and infos are printed, see packaging/README.md)
#   install/*  dpkg -i as on a fresh machine (as root; with or without
#              systemd), the programs, man pages, SQL and the user are there,
#              the unit is installed but not enabled, so is the daily jobs'
#              timer (ticketctl ticket autoclose, digest send, purge), -V, -n, --help work,
#              the daemon starts as the unit runs it
#   upgrade/*  a newer version over an edited config keeps the edit
#   purge/*    dpkg --purge leaves no file of the package behind
#
# It installs the package on this machine, so it runs only as root, and only
# when no ticket-milter package is installed already (it never replaces or
# purges an admin's installation). A lock serializes concurrent runs.
if [ -z "${TM_RESULTS:-}" ]; then
	TM_RESULTS=$(mktemp /tmp/tm-package.XXXXXX)
	own_results=$TM_RESULTS
	trap 'rm -f "$own_results"' EXIT
fi
. "$(dirname "$0")/../lib/testlib.sh"

version=$(cat "$TM_ROOT/VERSION")
work=$TM_BUILD/package
conf=/etc/ticket-milter/ticket-milter.conf
manual=$TM_ROOT/packaging/man

# summary - for `make package-check`: the result line and the exit status
summary() {
	local p f s
	p=$(grep -c "^pass	$TM_SCRIPT: " "$TM_RESULTS")
	f=$(grep -c "^fail	$TM_SCRIPT: " "$TM_RESULTS")
	s=$(grep -c "^skip	$TM_SCRIPT: " "$TM_RESULTS")
	echo "package-check: $p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
	exit
}

# config_keys - the key names of milter/core/config.c's table, one a line
config_keys() {
	sed -n 's/^ *{"\([A-Za-z-]*\)", KEY_[A-Z_]*,.*/\1/p' "$TM_ROOT/milter/core/config.c"
}

# missing_keys FILE PATTERN - the keys for which PATTERN (KEY stands for the
# key) matches no line of FILE
missing_keys() {
	local key
	for key in $(config_keys); do
		grep -q -E "${2//KEY/$key}" "$1" || printf '%s ' "$key"
	done
}

# help_commands - the commands `ticketctl --help` lists: "queue add", ...
help_commands() {
	"$1" --help | sed -n '/^commands:/,/^$/p' |
		sed -n -E 's/^  ([a-z]+( [a-z]+)?)( [^a-z].*| [a-z]*[A-Z|].*)?$/\1/p' | sort
}

# manual_commands - the commands ticketctl(8) describes in COMMANDS
manual_commands() {
	sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$manual/ticketctl.8" |
		sed -n '/^\.TP/{n;p}' |
		sed -E -e 's/^\\fB([^\\]*)\\f.*/\1/' -e 's/^\.B[IR]? +"([^"]*)".*/\1/' \
			-e 's/^\.B[IR]? +([^ ]*).*/\1/' -e 's/ +$//' | sort
}

check_docs() {
	local missing
	check_eq "docs/changelog is VERSION" "$version" \
		"$(dpkg-parsechangelog -l "$TM_ROOT/packaging/debian/changelog" -S Version)"
	missing=$(missing_keys "$manual/ticket-milter.conf.5" '^\.BI KEY ')
	check_eq "docs/every config key in ticket-milter.conf(5)" "" "$missing"
	missing=$(missing_keys "$TM_ROOT/packaging/ticket-milter.conf" '^#?KEY[[:space:]]')
	check_eq "docs/every config key in the shipped config" "" "$missing"
	if [ -x "$TM_BUILD/ticketctl" ]; then
		check_eq "docs/ticketctl(8) has the commands of ticketctl --help" \
			"$(help_commands "$TM_BUILD/ticketctl" | tr '\n' ,)" "$(manual_commands | tr '\n' ,)"
	else
		fail "docs/ticketctl(8) has the commands of ticketctl --help" "no $TM_BUILD/ticketctl"
	fi
}

# dpkg_retry ARGS - dpkg, waiting while another dpkg or apt holds its lock
dpkg_retry() {
	local out i
	for i in $(seq 60); do
		if out=$(dpkg "$@" 2>&1); then return 0; fi
		case "$out" in *lock*) sleep 5 ;; *) printf '%s\n' "$out" >&2; return 1 ;; esac
	done
	printf '%s\n' "$out" >&2
	return 1
}

# build_and_lint - make the .deb; lintian must find no error
build_and_lint() {
	local start lint
	start=$(date +%s)
	if ! bash "$TM_ROOT/packaging/build-deb.sh" "$work/deb"; then
		fail build "packaging/build-deb.sh failed"
		return 1
	fi
	deb=$(ls "$work"/ticket-milter_"$version"_*.deb)
	pass build
	echo "     (package built in $(( $(date +%s) - start )) s)"
	lint=$(lintian --pedantic -I "$deb" 2>/dev/null)
	printf '%s\n' "$lint" | sed 's/^/     lintian: /'
	echo "     lintian: $(printf '%s\n' "$lint" | grep -c '^E:') errors," \
		"$(printf '%s\n' "$lint" | grep -c '^W:') warnings," \
		"$(printf '%s\n' "$lint" | grep -c '^[IP]:') infos/pedantic"
	check_eq lintian "" "$(printf '%s\n' "$lint" | grep '^E:')"
}

# uncommented_defaults - the shipped config with every "#Key value" line on
uncommented_defaults() {
	# The alternative sockets ("#<tab>Socket ...") stay commented out: the
	# shipped Socket is the local one SocketMode and SocketGroup go with.
	sed -E -e 's/^#([A-Z][A-Za-z-]*[[:space:]])/\1/' "$conf"
}

# check_installed - what dpkg -i put on the machine works
check_installed() {
	local page
	check "install/the user and group ticket-milter exist" \
		sh -c 'id -u ticket-milter && getent group ticket-milter'
	check "install/unit installed" test -f /lib/systemd/system/ticket-milter.service
	check "install/unit not enabled" \
		test ! -e /etc/systemd/system/multi-user.target.wants/ticket-milter.service
	check "install/ticket-api's unit installed, not enabled" sh -c \
		'test -f /lib/systemd/system/ticket-api.service && test ! -e /etc/systemd/system/multi-user.target.wants/ticket-api.service'
	check "install/ticket-api -n accepts the shipped config" /usr/sbin/ticket-api -n
	check "install/the daily jobs' service and timer installed" \
		test -f /lib/systemd/system/ticket-milter-daily.service -a -f /lib/systemd/system/ticket-milter-daily.timer
	check "install/the daily service runs ticketctl ticket autoclose" \
		grep -qx 'ExecStart=/usr/sbin/ticketctl ticket autoclose' /lib/systemd/system/ticket-milter-daily.service
	check "install/the daily service runs ticketctl digest send" \
		grep -qx 'ExecStart=/usr/sbin/ticketctl digest send' /lib/systemd/system/ticket-milter-daily.service
	check "install/the daily service runs ticketctl purge" \
		grep -qx 'ExecStart=/usr/sbin/ticketctl purge' /lib/systemd/system/ticket-milter-daily.service
	check "install/the daily timer not enabled" \
		test ! -e /etc/systemd/system/timers.target.wants/ticket-milter-daily.timer
	if command -v systemd-analyze >/dev/null; then
		check "install/systemd-analyze verify accepts the units" \
			systemd-analyze verify /lib/systemd/system/ticket-milter.service \
				/lib/systemd/system/ticket-milter-daily.service /lib/systemd/system/ticket-milter-daily.timer \
				/lib/systemd/system/ticket-api.service
	fi
	check_eq "install/ticket-milter -V" "ticket-milter $version" "$(/usr/sbin/ticket-milter -V 2>&1)"
	check_eq "install/ticket-milter -n accepts the shipped config" "$conf: OK" \
		"$(/usr/sbin/ticket-milter -n 2>&1)"
	uncommented_defaults >"$work/defaults.conf"
	check_eq "install/ticket-milter -n accepts every commented default" \
		"$work/defaults.conf: OK" "$(/usr/sbin/ticket-milter -n -c "$work/defaults.conf" 2>&1)"
	check "install/ticketctl --help" sh -c '/usr/sbin/ticketctl --help | grep -q "^  init "'
	check "install/ticket-parse reads a message" sh -c \
		'printf "Subject: printer on fire\r\n\r\nhelp\r\n" | /usr/bin/ticket-parse - | grep -q "printer on fire"'
	for page in ticket-milter.8 ticket-milter.conf.5 ticketctl.8 ticket-parse.1 ticket-api.8; do
		check "install/man -w ${page%.*}(${page##*.})" man -w "${page##*.}" "${page%.*}"
	done
	check_eq "install/the SQL migrations" "$(cd "$TM_ROOT/sql" && ls [0-9]*.sql)" \
		"$(cd /usr/share/ticket-milter/sql && ls [0-9]*.sql 2>&1)"
	check_eq "install/the SQL functions" "$(cd "$TM_ROOT/sql/functions" && ls)" \
		"$(ls /usr/share/ticket-milter/sql/functions 2>&1)"
	check "install/examples" test -f /usr/share/doc/ticket-milter/examples/main.cf \
		-a -f /usr/share/doc/ticket-milter/examples/ticket-milter.mc
	check_daemon_as_the_unit_runs_it
	check_upgrade
}

# check_upgrade - the same package as a newer version over an edited config
check_upgrade() {
	local newer=${version}+upgrade-test
	echo "MtaCopy keep # a local edit" >>"$conf"
	rm -rf "$work/upgrade"
	dpkg-deb -R "$deb" "$work/upgrade"
	sed -i "s/^Version: .*/Version: $newer/" "$work/upgrade/DEBIAN/control"
	dpkg-deb -b "$work/upgrade" "$work/upgrade.deb" >/dev/null
	check "upgrade/dpkg -i of a newer version" dpkg_retry -i "$work/upgrade.deb"
	check_eq "upgrade/the newer version is installed" "$newer" \
		"$(dpkg-query -W -f='${Version}' ticket-milter)"
	check "upgrade/the edited config is kept" grep -q "a local edit" "$conf"
	check_eq "upgrade/no .dpkg-* copies of the config" "" \
		"$(ls /etc/ticket-milter | grep -v '^ticket-milter.conf$')"
}

# connects_as USER SOCKET - USER may connect to the unix socket SOCKET
connects_as() {
	runuser -u "$1" -- python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$2" 2>/dev/null
}
refused_to() { ! connects_as "$@"; }

# check_daemon_as_the_unit_runs_it - the installed daemon starts as the user
# ticket-milter with the unit's umask and runtime directory, on the shipped
# socket (made in the directory postinst made inside Postfix's chroot) and
# with no database reachable: it must listen, write its pid file, let the
# group postfix connect and nobody else, and stop on SIGTERM
check_daemon_as_the_unit_runs_it() {
	local run=/run/ticket-milter pid sock=/var/spool/postfix/ticket-milter/ticket-milter.sock
	check "install/ticket-milter -n as the user ticket-milter" \
		runuser -u ticket-milter -- /usr/sbin/ticket-milter -n
	check "install/the shipped socket is the unix socket in Postfix's chroot" \
		grep -qx "Socket[[:space:]]*local:$sock" "$conf"
	check_eq "install/the socket's directory: ticket-milter, group postfix, 2750" \
		"ticket-milter postfix 2750" "$(stat -c '%U %G %a' "$(dirname $sock)" 2>&1)"
	install -d -o ticket-milter -g ticket-milter -m 0750 "$run"
	sed -e 's|^Database.*|Database host=/nonexistent dbname=tickets user=ticket-milter|' \
		"$conf" >"$work/daemon.conf"
	chmod 644 "$work/daemon.conf"
	runuser -u ticket-milter -- sh -c "umask 0007; exec /usr/sbin/ticket-milter -f -c $work/daemon.conf" \
		>"$work/daemon.log" 2>&1 &
	if wait_for 10 test -S $sock -a -s $run/ticket-milter.pid; then
		pass "install/the daemon starts as the unit runs it"
		check_eq "install/the socket: SocketMode 0660, SocketGroup postfix" "srw-rw---- ticket-milter postfix" \
			"$(stat -c '%A %U %G' $sock)"
		check "install/the user postfix (smtpd) connects" connects_as postfix $sock
		check "install/another local user cannot connect" refused_to nobody $sock
		pid=$(cat $run/ticket-milter.pid)
		kill -TERM "$pid"
		check "install/the daemon stops on SIGTERM and removes its pid file" \
			wait_for 10 sh -c "! kill -0 $pid && test ! -e $run/ticket-milter.pid"
	else
		fail "install/the daemon starts as the unit runs it" "$(tail -n 5 "$work/daemon.log")"
	fi
	kill %% 2>/dev/null
	wait
	rm -rf "$run"
}

# leftovers - what of the package is still on the machine after the purge
leftovers() {
	local path
	while read -r path; do
		[ -e "$path" ] || [ -L "$path" ] || continue
		# What other packages share (/usr/sbin, ...) stays.
		[ "$path" = /. ] || dpkg -S "$path" >/dev/null 2>&1 && continue
		echo "$path"
	done <"$work/files"
	find /etc/systemd /var/lib/systemd /run -name '*ticket-milter*' 2>/dev/null
}

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null; then
	skip package "needs root, dpkg-buildpackage and lintian (make deps installs them)"
	summary
fi
check_docs
# Another run of this test (another tree on this machine) must not purge
# the package this one is trying.
mkdir -p /run/lock
exec 9>/run/lock/tm-package-check.lock
flock -w 900 9 || { fail package "another package check held the lock for 15 minutes"; summary; }
mkdir -p "$work"
build_and_lint || summary
if [ "$(dpkg-query -W -f='${Status}' ticket-milter 2>/dev/null)" = "install ok installed" ]; then
	skip install "a ticket-milter package is installed here; the test does not replace it"
	summary
fi
trap 'dpkg --purge ticket-milter >/dev/null 2>&1; rm -f "${own_results:-}"' EXIT
if dpkg_retry -i "$deb"; then
	pass "install/dpkg -i"
	dpkg -L ticket-milter >"$work/files"
	check_installed
else
	fail "install/dpkg -i" "dpkg -i $deb failed"
fi
check "purge/dpkg --purge" dpkg_retry --purge ticket-milter
check_eq "purge/no file left behind" "" "$(leftovers | tr '\n' ' ')"
check "purge/the socket's directory is gone" test ! -e /var/spool/postfix/ticket-milter
summary
