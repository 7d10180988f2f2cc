/* test_addr_check - the one definition of a safe address; escaped log lines */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/util/addr_check.h>
#include <milter/util/log.h>
#include <milter/util/smtp_submit.h>

static void test_safe(void **state)
{
    char    longest[ADDR_MAX_LEN + 2];

    assert_null(addr_unsafe("alice@customer.test"));
    assert_null(addr_unsafe("\"odd.local\"@customer.test"));
    assert_null(addr_unsafe("jörg@bücher.example"));	/* SMTPUTF8 */
    assert_null(addr_unsafe("a+b.c_d-e@x.test"));
    memset(longest, 'a', ADDR_MAX_LEN);
    longest[ADDR_MAX_LEN] = 0;
    assert_null(addr_unsafe(longest));
    longest[ADDR_MAX_LEN] = 'a';
    longest[ADDR_MAX_LEN + 1] = 0;
    assert_string_equal(addr_unsafe(longest), "an address longer than 256 bytes");
}

static void test_unsafe(void **state)
{
    /* What gmime keeps inside a quoted local part: CR LF and a command. */
    assert_string_equal(addr_unsafe("\"x\r\n RCPT TO:<v@m.test>\"@c.test"), "a control character");
    assert_string_equal(addr_unsafe("x\r@c.test"), "a control character");
    assert_string_equal(addr_unsafe("x\n@c.test"), "a control character");
    assert_string_equal(addr_unsafe("x\t@c.test"), "a control character");
    assert_string_equal(addr_unsafe("x\x7f@c.test"), "a control character");
    assert_string_equal(addr_unsafe("x\xc2\x85@c.test"), "a control character");	/* NEL */
    assert_string_equal(addr_unsafe("x y@c.test"), "white space or an invisible character");
    assert_string_equal(addr_unsafe("x\xc2\xa0y@c.test"), "white space or an invisible character");
    assert_string_equal(addr_unsafe("x\xe2\x80\x8by@c.test"), "white space or an invisible character");
    assert_string_equal(addr_unsafe("x>y@c.test"), "an angle bracket");
    assert_string_equal(addr_unsafe("<x@c.test"), "an angle bracket");
    assert_string_equal(addr_unsafe("x\xff@c.test"), "bytes that are not UTF-8");
    assert_string_equal(addr_unsafe(""), "an empty address");
    assert_string_equal(addr_unsafe(NULL), "an empty address");
}

static void test_escape(void **state)
{
    char   *s = addr_escape("\"x\r\n RCPT TO:<v@m.test>\"\\@c\x01\xff\xc2\x85ä");

    assert_string_equal(s, "\"x\\r\\n RCPT TO:<v@m.test>\"\\\\@c\\x01\\xff\\xc2\\x85ä");
    g_free(s);
    s = addr_escape(NULL);
    assert_string_equal(s, "(null)");
    g_free(s);
}

/* logged - what msg_warn() writes to stderr for this message */

static char *logged(const char *text)
{
    int     fd[2], saved = dup(2);
    char    buf[4096];
    ssize_t n;

    assert_int_equal(pipe(fd), 0);
    dup2(fd[1], 2);
    close(fd[1]);
    log_init("test", 1, 0);
    msg_warn("%s", text);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = read(fd[0], buf, sizeof(buf) - 1);
    close(fd[0]);
    assert_true(n > 0);
    buf[n] = 0;
    return (g_strdup(buf));
}

static void test_log_one_line(void **state)
{
    char   *line = logged("value <\"x\r\n RCPT TO:<v@m.test>\"@c.test\x1b[2J> end");

    assert_string_equal(line, "test: warning: value <\"x\\r\\n RCPT TO:<v@m.test>\"@c.test\\x1b[2J> end\n");
    g_free(line);
    /* libpq's messages end with a newline: no empty line after them. */
    line = logged("ERROR: x\nDETAIL: y\n");
    assert_string_equal(line, "test: warning: ERROR: x\\nDETAIL: y\n");
    g_free(line);
}

static void test_submit_refuses(void **state)
{
    TM_ERROR err;
    int     permanent = 0;

    /* Nothing listens on port 1: a refused address never gets that far. */
    assert_int_equal(smtp_submit("127.0.0.1:1", 5, "desk@help.test",
				 "\"x\r\n rcpt to:<bob@mbox.test>\"@c.test", "x\r\n", 3,
				 &permanent, &err), -1);
    assert_true(permanent);
    assert_string_equal(err.text, "refused to send: the recipient address"
			" <\"x\\r\\n rcpt to:<bob@mbox.test>\"@c.test> has a control character");
    assert_int_equal(smtp_submit("127.0.0.1:1", 5, "desk@help.test\r\nRSET", "a@c.test",
				 "x\r\n", 3, &permanent, &err), -1);
    assert_true(permanent);
    assert_non_null(strstr(err.text, "the sender address"));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_safe),
	cmocka_unit_test(test_unsafe),
	cmocka_unit_test(test_escape),
	cmocka_unit_test(test_log_one_line),
	cmocka_unit_test(test_submit_refuses),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
