/*++
/* NAME
/*	ticket-milter 8
/* SUMMARY
/*	turn mail to support addresses into tickets in PostgreSQL
/* SYNOPSIS
/*	ticket-milter [-c FILE] [-f] [-n] [-v] [-V]
/* DESCRIPTION
/*	The daemon: read the configuration, open the milter socket, drop
/*	privileges, then serve the MTA until SIGTERM (libmilter also stops
/*	on SIGHUP and SIGINT). See ticket-milter(8).
/*
/*	-c FILE	configuration file (default /etc/ticket-milter/ticket-milter.conf)
/*	-f	stay in the foreground and log to stderr
/*	-n	check the configuration and exit
/*	-v	verbose (debug) logging
/*	-V	print the version and exit
/*--*/

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include <milter/callbacks.h>
#include <milter/config.h>
#include <milter/log.h>
#include <milter/migrations.h>
#include <milter/queue_cache.h>
#include <milter/store.h>

#define DEFAULT_CONFIG	"/etc/ticket-milter/ticket-milter.conf"

/* usage - explain the command line and exit */

static void usage(void)
{
    fprintf(stderr, "usage: ticket-milter [-c FILE] [-f] [-n] [-v] [-V]\n"
	    "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       verbose logging\n"
	    "  -V       print the version and exit\n");
    exit(2);
}

/* drop_privileges - become UserID (user[:group]) */

static void drop_privileges(const char *user_id)
{
    char   *user = g_strdup(user_id);
    char   *group = strchr(user, ':');
    struct passwd *pw;
    gid_t   gid;

    if (group)
	*group++ = 0;
    if ((pw = getpwnam(user)) == NULL)
	msg_fatal("UserID: no such user \"%s\"", user);
    gid = pw->pw_gid;
    if (group) {
	struct group *gr = getgrnam(group);

	if (gr == NULL)
	    msg_fatal("UserID: no such group \"%s\"", group);
	gid = gr->gr_gid;
    }
    if (getuid() != pw->pw_uid) {
	if (initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0)
	    msg_fatal("UserID: cannot become %s: %m", user_id);
    }
    g_free(user);
}

/* daemonize - detach from the terminal */

static void daemonize(void)
{
    int     fd;

    switch (fork()) {
    case -1:
	msg_fatal("fork: %m");
    case 0:
	break;
    default:
	_exit(0);
    }
    setsid();
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
	    close(fd);
    }
}

/* write_pid_file - record our process id */

static void write_pid_file(const char *path)
{
    FILE   *fp = fopen(path, "w");

    if (fp == NULL || fprintf(fp, "%ld\n", (long) getpid()) < 0 || fclose(fp) != 0)
	msg_fatal("PidFile %s: cannot write: %m", path);
}

/* check_database - warn early about a database that is away or too old */

static void check_database(const CONFIG *config)
{
    TM_ERROR err;
    PGconn *conn = store_connect(config->database, config->database_timeout, &err);

    if (conn == NULL) {
	msg_warn("%s; support mail is tempfailed until it is reachable", err.text);
	return;
    }
    if (migrations_check(conn, &err) < 0) {
	PQfinish(conn);
	msg_fatal("%s", err.text);
    }
    PQfinish(conn);
}

/* prepare_socket - remove a stale local socket, set the connection spec */

static void prepare_socket(const char *spec)
{
    const char *path = NULL;

    if (strncmp(spec, "local:", 6) == 0)
	path = spec + 6;
    else if (strncmp(spec, "unix:", 5) == 0)
	path = spec + 5;
    if (path && unlink(path) < 0 && errno != ENOENT)
	msg_fatal("Socket %s: cannot remove the old socket: %m", path);
    if (smfi_setconn((char *) spec) != MI_SUCCESS)
	msg_fatal("Socket %s: not a valid socket specification", spec);
}

int     main(int argc, char **argv)
{
    const char *config_path = DEFAULT_CONFIG;
    int     foreground = 0, check_only = 0, verbose = 0;
    CONFIG *config;
    STORE  *store;
    TM_ERROR err;
    int     ch, status;

    while ((ch = getopt(argc, argv, "c:fnvV")) != -1) {
	switch (ch) {
	case 'c':
	    config_path = optarg;
	    break;
	case 'f':
	    foreground = 1;
	    break;
	case 'n':
	    check_only = 1;
	    break;
	case 'v':
	    verbose = 1;
	    break;
	case 'V':
	    printf("ticket-milter %s\n", TM_VERSION);
	    return (0);
	default:
	    usage();
	}
    }
    if (optind != argc)
	usage();
    if ((config = config_load(config_path, &err)) == NULL) {
	fprintf(stderr, "ticket-milter: %s\n", err.text);
	return (1);
    }
    if (check_only) {
	printf("%s: OK\n", config_path);
	config_free(config);
	return (0);
    }
    log_init("ticket-milter", foreground || !config->syslog, config->syslog_facility);
    log_set_verbose(verbose || config->log_verbose);
    mail_parser_init();

    prepare_socket(config->socket);
    smfi_settimeout(config->milter_timeout);
    if (smfi_register(callbacks_desc) != MI_SUCCESS)
	msg_fatal("smfi_register failed");
    if (smfi_opensocket(1) != MI_SUCCESS)
	msg_fatal("Socket %s: cannot listen (in use, or no permission)", config->socket);
    if (config->user_id)
	drop_privileges(config->user_id);
    check_database(config);
    if (!foreground)
	daemonize();
    if (config->pid_file)
	write_pid_file(config->pid_file);

    /*
     * libmilter's own thread waits for SIGTERM, SIGHUP and SIGINT with
     * sigwait(); threads we start must not take them, so block them first.
     */
    sigset_t stop_signals;

    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    store = store_create(config->database, config->database_connections,
			 config->database_timeout);
    callbacks_init(config, store);
    queue_cache_start(config->database, config->queue_refresh, config->database_timeout);
    msg_info("ticket-milter %s listening on %s", TM_VERSION, config->socket);
    status = smfi_main();
    msg_info("stopping");
    queue_cache_stop();
    store_free(store);
    if (config->pid_file)
	unlink(config->pid_file);
    config_free(config);
    return (status == MI_SUCCESS ? 0 : 1);
}
