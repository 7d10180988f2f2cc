/* test_config - the configuration file: values, defaults, error texts */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/core/config.h>

/* write_config - a temporary file holding text; g_free the path */

static char *write_config(const char *text)
{
    char   *path = g_strdup("/tmp/tm-test-config.XXXXXX");
    int     fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);
    return (path);
}

/* load_text - load a config from text; NULL with err set on error */

static CONFIG *load_text(const char *text, TM_ERROR *err, char **path_out)
{
    char   *path = write_config(text);
    CONFIG *config = config_load(path, err);

    if (path_out)
	*path_out = path;
    else {
	unlink(path);
	g_free(path);
    }
    return (config);
}

/* expect_error - loading text fails with an error containing want */

static void expect_error(const char *text, const char *want)
{
    TM_ERROR err = {{0}, {0}};
    char   *path;
    CONFIG *config = load_text(text, &err, &path);

    assert_null(config);
    if (strstr(err.text, want) == NULL || strstr(err.text, path) == NULL)
	fail_msg("error \"%s\" lacks \"%s\" or the file name", err.text, want);
    unlink(path);
    g_free(path);
}

static void test_minimal_defaults(void **state)
{
    TM_ERROR err;
    CONFIG *config = load_text("Socket inet:8891@127.0.0.1\nDatabase dbname=x\n", &err, 0);

    assert_non_null(config);
    assert_string_equal(config->socket, "inet:8891@127.0.0.1");
    assert_string_equal(config->database, "dbname=x");
    assert_int_equal(config->syslog, 1);
    assert_int_equal(config->mta_copy, MTA_COPY_REMOVE);
    assert_int_equal(config->on_database_error, ACTION_TEMPFAIL);
    assert_int_equal(config->max_message_size, 50 * 1024 * 1024);
    assert_int_equal(config->solved_close_days, 7);
    assert_null(config->spam_header);	/* off */
    config_free(config);
}

static void test_values(void **state)
{
    TM_ERROR err;
    CONFIG *config = load_text(
	"# comment\n"
	"  socket   local:/run/tm.sock  # trailing comment\n"
	"DATABASE host=127.0.0.1 port=5432 dbname=tickets\n"
	"Syslog no\n"
	"MaximumMessageSize 10m\n"
	"BodyMemoryLimit 64k\n"
	"DatabaseTimeout 2m\n"
	"MtaCopy redirect archive@example.com\n"
	"On-DatabaseError accept\n"
	"TicketNumberFormat {yyyy}{seq}\n"
	"TicketTagFormat [Ticket#NUMBER] # a comment after white space\n"
	"ReopenWindow 7d\n"
	"SolvedCloseDays 0\n"
	"SpamHeader x-spam-status\n"
	"\n", &err, 0);

    assert_non_null(config);
    assert_string_equal(config->socket, "local:/run/tm.sock");
    assert_string_equal(config->database, "host=127.0.0.1 port=5432 dbname=tickets");
    assert_int_equal(config->syslog, 0);
    assert_int_equal(config->max_message_size, 10 * 1024 * 1024);
    assert_int_equal(config->body_memory_limit, 64 * 1024);
    assert_int_equal(config->database_timeout, 120);
    assert_int_equal(config->mta_copy, MTA_COPY_REDIRECT);
    assert_string_equal(config->mta_copy_address, "archive@example.com");
    assert_int_equal(config->on_database_error, ACTION_ACCEPT);
    assert_string_equal(config->ticket_number_format, "{yyyy}{seq}");
    assert_string_equal(config->ticket_tag_format, "[Ticket#NUMBER]");
    assert_int_equal(config->reopen_window, 7 * 86400);
    assert_int_equal(config->solved_close_days, 0);	/* never */
    assert_string_equal(config->spam_header, "X-Spam-Status");	/* its canonical name */
    config_free(config);
}

static void test_errors(void **state)
{
    expect_error("Socket inet:1@h\nDatabase y\nSokcet z\n", "line 3: Sokcet: unknown key");
    expect_error("Socket inet:1@h\nDatabase y\nSyslog maybe\n", "line 3: Syslog: expected yes or no");
    expect_error("Socket inet:1@h\nDatabase y\nMaximumMessageSize 10q\n", "line 3: MaximumMessageSize:");
    expect_error("Socket inet:1@h\nDatabase y\nDatabaseTimeout -1\n", "line 3: DatabaseTimeout:");
    expect_error("Socket inet:1@h\nDatabase y\nSolvedCloseDays 7d\n", "line 3: SolvedCloseDays: expected a number of days");
    expect_error("Socket inet:1@h\nDatabase y\nSolvedCloseDays 99999\n", "line 3: SolvedCloseDays:");
    expect_error("Socket inet:1@h\nDatabase y\nMtaCopy redirect\n", "line 3: MtaCopy:");
    expect_error("Socket inet:1@h\nDatabase y\nSpamHeader X-Spam-Score\n",
		 "line 3: SpamHeader: unknown header \"X-Spam-Score\": use none, X-Spam-Flag,");
    expect_error("Socket inet:1@h\nDatabase y\nOn-DatabaseError drop\n", "line 3: On-DatabaseError:");
    expect_error("Socket inet:1@h\nSocket y\nDatabase z\n", "line 2: Socket: already set on line 1");
    expect_error("Socket\nDatabase y\n", "line 1: Socket: missing value");
    expect_error("Database y\n", "Socket: required key is missing");
    expect_error("Socket inet:1@h\nDatabase y\nTicketNumberFormat TM-{seq}\n", "line 3: TicketNumberFormat: only digits");
    expect_error("Socket inet:1@h\nDatabase y\nTicketNumberFormat {yyyy}\n", "line 3: TicketNumberFormat: the format must hold {seq}");
    expect_error("Socket inet:1@h\nDatabase y\nTicketTagFormat [#]\n", "line 3: TicketTagFormat: the format must hold NUMBER");
}

