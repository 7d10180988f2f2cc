/*++
/* NAME
/*	ticket-milter 8
/* SUMMARY
/*	turn mail to support addresses into tickets in PostgreSQL
/* SYNOPSIS
/*	ticket-milter [-c FILE] [-f] [-n] [-v] [-V]
/* DESCRIPTION
/*	The daemon: read the configuration, open the milter socket (a
/*	local one gets SocketMode and SocketGroup), drop privileges (started
/*	as root, the daemon refuses to go on without UserID), then
/*	serve the MTA until SIGTERM (libmilter also stops on SIGHUP and
/*	SIGINT). SIGUSR1 reads the configuration again. On a stop, the
/*	support messages in flight are answered before the process exits.
/*	See ticket-milter(8).
/*
/*	-c FILE	configuration file (default /etc/ticket-milter/ticket-milter.conf)
/*	-f	stay in the foreground and log to stderr
/*	-n	check the configuration and exit
/*	-v	verbose (debug) logging
/*	-V	print the version and exit
/*--*/

/* System library. */
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

/* External libraries. */
#include <curl/curl.h>
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>
#include <milter/util/sockopt.h>

/* Global library. */
#include <milter/core/config.h>
#include <milter/core/migrations.h>
#include <milter/core/region.h>
#include <milter/core/store.h>

/* Application-specific. */
#include <milter/daemon/callbacks.h>
#include <milter/daemon/config_current.h>
#include <milter/daemon/inflight.h>
#include <milter/daemon/outbox.h>
#include <milter/daemon/webhook.h>
#include <milter/daemon/queue_cache.h>
#include <milter/daemon/region_ingest.h>

#define DEFAULT_CONFIG	"/etc/ticket-milter/ticket-milter.conf"

/* How long a stop waits for the support messages in flight. */
#define STOP_WAIT	30

/* usage - explain the command line and exit: 0 when asked (-h, --help),
 * 2 after a mistake */

static _Noreturn void usage(int status)
{
    fprintf(status ? stderr : stdout, "usage: ticket-milter [-c FILE] [-f] [-n] [-v] [-V]\n"
	    "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and exit\n"
	    "  -v       verbose logging\n"
	    "  -V       print the version and exit\n"
	    "  -h       this help (also --help)\n");
    exit(status);
}

/* group_id - the id of a group name, or the end */

static gid_t group_id(const char *key, const char *group)
{
    struct group *gr = getgrnam(group);

    if (gr == NULL)
	msg_fatal("%s: no such group \"%s\"", key, group);
    return (gr->gr_gid);
}

/* user_ids - the user name, uid and gid of UserID (user[:group]) */

static char *user_ids(const char *user_id, uid_t *uid, gid_t *gid)
{
    char   *user = g_strdup(user_id);
    char   *group = strchr(user, ':');
    struct passwd *pw;

    if (group)
	*group++ = 0;
    if ((pw = getpwnam(user)) == NULL)
	msg_fatal("UserID: no such user \"%s\"", user);
    *uid = pw->pw_uid;
    *gid = group ? group_id("UserID", group) : pw->pw_gid;
    return (user);
}

/* drop_privileges - become UserID (user[:group]) */

static void drop_privileges(const char *user_id)
{
    uid_t   uid;
    gid_t   gid;
    char   *user = user_ids(user_id, &uid, &gid);

    if (getuid() != uid) {
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
	    msg_fatal("UserID: cannot become %s: %m", user_id);
    }
    g_free(user);
}

/* socket_access - give a local socket its owner, group and mode */

