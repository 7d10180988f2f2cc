/* test_msgbuf - message bytes in memory, then in a temporary file */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/util/msgbuf.h>

static void test_memory_only(void **state)
{
    MSGBUF *buf = msgbuf_create(1024, "/tmp");
    TM_ERROR err;

    assert_int_equal(msgbuf_append(buf, "Subject: x\r\n", 12, &err), 0);
    assert_int_equal(msgbuf_append(buf, "\r\nbody\r\n", 8, &err), 0);
    assert_int_equal(msgbuf_size(buf), 20);
    assert_memory_equal(msgbuf_map(buf, &err), "Subject: x\r\n\r\nbody\r\n", 20);
    msgbuf_free(buf);
}

static void test_spills_to_file(void **state)
{
    MSGBUF *buf = msgbuf_create(100, "/tmp");
    GString *want = g_string_new("");
    TM_ERROR err;
    char    chunk[37];

    for (int i = 0; i < 1000; i++) {
	memset(chunk, 'a' + i % 26, sizeof(chunk));
	assert_int_equal(msgbuf_append(buf, chunk, sizeof(chunk), &err), 0);
	g_string_append_len(want, chunk, sizeof(chunk));
    }
    assert_int_equal(msgbuf_size(buf), want->len);
    assert_memory_equal(msgbuf_map(buf, &err), want->str, want->len);
    g_string_free(want, TRUE);
    msgbuf_free(buf);
}

static void test_bad_temp_dir(void **state)
{
    MSGBUF *buf = msgbuf_create(4, "/nonexistent-dir");
    TM_ERROR err = {{0}, {0}};

    assert_int_equal(msgbuf_append(buf, "ab", 2, &err), 0);
    assert_int_equal(msgbuf_append(buf, "cdef", 4, &err), -1);
    assert_non_null(strstr(err.text, "cannot create a temporary file in /nonexistent-dir"));
    msgbuf_free(buf);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_memory_only),
	cmocka_unit_test(test_spills_to_file),
	cmocka_unit_test(test_bad_temp_dir),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
