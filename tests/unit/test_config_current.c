/* test_config_current - the configuration in force: references, reload */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/daemon/config_current.h>

static char conf_path[] = "/tmp/tm-test-current.XXXXXX";

/* write_conf - replace the test file's content */

static void write_conf(const char *text)
{
    g_file_set_contents(conf_path, text, -1, NULL);
}

static int setup(void **state)
{
    int     fd = mkstemp(conf_path);

    close(fd);
    return (0);
}

static int teardown(void **state)
{
    config_current_clear();
    unlink(conf_path);
    return (0);
}

/* A connection keeps its configuration across a reload; new ones get the new. */
static void test_reload_keeps_old_for_holders(void **state)
{
    TM_ERROR err;
    GString *ignored = g_string_new(NULL);
    const CONFIG *held, *now;

    assert_null(config_current_get());
    write_conf("Socket inet:1@h\nDatabase y\nMtaCopy keep\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 0);
    held = config_current_get();
    assert_int_equal(held->mta_copy, MTA_COPY_KEEP);

    write_conf("Socket inet:1@h\nDatabase y\nMtaCopy remove\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 0);
    now = config_current_get();
    assert_int_equal(now->mta_copy, MTA_COPY_REMOVE);
    /* The holder's copy is intact (ASan would see a use after free). */
    assert_int_equal(held->mta_copy, MTA_COPY_KEEP);
    assert_string_equal(held->database, "y");
    config_current_put(held);
    config_current_put(now);
    g_string_free(ignored, TRUE);
}

/* A bad file changes nothing and says where it is wrong. */
static void test_reload_bad_file_keeps_current(void **state)
{
    TM_ERROR err;
    GString *ignored = g_string_new(NULL);
    const CONFIG *now;

    write_conf("Socket inet:1@h\nDatabase y\nMtaCopy keep\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 0);
    write_conf("Socket inet:1@h\nDatabase y\nMtaCopy sometimes\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), -1);
    assert_non_null(strstr(err.text, "line 3: MtaCopy: expected remove, keep"));
    assert_non_null(strstr(err.text, conf_path));
    now = config_current_get();
    assert_int_equal(now->mta_copy, MTA_COPY_KEEP);
    config_current_put(now);
    g_string_free(ignored, TRUE);
}

/* Keys read at start only keep their values and are reported. */
static void test_reload_restart_keys(void **state)
{
    TM_ERROR err;
    GString *ignored = g_string_new(NULL);
    const CONFIG *now;

    write_conf("Socket inet:1@h\nDatabase y\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 0);
    write_conf("Socket inet:2@h\nDatabase z\nUserID nobody\nReopenWindow 1d\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 3);
    assert_string_equal(ignored->str, "Socket, Database, UserID");
    now = config_current_get();
    assert_string_equal(now->socket, "inet:1@h");
    assert_string_equal(now->database, "y");
    assert_null(now->user_id);
    assert_int_equal(now->reopen_window, 86400);
    config_current_put(now);
    g_string_free(ignored, TRUE);
}

/* Readers and a reloader at once: every reference stays valid. */
static void *reader(void *unused)
{
    for (int i = 0; i < 2000; i++) {
	const CONFIG *config = config_current_get();

	assert_true(config->mta_copy == MTA_COPY_KEEP || config->mta_copy == MTA_COPY_REMOVE);
	assert_string_equal(config->database, "y");
	config_current_put(config);
    }
    return (NULL);
}

static void test_concurrent_get_and_reload(void **state)
{
    TM_ERROR err;
    GString *ignored = g_string_new(NULL);
    pthread_t threads[4];

    write_conf("Socket inet:1@h\nDatabase y\nMtaCopy keep\n");
    assert_int_equal(config_current_reload(conf_path, ignored, &err), 0);
    for (int i = 0; i < 4; i++)
	pthread_create(&threads[i], NULL, reader, NULL);
    for (int i = 0; i < 50; i++) {
	write_conf(i % 2 ? "Socket inet:1@h\nDatabase y\nMtaCopy keep\n"
		   : "Socket inet:1@h\nDatabase y\nMtaCopy remove\n");
	assert_true(config_current_reload(conf_path, ignored, &err) >= 0);
    }
    for (int i = 0; i < 4; i++)
	pthread_join(threads[i], NULL);
    g_string_free(ignored, TRUE);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_teardown(test_reload_keeps_old_for_holders, teardown),
	cmocka_unit_test_teardown(test_reload_bad_file_keeps_current, teardown),
	cmocka_unit_test_teardown(test_reload_restart_keys, teardown),
	cmocka_unit_test_teardown(test_concurrent_get_and_reload, teardown),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
