# mta_config.sh - what bench_mta.sh changes in the harness's Postfix and
# PostgreSQL (scripts/services.sh); sourced by bench_mta.sh, and by bench_settings.sh
# to list it in BENCHMARKS.md.
#
#   bench_mta_config CONFIG_DIR UNIX_PORT SOCKET
#	room for the 50 MB message (message_size_limit, and virtual(8)'s
#	virtual_mailbox_limit, which may not be smaller) and for 200 SMTP
#	sessions at once (default_process_limit), and a third smtpd, on
#	127.0.0.1:UNIX_PORT, whose milter is on the unix socket SOCKET (the
#	milter socket's two forms); like every smtpd with the milter it names
#	README's cleanup service ticket-cleanup.
#
#   bench_pg_durable
#	PG_SETTINGS for the benchmark's cluster: durable (see below)

# bench_mta_config CONFIG_DIR UNIX_PORT SOCKET - change the configuration files
bench_mta_config() {
	postconf -c "$1" -e message_size_limit=60000000 virtual_mailbox_limit=60000000 default_process_limit=400
	printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_milters=unix:%s\n  -o cleanup_service_name=ticket-cleanup\n' \
		"$2" "$3" >>"$1/master.cf"
}

# bench_pg_durable - the benchmark's PostgreSQL: the harness's PG_SETTINGS
# without fsync=off, synchronous_commit=off and full_page_writes=off, so
# each ingest commit waits for its WAL to reach the disk, as on a mail
# admin's server (the 250 that accepts support mail promises it is
# stored); and track_wal_io_timing=on, for the time in fsync the figures
# show (pg_stat_wal). make run and the tests keep their disposable cluster.
bench_pg_durable() {
	PG_SETTINGS=$(sed -E 's/ -c (fsync|synchronous_commit|full_page_writes)=off//g' <<<"$PG_SETTINGS")
	PG_SETTINGS+=" -c track_wal_io_timing=on"
}