static void socket_access(const CONFIG *config)
{
    const char *path = config_local_socket(config->socket);
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;

    if (path == NULL)
	return;
    /* Started as root: the socket belongs to the user we become. */
    if (config->user_id && geteuid() == 0)
	g_free(user_ids(config->user_id, &uid, &gid));
    if (config->socket_group)
	gid = group_id("SocketGroup", config->socket_group);
    if ((uid != (uid_t) -1 || gid != (gid_t) -1) && chown(path, uid, gid) < 0)
	msg_fatal("Socket %s: cannot give it to %s%s%s: %m%s", path,
		  config->user_id ? config->user_id : "",
		  config->user_id && config->socket_group ? " and group " : "",
		  config->socket_group ? config->socket_group : "",
		  config->socket_group ? " (a daemon not started as root must be"
		  " a member of SocketGroup)" : "");
    if (config->socket_mode >= 0 && chmod(path, (mode_t) config->socket_mode) < 0)
	msg_fatal("Socket %s: SocketMode %04o: %m", path, (unsigned) config->socket_mode);
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

/* make_pid_dir - create PidFile's directory (one level), as systemd's
 * RuntimeDirectory would: owned by the user we become, so that we can
 * remove the file at exit */

static void make_pid_dir(const CONFIG *config)
{
    char   *dir = g_path_get_dirname(config->pid_file);
    uid_t   uid = (uid_t) -1;
    gid_t   gid = (gid_t) -1;

    if (mkdir(dir, 0755) < 0)
	msg_fatal("PidFile %s: cannot create its directory %s: %m", config->pid_file, dir);
    if (config->user_id && geteuid() == 0) {
	g_free(user_ids(config->user_id, &uid, &gid));
	/* lchown: never through a link planted where we made the directory. */
	if (lchown(dir, uid, gid) < 0)
	    msg_fatal("PidFile %s: cannot give %s to %s: %m", config->pid_file, dir, config->user_id);
    }
    msg_info("PidFile %s: created its directory %s", config->pid_file, dir);
    g_free(dir);
}

/* open_pid_file - open PidFile while we may still write where it lives */

static FILE *open_pid_file(const CONFIG *config)
{
    /* Not through a symbolic link: one planted there would have root
     * write (and truncate) a file of the link owner's choosing. */
    const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
    const char *path = config->pid_file;
    int     fd = open(path, flags, 0644);
    FILE   *fp;

    /* Without systemd nothing creates /run/ticket-milter. */
    if (fd < 0 && errno == ENOENT) {
	make_pid_dir(config);
	fd = open(path, flags, 0644);
    }
    if (fd < 0 && errno == ELOOP)
	msg_fatal("PidFile %s: is a symbolic link; it is not followed", path);
    if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
	msg_fatal("PidFile %s: cannot write: %m", path);
    return (fp);
}

/* refuse_root - started as root, stay root only when UserID says so */

static void refuse_root(const CONFIG *config, const char *config_path)
{
    if (geteuid() == 0 && config->user_id == NULL)
	msg_fatal("%s: UserID is not set: ticket-milter does not run as root."
		  " Set UserID to the user it should become (the package's is"
		  " \"UserID ticket-milter\"), or start it as that user",
		  config_path);
}

/* write_pid_file - record our process id (after any fork) */

static void write_pid_file(FILE *fp, const char *path)
{
    if (fprintf(fp, "%ld\n", (long) getpid()) < 0 || fclose(fp) != 0)
	msg_fatal("PidFile %s: cannot write: %m", path);
}

/* check_database - warn early about a database that is away, too old
 * or another region's; bring its SQL functions to this build's */

static void check_database(const CONFIG *config, int region)
{
    char   *where = config->region_count > 1 ?
    g_strdup_printf("region %s: ", config->regions[region].name) : g_strdup("");
    TM_ERROR err;
    PGconn *conn = store_connect(config->regions[region].conninfo, config->database_timeout, &err);

    if (conn == NULL) {
	msg_warn("%s%s; support mail is tempfailed until it is reachable", where, err.text);
    } else {
	/* The functions of this build, before any message needs them. */
	switch (migrations_ready(conn, &err)) {
	case -1:
	    msg_fatal("%s%s", where, err.text);
	case 1:
	    msg_info("%sapplied the SQL functions of this build (sql/functions/)", where);
	}
	if (region_verify(conn, config, region, &err) != 0)
	    msg_fatal("%s", err.text);
	PQfinish(conn);
    }
    g_free(where);
}

/* prepare_socket - remove a stale local socket, set the connection spec */

static void prepare_socket(const char *spec)
{
    const char *path = config_local_socket(spec);

    if (path && unlink(path) < 0 && errno != ENOENT)
	msg_fatal("Socket %s: cannot remove the old socket: %m", path);
    if (smfi_setconn((char *) spec) != MI_SUCCESS)
	msg_fatal("Socket %s: not a valid socket specification", spec);
}

static pthread_t reload_thread;
static volatile sig_atomic_t reload_stop;

/* reload_config - SIGUSR1: read the file again; keep the old one if bad */

static void reload_config(const char *path, int verbose)
{
    GString *ignored = g_string_new(NULL);
    const CONFIG *config;
    TM_ERROR err;
    int     count;

    if ((count = config_current_reload(path, ignored, &err)) < 0) {
	msg_error("reload: %s; the configuration in force stays", err.text);
    } else {
	if (count > 0)
	    msg_warn("reload: %s changed; ignored until a restart", ignored->str);
	config = config_current_get();
	log_set_verbose(verbose || config->log_verbose);
	config_current_put(config);
	msg_info("reload: %s read again; new connections use it", path);
    }
    g_string_free(ignored, TRUE);
}

typedef struct RELOAD_ARGS {
    const char *path;
    int     verbose;
} RELOAD_ARGS;

/* reload_main - the thread that takes SIGUSR1 */

static void *reload_main(void *context)
{
    const RELOAD_ARGS *args = context;
    sigset_t usr1;
    int     sig;

    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    for (;;) {
	if (sigwait(&usr1, &sig) != 0)
	    continue;
	if (reload_stop)
	    break;
	reload_config(args->path, args->verbose);
    }
    return (NULL);
}

/* block_signals - leave SIGTERM, SIGHUP and SIGINT to libmilter's thread
 * and SIGUSR1 to ours: no other thread may take them */

static void block_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int     main(int argc, char **argv)
{
    const char *config_path = DEFAULT_CONFIG;
    int     foreground = 0, check_only = 0, verbose = 0;
    CONFIG *config;
    TM_ERROR err;
    RELOAD_ARGS reload_args;
    FILE   *pid_fp;
    int     ch, status, left;

    if (argc > 1 && strcmp(argv[1], "--help") == 0)
	usage(0);
    while ((ch = getopt(argc, argv, "c:fhnvV")) != -1) {
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
	case 'h':
	    usage(0);
	default:
	    usage(2);
	}
    }
    if (optind != argc)
	usage(2);
    /* Before any thread starts (gmime, libpq, libmilter start some). */
    block_signals();
    if ((config = config_load(config_path, &err)) == NULL) {
	fprintf(stderr, "ticket-milter: %s\n", err.text);
	return (1);
    }
    if (check_only) {
	printf("%s: OK\n", config_path);
	config_free(config);
	return (0);
    }
    refuse_root(config, config_path);
    log_init("ticket-milter", foreground || !config->syslog, config->syslog_facility);
    log_set_verbose(verbose || config->log_verbose);
    /* Until it detaches, whoever started it sees why it did not start. */
    log_copy_to_stderr(!foreground);
    mail_parser_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);

    prepare_socket(config->socket);
    smfi_settimeout(config->milter_timeout);
    if (smfi_register(callbacks_desc) != MI_SUCCESS)
	msg_fatal("smfi_register failed");
    if (smfi_opensocket(1) != MI_SUCCESS)
	msg_fatal("Socket %s: cannot listen (in use, or no permission)", config->socket);
    sockopt_no_delay();
    socket_access(config);
    /* Opened as who started us: /run and the like are root's. */
    pid_fp = config->pid_file ? open_pid_file(config) : NULL;
    if (config->user_id)
	drop_privileges(config->user_id);
    for (int i = 0; i < config->region_count; i++)
	check_database(config, i);
    if (!foreground)
	daemonize();
    log_copy_to_stderr(0);
    if (pid_fp)
	write_pid_file(pid_fp, config->pid_file);

    region_ingest_start(config);
    /* Connections take their configuration from config_current. */
    config_current_set((CONFIG *) config_ref(config));
    callbacks_init(config);
    queue_cache_start(config);
    outbox_start(config);
    webhook_start(config);
    reload_args.path = config_path;
    reload_args.verbose = verbose;
    if ((errno = pthread_create(&reload_thread, NULL, reload_main, &reload_args)) != 0)
	msg_fatal("cannot start the reload thread: %m");
    msg_info("ticket-milter %s listening on %s", TM_VERSION, config->socket);
    status = smfi_main();
    /* libmilter closed the socket; open connections go on meanwhile. */
    msg_info("stopping: waiting up to %d s for the support messages in flight", STOP_WAIT);
    if ((left = inflight_drain(STOP_WAIT)) > 0)
	msg_warn("stopping with %d support message(s) in flight: the MTA tempfails"
		 " them and the senders retry", left);
    reload_stop = 1;
    pthread_kill(reload_thread, SIGUSR1);
    pthread_join(reload_thread, NULL);
    queue_cache_stop();
    outbox_stop();
    webhook_stop();
    curl_global_cleanup();
    /* A connection still storing a message keeps the pool; exit frees it. */
    if (left == 0)
	region_ingest_stop();
    if (config->pid_file && unlink(config->pid_file) < 0)
	msg_warn("PidFile %s: cannot remove: %m", config->pid_file);
    msg_info("stopped");
    config_current_clear();
    config_free(config);
    return (status == MI_SUCCESS ? 0 : 1);
}
