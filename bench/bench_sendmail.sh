#!/usr/bin/env bash
# bench_sendmail.sh - the "## Mail through Sendmail" section of
# BENCHMARKS.md: what ticket-milter costs Sendmail. Debian's Sendmail,
# private (tests/lib/sendmail.sh; fetched by scripts/fetch-sendmail.sh),
# with README's INPUT_MAIL_FILTER and DAEMON_OPTIONS lines: throughput
# with Postfix's smtp-source into the daemon without the filter (Sendmail
# alone), and into the daemon with it, for other mail and for support
# mail stored. Everything runs in a network namespace of its own
# (PostgreSQL, Postfix, Sendmail, ticket-milter), deleted afterwards.
# Prints figures only; never fails on timings.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export TM_ROOT=$root TM_BUILD=${TM_BUILD:-$root/build}
. "$root/tests/lib/authns.sh"
NS=tm-sm-bench-$$
RUNS=${BENCH_SENDMAIL_RUNS:-3}		# runs of each throughput figure
MSGS=${BENCH_SENDMAIL_MESSAGES:-2000}	# messages per smtp-source run
SESS=${BENCH_SENDMAIL_SESSIONS:-20}	# its parallel sessions

if [ "${1:-}" != "--inside" ]; then
	echo "## Mail through Sendmail"
	echo
	# Fetched outside: the namespace has no network.
	if ! bash "$root/scripts/fetch-sendmail.sh" >/dev/null 2>&1; then
		echo "No private Sendmail (scripts/fetch-sendmail.sh could not fetch it): not measured."
		exit 0
	fi
	trap 'authns_down "$NS"' EXIT
	if ! authns_up "$NS" >/dev/null 2>&1; then
		echo "No network namespace here: not measured."
		exit 0
	fi
	ip netns exec "$NS" bash "$0" --inside
	exit 0
fi

# --- inside the namespace ---
export SVC_DIR=$root/var/bench-sendmail
. "$root/tests/lib/env.sh"
. "$root/tests/lib/sendmail.sh"
. "$root/bench/mta_config.sh"
# A durable cluster (fsync, synchronous_commit, full_page_writes on), as
# the Postfix figures and a mail admin's server.
bench_pg_durable
trap 'sm_down; milter_stop; env_down' EXIT
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
env_up >/dev/null 2>&1 && env_load || { echo "PostgreSQL and Postfix did not start: not measured."; exit 0; }
sm_fetch >/dev/null 2>&1 || { echo "The private Sendmail does not run: not measured."; exit 0; }
milter_start >/dev/null 2>&1
sm_up >/dev/null 2>&1 || { echo "Sendmail did not start: not measured."; exit 0; }

. "$root/bench/lib.sh"
# rate PORT RCPT - messages per second that the daemon on PORT accepts
# from smtp-source; Sendmail's and Postfix's queues empty before and after
rate() {
	local t0 t1
	sm_queue_wait 300; postfix_queue_wait 300
	t0=$(date +%s%N)
	smtp-source -s "$SESS" -m "$MSGS" -l 4096 -f a@sender.test -t "$2" 127.0.0.1:"$1" >/dev/null 2>&1 || { echo -; return; }
	t1=$(date +%s%N)
	sm_queue_wait 300; postfix_queue_wait 300
	awk -v n="$MSGS" -v ns=$((t1 - t0)) 'BEGIN { r = n / (ns / 1e9); printf(r < 100 ? "%.1f" : "%.0f", r) }'
}

declare -A R M
stored0=$(sql "SELECT count(*) FROM messages")
for round in $(seq 1 "$RUNS"); do
	R[a]+=" $(rate "$SM_OUTBOX_PORT" x@discard.test)"
	R[b]+=" $(rate "$SM_PORT" x@discard.test)"
	R[c]+=" $(rate "$SM_PORT" support@help.test)"
	R[p]+=" $(rate "$PF_INJECT_PORT" x@discard.test)"
done
for k in a b c p; do M[$k]=$(median ${R[$k]}); done
stored=$(( $(sql "SELECT count(*) FROM messages") - stored0 ))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
version=$("$SM_BIN" -d0.1 -bt -C /dev/null </dev/null 2>&1 | awk '/^Version/ { print $2; exit }')
# shown - the harness's sendmail.mc as the reader should see it
mc=$(grep -v '^divert\|^#' "$SVC_REAL/sendmail/sendmail.mc" | sed -e "s|$SVC_REAL|SVC_DIR|g" -e "s|$root/||g")

