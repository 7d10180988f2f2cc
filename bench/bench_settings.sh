#!/usr/bin/env bash
# bench_settings.sh - the "## Settings of the benchmarks" section of
# BENCHMARKS.md: every setting of the Postfix, ticket-milter and PostgreSQL
# that `make bench` runs which is not the software's default, with the
# reason. The configuration is generated as the benchmarks generate it
# (scripts/services.sh, bench/mta_config.sh) into a temporary directory and
# read back with postconf; nothing is started. A setting this script has no
# reason for is printed as such, so the list cannot silently fall behind.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build}
tmp=$(mktemp -d /tmp/tm-bench-settings.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export SVC_DIR=$tmp/svc
. "$root/tests/lib/env.sh"
. "$root/bench/mta_config.sh"
disposable=$(grep -o -E '(fsync|synchronous_commit|full_page_writes)=off' <<<"$PG_SETTINGS" | sed 's/.*/`&`/' | paste -sd' ')
bench_pg_durable
svc_setup_dir || exit 1
postfix_config >/dev/null
pf=$SVC_REAL/postfix/etc
bench_mta_config "$pf" "$((PF_PORT + 10))" "$SVC_REAL/milter.sock"
export PG_CONNINFO="host=127.0.0.1 port=$PG_PORT user=ticket dbname=tickets"
milter_config "$tmp/ticket-milter.conf" "$MILTER_PORT"

# shown - a value as the reader should see it: the state directory by name
shown() { sed -e "s|$SVC_REAL|SVC_DIR|g" -e "s|$root/||g" -e 's/|/\\|/g'; }

declare -A WHY=(
	[config_directory]="the instance's own configuration directory (postfix -c)"
	[compatibility_level]="as Debian 12's stock main.cf"
	[queue_directory]="a private instance: its state under the benchmark's directory"
	[data_directory]="a private instance: its state under the benchmark's directory"
	[myhostname]="names of a test domain that nothing resolves"
	[mydomain]="names of a test domain that nothing resolves"
	[myorigin]="names of a test domain that nothing resolves"
	[inet_interfaces]="loopback only"
	[inet_protocols]="loopback only"
	[mydestination]="no local(8) delivery: every address is a virtual mailbox or a test transport"
	[alias_maps]="no system alias file"
	[alias_database]="no system alias file"
	[mynetworks]="the load generators on loopback may send to any test domain"
	[smtpd_relay_restrictions]="the load generators on loopback may send to any test domain, and mail to other domains is refused (5xx, not Postfix's deferral), so nothing leaves the machine"
	[maillog_file]="Postfix's log in a file of the instance instead of syslog"
	[maillog_file_prefixes]="Postfix's log in a file of the instance instead of syslog"
	[recipient_delimiter]="README's line: reply addresses (support+TOKEN@...)"
	[virtual_mailbox_domains]="every domain is delivered by virtual(8) into the instance's directory, so nothing leaves the machine (README's example lists only the queue's domain)"
	[virtual_mailbox_base]="virtual(8) delivers into the instance's directory"
	[virtual_mailbox_maps]="virtual(8) delivers into the instance's directory; mail that is not for a test mailbox lands in one Maildir"
	[virtual_uid_maps]="virtual(8) writes as the postfix user"
	[virtual_gid_maps]="virtual(8) writes as the postfix group"
	[transport_maps]="test domains: @discard.test discarded (the 'other mail' of the figures), @relay.test and @peer.test relayed to the instance's own milter ports"
	[smtpd_milters]="README's line, with the benchmark's port"
	[non_smtpd_milters]="README's OutboxRelay listener has none; set empty for all local submissions too (Postfix's default)"
	[milter_default_action]="README's line: tempfail while the daemon is down"
	[message_size_limit]="Mail through Postfix: room for the 50 MB message"
	[virtual_mailbox_limit]="virtual(8) refuses to run with a limit below message_size_limit; it delivers the realistic queue's confirmations and notifications"
	[default_process_limit]="Mail through Postfix: 200 SMTP sessions at once for the memory figures (it also sizes Postfix's in-flow token pool, 400 instead of 100)"
	[cleanup_service_name]="README's line: the smtpds with the milter, and the listener for OutboxRelay, hand their mail to ticket-cleanup"
	[in_flow_delay]="README's line, on ticket-cleanup only: Postfix never returns the in-flow token of mail the milter discards"
	[smtpd_milters@inject]="README's OutboxRelay listener: no milter (also the figures without a milter, a)"
	[myhostname@service]="the help desks' host names in their Received fields"
	[sasl@service]="the tests' smtpd with the milter and SMTP AUTH (Cyrus SASL, a private sasldb: agents log in, t_sasl.sh); the benchmarks send nothing to it"
)

echo "## Settings of the benchmarks"
echo
cat <<MD
What \`make bench\` runs with that is not the default of Postfix $(postconf -d -h mail_version),
ticket-milter or PostgreSQL, and why (bench/bench_settings.sh reads it
back from the configuration the benchmarks generate: scripts/services.sh,
the tests' harness, and bench/mta_config.sh). Postfix's \`in_flow_delay\`
keeps its default ($(postconf -d -h in_flow_delay)); the smtpds with ticket-milter and the listener
for \`OutboxRelay\` name the cleanup service \`ticket-cleanup\` with
\`in_flow_delay=0\`, as README tells a mail admin ("Installing the Debian
package", step 4). Until 2026-12-02 the harness set \`in_flow_delay = 0\`
in main.cf for all of Postfix instead (and \`milter_connect_macros\` with
\`{client_addr}\`, which ticket-milter does not use: it asks for the
client's address with MAIL FROM): the figures are comparable, as both
take the delay off the mail the milter discards and off the listener
without milters; without either, support mail is taken at about 20
messages/s from 20 sessions.

### Postfix main.cf (\`postconf -n\`)

| setting | why |
|---|---|
MD
postconf -c "$pf" -n | while IFS= read -r line; do
	name=${line%% =*}
	printf '| `%s` | %s |\n' "$(shown <<<"$line")" "${WHY[$name]:-no reason recorded: add one to bench/bench_settings.sh}"
done
cat <<MD

### Postfix master.cf

Postfix's own services as in Debian's master.cf, none chrooted (a private
instance's queue directory holds no files for a chroot), and these
listeners with their settings (\`postconf -M\` and \`postconf -P\`; ports
as in the tests' defaults):

| service | why |
|---|---|
MD
postconf -c "$pf" -M | awk '$2 == "inet" || $1 == "ticket-cleanup"' | while IFS= read -r line; do
	svc=${line%% *}
	case "$svc" in
	"127.0.0.1:$PF_PORT") why="the smtpd with ticket-milter (README's \`smtp inet\` line)" ;;
	"127.0.0.1:$PF_INJECT_PORT") why="README's listener for OutboxRelay, without milters; the figures without a milter (a)" ;;
	"127.0.0.1:$PF_PEER_PORT") why="a second help desk's smtpd (tests of two help desks mailing each other)" ;;
	"127.0.0.1:$PF_SASL_PORT") why=${WHY[sasl@service]} ;;
	"127.0.0.1:$((PF_PORT + 10))") why="Mail through Postfix: the smtpd whose milter is on a unix socket" ;;
	ticket-cleanup) why="README's cleanup service for the smtpds with the milter" ;;
	*) why="no reason recorded: add one to bench/bench_settings.sh" ;;
	esac
	printf '| `%s` | %s |\n' "$(tr -s ' ' <<<"$line" | shown)" "$why"
done
echo
echo "| service setting | why |"
echo "|---|---|"
postconf -c "$pf" -P | while IFS= read -r line; do
	param=${line%% =*}; param=${param##*/}
	svc=${line%%/*}
	case "$param:$svc" in
	smtpd_milters:"127.0.0.1:$PF_INJECT_PORT" | non_smtpd_milters:*) why=${WHY[smtpd_milters@inject]} ;;
	smtpd_milters:*) why="that smtpd's milter: the second help desk's, or ticket-milter on a unix socket" ;;
	myhostname:*) why=${WHY[myhostname@service]} ;;
	smtpd_sasl_*:* | cyrus_sasl_config_path:*) why=${WHY[sasl@service]} ;;
	*) why=${WHY[$param]:-no reason recorded: add one to bench/bench_settings.sh} ;;
	esac
	printf '| `%s` | %s |\n' "$(shown <<<"$line")" "$why"
done
cat <<MD

### ticket-milter

Its config file as the benchmarks write it (scripts/services.sh
\`milter_config\`); each figure says which of \`VerifySenders\` yes (the
default) or no it ran with.

| setting | why |
|---|---|
MD
grep -v -E '^[[:space:]]*(#|$)' "$tmp/ticket-milter.conf" | while read -r key value; do
	case "$key" in
	Socket) why="the port Postfix's smtpd_milters names" ;;
	Database) why="the private PostgreSQL" ;;
	PidFile | TemporaryDirectory) why="files under the benchmark's directory" ;;
	Syslog) why="logs to the file the figures read (\`db_ms\`, \`auth_ms\`) instead of syslog" ;;
	MtaCopy) why="the default, written out" ;;
	OutboxRelay) why="README's listener without milters (default 127.0.0.1:25)" ;;
	DatabaseTimeout) why="the tests' shorter database wait (default 20s); never reached in the benchmarks" ;;
	UserID) why="the user the benchmark runs as: ticket-milter refuses to run as root without UserID" ;;
	*) why="no reason recorded: add one to bench/bench_settings.sh" ;;
	esac
	printf '| `%s %s` | %s |\n' "$key" "$(shown <<<"$value")" "$why"
done
cat <<MD

### PostgreSQL

The benchmarks' cluster, $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 | sed 's|.*/postgresql/\([0-9]*\)/bin|version \1|'), is durable: the private cluster of
\`make run\` and the tests (scripts/services.sh \`PG_SETTINGS\`) sets
$(echo $disposable | sed 's/ /, /g') (a disposable cluster, for a demo and
for tests); bench/mta_config.sh \`bench_pg_durable\` leaves them out, so
they keep PostgreSQL's defaults (on), as on a mail admin's server: the
250 that accepts support mail promises that it is stored, and each
ingest commit waits for its WAL to reach the disk. What it runs with:

| setting | why |
|---|---|
MD
for s in $PG_SETTINGS; do
	[ "$s" = -c ] && continue
	case "${s%%=*}" in
	listen_addresses) why="loopback only" ;;
	unix_socket_directories) why="no unix socket: everything over loopback TCP, as a deep checkout path could exceed the socket path limit" ;;
	max_connections) why="two daemons' connections (\`DatabaseConnections\` 20 each) and the tests' clients" ;;
	track_wal_io_timing) why="the time in WAL fsyncs and writes per message that Mail through Postfix shows (pg_stat_wal); a clock read per WAL write" ;;
	*) why="no reason recorded: add one to bench/bench_settings.sh" ;;
	esac
	printf '| `%s` | %s |\n' "$s" "$why"
done
cat <<MD

Two rows of Mail through Postfix change a setting for the database
(\`ALTER DATABASE tickets SET\`, then reset): \`synchronous_commit = off\`, to
show what the wait for the disk at commit costs, and \`commit_delay =
1000\` (microseconds; default 0), group commit, a setting a mail admin
could choose; each row names it. The queues are ticketctl's data, not
settings: \`support@help.test\` with \`--confirm never\` and no agents
(mail stored only), \`desk@help.test\` with the default \`--confirm
authenticated\` and two agents (the realistic queue).
MD
