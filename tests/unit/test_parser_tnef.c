/* test_parser_tnef - the TNEF child keeps no inherited descriptor and
 * dies on a system call it does not need; the caller survives */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>
#include <parser/mail_impl.h>

/* A TNEF stream carrying one file, "a.txt" with "hello". */
static const unsigned char one_file[] =
"\x78\x9f\x3e\x22\x01\x00\x02\x02\x90\x06\x00\x0e\x00\x00\x00\x01\x00"
"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xf5\x0b\x02\x10\x80\x01"
"\x00\x06\x00\x00\x00\x61\x2e\x74\x78\x74\x00\xef\x01\x02\x0f\x80\x06\x00"
"\x05\x00\x00\x00\x68\x65\x6c\x6c\x6f\x14\x02";

static int leak_fd = -1;		/* a pipe the test opened before parsing */

/* winmail - parse a message carrying the stream */

static MAIL *winmail(void)
{
    char   *b64 = g_base64_encode(one_file, sizeof(one_file) - 1);
    char   *msg = g_strdup_printf("Subject: t\nContent-Type: multipart/mixed; boundary=T\n\n"
				  "--T\nContent-Type: text/plain\n\nbody\n"
				  "--T\nContent-Type: application/ms-tnef; name=winmail.dat\n"
				  "Content-Transfer-Encoding: base64\n\n%s\n--T--\n", b64);
    MAIL   *m = mail_parse_bytes(msg, strlen(msg), NULL);

    g_free(msg);
    g_free(b64);
    return (m);
}

/* expanded - the stream was read: its file, no defect */

static int expanded(const MAIL *m)
{
    return (mail_attachment_count(m) == 1
	    && strcmp(mail_attachment(m, 0)->filename, "a.txt") == 0
	    && !(mail_defects(m) & MAIL_DEFECT_TNEF));
}

/* killed - the child died: winmail.dat kept as it is, the defect set */

static int killed(const MAIL *m)
{
    return (mail_attachment_count(m) == 1
	    && strcmp(mail_attachment(m, 0)->filename, "winmail.dat") == 0
	    && (mail_defects(m) & MAIL_DEFECT_TNEF));
}

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

static int teardown_hook(void **state)
{
    tnef_test_hook = NULL;
    return (0);
}

static void hook_none(int confined)
{
}

static void test_unconfined_hook_changes_nothing(void **state)
{
    MAIL   *m;

    tnef_test_hook = hook_none;
    m = winmail();
    assert_true(expanded(m));
    mail_free(m);
}

/* hook_write_inherited - once the descriptors are closed: write to the
 * test's pipe; a write that arrives ends the child with status 9 */

static void hook_write_inherited(int confined)
{
    if (!confined && write(leak_fd, "leak", 4) == 4)
	_exit(9);
}

static void test_no_inherited_descriptor(void **state)
{
    int     fd[2];
    char    buf[8];
    MAIL   *m;

    assert_int_equal(pipe(fd), 0);
    assert_int_equal(fcntl(fd[0], F_SETFL, O_NONBLOCK), 0);
    leak_fd = fd[1];
    tnef_test_hook = hook_write_inherited;
    m = winmail();
    /* The child went on (its write failed: EBADF) and read the stream. */
    assert_true(expanded(m));
    assert_int_equal(read(fd[0], buf, sizeof(buf)), -1);
    assert_int_equal(errno, EAGAIN);
    mail_free(m);
    close(fd[0]);
    close(fd[1]);
}

static void hook_socket(int confined)
{
    if (confined)
	(void) socket(AF_INET, SOCK_STREAM, 0);
}

static void hook_open(int confined)
{
    if (confined)
	(void) open("/etc/passwd", O_RDONLY);
}

static void hook_stderr(int confined)
{
    if (confined)
	(void) write(2, "x", 1);
}

static void test_forbidden_call_kills_child(void **state)
{
    void    (*hooks[]) (int) = {hook_socket, hook_open, hook_stderr};

    for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
	MAIL   *m;

	tnef_test_hook = hooks[i];
	m = winmail();
	assert_true(killed(m));
	mail_free(m);
    }
    /* And the caller goes on: the next stream is read as before. */
    tnef_test_hook = NULL;
    {
	MAIL   *m = winmail();

	assert_true(expanded(m));
	mail_free(m);
    }
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_teardown(test_unconfined_hook_changes_nothing, teardown_hook),
	cmocka_unit_test_teardown(test_no_inherited_descriptor, teardown_hook),
	cmocka_unit_test_teardown(test_forbidden_call_kills_child, teardown_hook),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