cat <<MD
\`make bench\` on $(date -u +%Y-%m-%d): $(nproc) CPUs, Sendmail $version (Debian 12's
sendmail-bin, unpacked privately: bench/bench_sendmail.sh), PostgreSQL
$(psql -X -At -c 'SHOW server_version' | cut -d' ' -f1) (fsync $(psql -X -At -c 'SHOW fsync')), ticket-milter normal build (-O2) with its defaults.
One machine, in a network namespace of its own; load average before and
after: $load_before / $load_after (the machine's other work makes the
figures noisier; the ratios compare runs interleaved in the same
minutes). Medians of $RUNS runs.

\`smtp-source -s $SESS -m $MSGS -l 4096 -f a@sender.test -t RCPT 127.0.0.1:PORT\`:
messages per second accepted, Sendmail's and Postfix's queues empty
before each run. One Sendmail instance with two daemons: README's
\`DAEMON_OPTIONS\` line (\`InputMailFilters=\` empty: no filter, the one
\`OutboxRelay\` names) and the daemon with README's \`INPUT_MAIL_FILTER\`
line.

| | configuration | RCPT | messages/s | runs |
|---|---|---|---|---|
| a | Sendmail alone (the daemon without the filter) | x@discard.test (discarded by Sendmail) | ${M[a]} | ${R[a]} |
| b | Sendmail with ticket-milter, mail not for support | x@discard.test | ${M[b]} | ${R[b]} |
| c | Sendmail with ticket-milter, support mail stored (\`MtaCopy remove\`) | support@help.test | ${M[c]} | ${R[c]} |
| p | Postfix alone, for comparison (the harness's listener without milters) | x@discard.test (Postfix's discard transport) | ${M[p]} | ${R[p]} |

Ratios: **(b)/(a) $(ratio "${M[b]}" "${M[a]}")**, **(c)/(a) $(ratio "${M[c]}" "${M[a]}")**; $stored support messages stored
in all. Sendmail forks a process per SMTP session and another per
delivery, and writes and fsyncs a data and a control file per message
(\`SuperSafe\`), where Postfix hands mail between resident processes: that
is why (a) is below (p). Support mail that ticket-milter stores is
discarded at the end of DATA, so (c) skips the delivery that (a) and (b)
pay (a process and a program per message here).

### Settings of the Sendmail benchmark

The sendmail.mc the harness builds (tests/lib/sendmail.sh, for
t_sendmail too), SVC_DIR standing for its state directory; sendmail.cf
is made from it with m4 and Debian's sendmail-cf:

\`\`\`
$mc
\`\`\`

Each line that is not README's, and why:

| setting | why |
|---|---|
| \`OSTYPE(linux)\` | Sendmail's own OS defaults; Debian's \`OSTYPE(debian)\` and sendmail.mc name files under /etc/mail, which a private instance must not touch |
| \`confDOMAIN_NAME\` | a name of a test domain that nothing resolves |
| \`QUEUE_DIR\`, \`confPID_FILE\`, \`STATUS_FILE\`, \`ALIAS_FILE\`, \`HELP_FILE\` | a private instance: every file under the benchmark's directory (the aliases file empty) |
| \`confSERVICE_SWITCH_FILE\` | host names from files only: no DNS is asked, so nothing waits for a resolver |
| \`confDONT_PROBE_INTERFACES\` | the machine's other addresses are not taken for local ones |
| \`confQUEUE_LA\`, \`confREFUSE_LA\` (1000) | Sendmail queues mail instead of delivering it above a load average of 8 and refuses connections above 12 (its defaults); a shared machine reaches that, and the figures would measure the load average |
| \`SMART_HOST\` (\`relay:[127.0.0.1]\`), \`RELAY_MAILER_ARGS\` | all mail not discarded goes on to the harness's Postfix listener without milters, which keeps it on the machine (the notifications of t_sendmail; here nothing goes there) |
| \`FEATURE(no_default_msa)\`, \`DAEMON_OPTIONS(Port=...)\` | loopback only, on the harness's ports, no submission port |
| \`FEATURE(nocanonify)\`, \`FEATURE(accept_unresolvable_domains)\` | the test domains resolve nowhere |
| \`RELAY_DOMAIN\` | the queues' domains are accepted from any client, as an MX for them does |
| \`Mdiscard\` and the \`LOCAL_RULE_0\` rule | @discard.test is delivered to a program that reads and drops it, as the Postfix figures' discard transport |

Debian's own sendmail.mc (sendmail-base) also sets
\`confCONNECTION_RATE_THROTTLE\` 15 (connections per second, per daemon),
\`FEATURE(greet_pause)\` of 1 s for clients not exempt in the access
database, and \`ratecontrol\` / \`conncontrol\`: a stock Debian Sendmail
takes at most 15 new connections per second whatever the filter, so
these figures are Sendmail's own defaults plus README's lines.
MD
