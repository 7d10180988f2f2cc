/*++
/* NAME
/*	ticket-api 8
/* SUMMARY
/*	the REST API of ticket-milter's tickets
/* SYNOPSIS
/*	ticket-api [-c FILE] [-f] [-n] [-p PIDFILE]
/* DESCRIPTION
/*	ticket-api serves the tickets of every region over HTTP (JSON,
/*	api/openapi.yaml), for the keys ticketctl apikey makes. It reads
/*	ticket-milter's configuration file (-c, default
/*	/etc/ticket-milter/ticket-milter.conf): the regions' databases,
/*	DatabaseTimeout, and the Api* keys. -n checks the file and exits;
/*	-f logs to stderr; -p writes the process id to PIDFILE.
/*
/*	Thread model: libmicrohttpd's thread per connection, with at most
/*	ApiThreads connections. A handler blocks on its database query
/*	(query(3), bounded by DatabaseTimeout) in its own thread, so a
/*	slow query stalls only its own client; with a polling thread pool
/*	each connection is pinned to one worker and a blocking query would
/*	stall the worker's other connections too. Each region has a
/*	connection pool (store(3)) of ApiThreads connections, one a thread
/*	at most. A connection idle for 30 seconds is closed (slowloris),
/*	and a request's headers must fit 32 KiB (else 431, by
/*	libmicrohttpd).
/*
/*	SIGTERM or SIGINT stops it: it stops accepting, finishes the
/*	requests under way and exits.
/*--*/

/* System library. */
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/region.h>
#include <milter/core/store.h>

/* Application-specific. */
#include <api/api.h>
#include <api/api_http.h>

#define API_IDLE_TIMEOUT	30	/* seconds a connection may idle */
#define API_HEADER_MEMORY	(32 * 1024)	/* a request's headers and URL */

/* api_usage - how to call it */

static void api_usage(void)
{
    fprintf(stderr, "usage: ticket-api [-c FILE] [-f] [-n] [-p PIDFILE]\n");
    exit(2);
}

/* api_address - ApiSocket as an address; exits on a bad one */

static struct addrinfo *api_address(const char *spec)
{
    struct addrinfo hints = {0}, *ai;
    const char *port = strchr(spec, ':') + 1, *at = strchr(spec, '@');
    char   *service, *host;
    int     err;

    if (!g_str_has_prefix(spec, "inet:") && !g_str_has_prefix(spec, "inet6:"))
	msg_fatal("ApiSocket: only inet:PORT@HOST or inet6:PORT@HOST, got \"%s\"", spec);
    service = g_strndup(port, at ? (size_t) (at - port) : strlen(port));
    host = g_strdup(at ? at + 1 : (spec[4] == '6' ? "::1" : "127.0.0.1"));
    hints.ai_family = spec[4] == '6' ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((err = getaddrinfo(host, service, &hints, &ai)) != 0)
	msg_fatal("ApiSocket %s: %s", spec, gai_strerror(err));
    g_free(service);
    g_free(host);
    return (ai);
}

/* api_start - the HTTP daemon on ApiSocket */

static struct MHD_Daemon *api_start(API *api, const struct sockaddr *addr)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION
    | MHD_USE_ERROR_LOG | (addr->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0);

    return (MHD_start_daemon(flags, 0, NULL, NULL, api_http_access, api,
			     MHD_OPTION_SOCK_ADDR, addr,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned) api->config->api_threads,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) API_IDLE_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) API_HEADER_MEMORY,
			     MHD_OPTION_NOTIFY_COMPLETED, api_http_completed, api,
			     MHD_OPTION_END));
}

/* api_wait - block until SIGTERM or SIGINT */

static void api_wait(const sigset_t *set)
{
    int     sig;

    while (sigwait(set, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
	 /* void */ ;
}

/* api_check_regions - refuse a Region line that names another region's
 * database; a region away now is answered 503 until it comes */

static void api_check_regions(const CONFIG *config)
{
    for (int r = 0; r < config->region_count; r++) {
	TM_ERROR err;
	PGconn *conn = store_connect(config->regions[r].conninfo, config->database_timeout, &err);

	if (conn == NULL) {
	    msg_warn("region %s: %s; its tickets are answered 503 until it is reachable",
		     config->regions[r].name, err.text);
	    continue;
	}
	if (region_verify(conn, config, r, &err) > 0)
	    msg_fatal("%s", err.text);
	PQfinish(conn);
    }
}

/* api_pid_file - write the process id */

static void api_pid_file(const char *path)
{
    FILE   *fp = fopen(path, "w");

    if (fp == NULL || fprintf(fp, "%ld\n", (long) getpid()) < 0 || fclose(fp) != 0)
	msg_fatal("pid file %s: %m", path);
}

int     main(int argc, char **argv)
{
    const char *path = "/etc/ticket-milter/ticket-milter.conf", *pid_file = NULL;
    int     ch, foreground = 0, check = 0;
    TM_ERROR err;
    API     api = {0};
    CONFIG *config;
    struct addrinfo *ai;
    struct MHD_Daemon *daemon;
    sigset_t set;

    log_init("ticket-api", 1, 0);		/* stderr until the config says */
    while ((ch = getopt(argc, argv, "c:fnp:")) != -1) {
	switch (ch) {
	case 'c': path = optarg; break;
	case 'f': foreground = 1; break;
	case 'n': check = 1; break;
	case 'p': pid_file = optarg; break;
	default: api_usage();
	}
    }
    if (optind != argc)
	api_usage();
    if ((config = config_load(path, &err)) == NULL)
	msg_fatal("%s", err.text);
    ai = api_address(config->api_socket);
    if (check) {
	printf("%s: OK\n", path);
	return (0);
    }
    log_init("ticket-api", foreground || !config->syslog, config->syslog_facility);
    log_set_verbose(config->log_verbose);
    api.config = config;
    api_check_regions(config);
    api.stores = g_new0(STORE *, config->region_count);
    for (int r = 0; r < config->region_count; r++)
	api.stores[r] = store_create(config->regions[r].conninfo, config->api_threads,
				     config->database_timeout);
    pthread_mutex_init(&api.rate_lock, NULL);
    api.rates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    /* The connection threads inherit the mask: signals come to sigwait(). */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((daemon = api_start(&api, ai->ai_addr)) == NULL)
	msg_fatal("ApiSocket %s: cannot listen (in use, or no such address)", config->api_socket);
    freeaddrinfo(ai);
    if (pid_file)
	api_pid_file(pid_file);
    msg_info("listening on %s, %d regions, at most %d connections", config->api_socket,
	     config->region_count, config->api_threads);
    api_wait(&set);
    msg_info("stopping");
    MHD_stop_daemon(daemon);
    if (pid_file)
	unlink(pid_file);
    for (int r = 0; r < config->region_count; r++)
	store_free(api.stores[r]);
    g_free(api.stores);
    g_hash_table_destroy(api.rates);
    pthread_mutex_destroy(&api.rate_lock);
    config_free(config);
    return (0);
}
