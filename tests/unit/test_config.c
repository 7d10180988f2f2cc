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

#include <milter/config.h>

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
    TM_ERROR err = {{0}};
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
    config_free(config);
}

static void test_errors(void **state)
{
    expect_error("Socket x\nDatabase y\nSokcet z\n", "line 3: Sokcet: unknown key");
    expect_error("Socket x\nDatabase y\nSyslog maybe\n", "line 3: Syslog: expected yes or no");
    expect_error("Socket x\nDatabase y\nMaximumMessageSize 10q\n", "line 3: MaximumMessageSize:");
    expect_error("Socket x\nDatabase y\nDatabaseTimeout -1\n", "line 3: DatabaseTimeout:");
    expect_error("Socket x\nDatabase y\nMtaCopy redirect\n", "line 3: MtaCopy:");
    expect_error("Socket x\nDatabase y\nOn-DatabaseError drop\n", "line 3: On-DatabaseError:");
    expect_error("Socket x\nSocket y\nDatabase z\n", "line 2: Socket: already set on line 1");
    expect_error("Socket\nDatabase y\n", "line 1: Socket: missing value");
    expect_error("Database y\n", "Socket: required key is missing");
    expect_error("Socket x\nDatabase y\nTicketNumberFormat TM-{seq}\n", "line 3: TicketNumberFormat: only digits");
    expect_error("Socket x\nDatabase y\nTicketNumberFormat {yyyy}\n", "line 3: TicketNumberFormat: the format must hold {seq}");
    expect_error("Socket x\nDatabase y\nTicketTagFormat [#]\n", "line 3: TicketTagFormat: the format must hold NUMBER");
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
	cmocka_unit_test(test_missing_file),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
