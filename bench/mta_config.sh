# mta_config.sh - what bench_mta.sh adds to the harness's Postfix
# (scripts/services.sh); sourced by bench_mta.sh, and by bench_settings.sh
# to list it in BENCHMARKS.md.
#
#   bench_mta_config CONFIG_DIR UNIX_PORT SOCKET
#	room for the 50 MB message (message_size_limit) and for 200 SMTP
#	sessions at once (default_process_limit), and a third smtpd, on
#	127.0.0.1:UNIX_PORT, whose milter is on the unix socket SOCKET (the
#	milter socket's two forms); like every smtpd with the milter it names
#	README's cleanup service ticket-cleanup.

# bench_mta_config CONFIG_DIR UNIX_PORT SOCKET - change the configuration files
bench_mta_config() {
	postconf -c "$1" -e message_size_limit=60000000 default_process_limit=400
	printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_milters=unix:%s\n  -o cleanup_service_name=ticket-cleanup\n' \
		"$2" "$3" >>"$1/master.cf"
}