static void test_sockets(void **state)
{
    static const char *const good[] = {
	"inet:8891@127.0.0.1", "inet:8891", "inet6:8891@::1", "local:/run/tm/tm.sock",
	"unix:/run/tm/tm.sock", 0,
    };
    TM_ERROR err;

    for (int i = 0; good[i]; i++) {
	char   *text = g_strdup_printf("Socket %s\nDatabase y\n", good[i]);
	CONFIG *config = load_text(text, &err, 0);

	if (config == NULL)
	    fail_msg("%s refused: %s", good[i], err.text);
	assert_int_equal(config->socket_mode, -1);
	config_free(config);
	g_free(text);
    }
    assert_string_equal(config_local_socket("unix:/x"), "/x");
    assert_string_equal(config_local_socket("local:/x"), "/x");
    assert_null(config_local_socket("inet:1@h"));
    expect_error("Socket x\nDatabase y\n", "line 1: Socket: expected inet:PORT@HOST, inet6:PORT@HOST or local:/path");
    expect_error("Socket inet:99999@h\nDatabase y\n", "line 1: Socket: expected a port number");
    expect_error("Socket inet:@h\nDatabase y\n", "line 1: Socket: expected a port number");
    expect_error("Socket inet:25@\nDatabase y\n", "line 1: Socket: a host or address must follow '@'");
    expect_error("Socket local:tm.sock\nDatabase y\n", "line 1: Socket: a local socket needs an absolute path");
    expect_error("Socket local:/a/very/long/path/that/goes/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on.sock\n"
		 "Database y\n", "line 1: Socket: the socket path is longer than 107 bytes");
    expect_error("Socket local:/x\nDatabase y\nSocketMode 0999\n", "line 3: SocketMode: expected an octal file mode");
    expect_error("Socket local:/x\nDatabase y\nSocketMode rw\n", "line 3: SocketMode: expected an octal file mode");
    expect_error("Socket inet:1@h\nDatabase y\nSocketMode 0660\n", "SocketMode: only a local: socket has a mode");
    expect_error("Socket inet:1@h\nDatabase y\nSocketGroup postfix\n", "SocketGroup: only a local: socket has a mode");

    CONFIG *config = load_text("Socket local:/x\nDatabase y\nSocketMode 0660\nSocketGroup postfix\n", &err, 0);

    assert_non_null(config);
    assert_int_equal(config->socket_mode, 0660);
    assert_string_equal(config->socket_group, "postfix");
    config_free(config);
}

/* A reference keeps a configuration alive after its first owner let go. */
static void test_references(void **state)
{
    TM_ERROR err;
    CONFIG *config = load_text("Socket inet:1@h\nDatabase y\n", &err, 0);
    const CONFIG *ref = config_ref(config);

    assert_ptr_equal(ref, config);
    config_free(config);
    assert_string_equal(ref->database, "y");
    config_free(ref);
    config_free(NULL);
}

/* What only a restart changes keeps its running value, and is named. */
static void test_restart_keys(void **state)
{
    TM_ERROR err;
    CONFIG *running = load_text("Socket inet:1@h\nDatabase y\nMtaCopy keep\nPidFile /run/a.pid\n", &err, 0);
    CONFIG *fresh = load_text("Socket inet:2@h\nDatabase y\nMtaCopy remove\nDatabaseTimeout 5\n"
			      "MaximumMessageSize 1k\nLogVerbose yes\n", &err, 0);
    GString *names = g_string_new(NULL);

    assert_int_equal(config_keep_restart_keys(fresh, running, names), 3);
    assert_string_equal(names->str, "Socket, PidFile, DatabaseTimeout");
    assert_string_equal(fresh->socket, "inet:1@h");
    assert_string_equal(fresh->pid_file, "/run/a.pid");
    assert_int_equal(fresh->database_timeout, 20);
    /* The rest is the new file's. */
    assert_int_equal(fresh->mta_copy, MTA_COPY_REMOVE);
    assert_int_equal(fresh->max_message_size, 1024);
    assert_int_equal(fresh->log_verbose, 1);
    g_string_truncate(names, 0);
    assert_int_equal(config_keep_restart_keys(fresh, running, names), 0);
    assert_string_equal(names->str, "");
    g_string_free(names, TRUE);
    config_free(running);
    config_free(fresh);
}

/* Region lines: any number, each a name and a database; Database is "default". */
static void test_regions(void **state)
{
    TM_ERROR err;
    CONFIG *one = load_text("Socket inet:1@h\nDatabase dbname=a\n", &err, 0);
    CONFIG *three = load_text("Socket inet:1@h\nRegion eu host=e dbname=t\nDatabase dbname=a\n"
			      "Region us-east  dbname=u\n", &err, 0);
    CONFIG *other = load_text("Socket inet:1@h\nDatabase dbname=a\nRegion eu dbname=moved\n", &err, 0);
    GString *names = g_string_new(NULL);

    assert_int_equal(one->region_count, 1);
    assert_string_equal(one->regions[0].name, "default");
    assert_string_equal(one->regions[0].conninfo, "dbname=a");
    assert_int_equal(three->region_count, 3);
    assert_string_equal(three->regions[0].conninfo, "dbname=a");
    assert_string_equal(three->regions[1].name, "eu");
    assert_string_equal(three->regions[1].conninfo, "host=e dbname=t");
    assert_string_equal(three->regions[2].name, "us-east");
    assert_string_equal(three->regions[2].conninfo, "dbname=u");
    assert_int_equal(config_region_find(three, "us-east"), 2);
    assert_int_equal(config_region_find(three, "mars"), -1);
    /* A reload keeps the regions of the start. */
    assert_int_equal(config_keep_restart_keys(other, three, names), 1);
    assert_string_equal(names->str, "Region");
    assert_int_equal(other->region_count, 3);
    assert_string_equal(other->regions[1].conninfo, "host=e dbname=t");
    /* Database is the default region's: kept, it is kept there too. */
    g_string_truncate(names, 0);
    CONFIG *moved = load_text("Socket inet:1@h\nDatabase dbname=b\n", &err, 0);

    assert_int_equal(config_keep_restart_keys(moved, one, names), 1);
    assert_string_equal(names->str, "Database");
    assert_string_equal(moved->regions[0].conninfo, "dbname=a");
    g_string_free(names, TRUE);
    config_free(one);
    config_free(three);
    config_free(other);
    config_free(moved);
    expect_error("Socket inet:1@h\nDatabase y\nRegion Eu! dbname=x\n", "line 3: Region: a region's name is");
    expect_error("Socket inet:1@h\nDatabase y\nRegion 1eu dbname=x\n", "line 3: Region: a region's name is");
    expect_error("Socket inet:1@h\nDatabase y\nRegion default dbname=x\n",
		 "line 3: Region: region \"default\" is the Database's");
    expect_error("Socket inet:1@h\nDatabase y\nRegion eu a\nRegion eu b\n",
		 "line 4: Region: region \"eu\" is already defined");
    expect_error("Socket inet:1@h\nDatabase y\nRegion eu\n", "line 3: Region: region \"eu\" needs a database");
}

static void test_api_keys(void **state)
{
    TM_ERROR err;
    CONFIG *config = load_text("Socket inet:1@h\nDatabase y\n", &err, 0);

    /* Loopback by default: TLS is a proxy's. */
    assert_string_equal(config->api_socket, "inet:8080@127.0.0.1");
    assert_int_equal(config->api_threads, 16);
    assert_int_equal(config->api_max_body, 10 * 1024 * 1024);
    assert_int_equal(config->api_requests_per_minute, 600);
    config_free(config);
    config = load_text("Socket inet:1@h\nDatabase y\nApiSocket inet6:9000@::1\nApiThreads 4\n"
		       "ApiMaximumBody 64k\nApiRequestsPerMinute 30\n", &err, 0);
    assert_non_null(config);
    assert_string_equal(config->api_socket, "inet6:9000@::1");
    assert_int_equal(config->api_threads, 4);
    assert_int_equal(config->api_max_body, 64 * 1024);
    assert_int_equal(config->api_requests_per_minute, 30);
    config_free(config);
    expect_error("Socket inet:1@h\nDatabase y\nApiSocket inet:99999@127.0.0.1\n", "line 3: ApiSocket: expected a port");
    expect_error("Socket inet:1@h\nDatabase y\nApiSocket local:/run/api.sock\n",
		 "line 3: ApiSocket: ticket-api listens on TCP only");
    expect_error("Socket inet:1@h\nDatabase y\nApiThreads 0\n", "line 3: ApiThreads:");
    expect_error("Socket inet:1@h\nDatabase y\nApiMaximumBody 2g\n", "line 3: ApiMaximumBody:");
    expect_error("Socket inet:1@h\nDatabase y\nApiRequestsPerMinute many\n", "line 3: ApiRequestsPerMinute:");
}

static void test_missing_file(void **state)
{
    TM_ERROR err;

    assert_null(config_load("/nonexistent/ticket-milter.conf", &err));
    assert_non_null(strstr(err.text, "/nonexistent/ticket-milter.conf: cannot open"));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_minimal_defaults),
	cmocka_unit_test(test_values),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_sockets),
	cmocka_unit_test(test_references),
	cmocka_unit_test(test_restart_keys),
	cmocka_unit_test(test_regions),
	cmocka_unit_test(test_api_keys),
	cmocka_unit_test(test_missing_file),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
