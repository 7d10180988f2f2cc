/*++
/* NAME
/*	test_parser_hostile 1
/* SUMMARY
/*	unit tests: malformed and hostile input, bounds
/* DESCRIPTION
/*	The large inputs are generated here, never committed as files.
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>

/* parse_len - parse bytes that may hold NULs */

static MAIL *parse_len(const char *text, size_t len)
{
    return (mail_parse_bytes(text, len, NULL));
}

/* parse - parse a message given as a string */

static MAIL *parse(const char *text)
{
    return (parse_len(text, strlen(text)));
}

/* setup - initialize the parser once */

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

static void test_missing_final_boundary(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/mixed; boundary=X\n\n"
		      "--X\nContent-Type: text/plain\n\nbody text\n"
		      "--X\nContent-Type: application/octet-stream\n\nabc\n");

    assert_string_equal(mail_text(m), "body text");
    assert_int_equal(mail_attachment_count(m), 1);
    mail_free(m);
}

static void test_boundary_in_body(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/mixed; boundary=X\n\n"
		      "--X\nContent-Type: text/plain\n\nwe talk about --Xylophone here\n--X--\n");

    assert_non_null(strstr(mail_text(m), "--Xylophone"));
    mail_free(m);
}

static void test_no_boundary_parameter(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/mixed\n\n--X\n\ntext\n--X--\n");

    assert_non_null(mail_text(m));
    mail_free(m);
}

static void test_broken_encodings(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/mixed; boundary=X\n\n"
		      "--X\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
		      "caf=C3=A9 =ZZ broken=\n soft\n"
		      "--X\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
		      "aGVs!!bG8=garbage===\n--X\nContent-Type: text/plain\n"
		      "Content-Transfer-Encoding: x-unknown\n\nraw\n--X--\n");

    assert_non_null(strstr(mail_text(m), "café"));
    assert_true(g_utf8_validate(mail_text(m), -1, NULL));
    assert_int_equal(mail_attachment_count(m), 1);
    mail_free(m);
}

static void test_unknown_charset_and_8bit_headers(void **state)
{
    MAIL   *m = parse("From: J\xc3\xbcrgen <j@x>\nSubject: Gr\xfc\xdf" "e \xd0\xf2\n"
		      "Content-Type: text/plain; charset=x-martian\n\nhello\n");

    assert_string_equal(mail_from_name(m), "Jürgen");
    assert_true(g_utf8_validate(mail_subject(m), -1, NULL));
    assert_true(mail_defects(m) & MAIL_DEFECT_8BIT_HEADER);
    assert_string_equal(mail_text(m), "hello\n");
    mail_free(m);
}

static void test_raw_header_in_body_charset(void **state)
{
    /* KOI8-R in the raw Subject; the body's label says which charset. */
    MAIL   *m = parse("From: x@y\nSubject: \xf0\xd2\xc9\xd7\xc5\xd4\n"
		      "Content-Type: text/plain; charset=\"koi8-r\"\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n");

    assert_string_equal(mail_subject(m), "Привет");
    assert_string_equal(mail_text(m), "Привет\n");
    mail_free(m);
}

static void test_nul_bytes(void **state)
{
    static const char msg[] = "Subject: a\0b\nFrom: x@y\n\nbefore\0after\n";
    MAIL   *m = parse_len(msg, sizeof(msg) - 1);

    assert_string_equal(mail_text(m), "before\xEF\xBF\xBD" "after\n");
    assert_true(mail_defects(m) & MAIL_DEFECT_NUL);
    mail_free(m);
    {
	static const char koi[] = "Content-Type: text/plain; charset=koi8-r\n\n\xf0\0\xf0";

	m = parse_len(koi, sizeof(koi) - 1);
	assert_string_equal(mail_text(m), "П\xEF\xBF\xBDП");
	assert_true(mail_defects(m) & MAIL_DEFECT_NUL);
	mail_free(m);
    }
}

static void test_deep_nesting(void **state)
{
    GString *s = g_string_new("Subject: deep\n");
    MAIL   *m;

    for (int i = 0; i < 1000; i++)
	g_string_append_printf(s, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i);
    g_string_append(s, "Content-Type: text/plain\n\ndeep text\n");
    m = parse_len(s->str, s->len);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_DEPTH);
    assert_string_equal(mail_subject(m), "deep");
    mail_free(m);
    g_string_free(s, TRUE);
}

static void test_many_parts(void **state)
{
    GString *s = g_string_new("Subject: parts\nContent-Type: multipart/mixed; boundary=P\n\n");
    MAIL   *m;

    for (int i = 0; i < 10000; i++)
	g_string_append_printf(s, "--P\nContent-Type: application/x-n\n\n%d\n", i);
    g_string_append(s, "--P--\n");
    m = parse_len(s->str, s->len);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_PARTS);
    assert_true(mail_attachment_count(m) < 2000);
    mail_free(m);
    g_string_free(s, TRUE);
}

static void test_many_headers(void **state)
{
    GString *s = g_string_new("Subject: headers\n");
    MAIL   *m;

    for (int i = 0; i < 100000; i++)
	g_string_append_printf(s, "X-H%d: v\n", i);
    g_string_append(s, "\nbody\n");
    m = parse_len(s->str, s->len);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_HEADERS);
    assert_string_equal(mail_subject(m), "headers");
    assert_string_equal(mail_text(m), "body\n");
    mail_free(m);
    g_string_free(s, TRUE);
}

static void test_huge_header_line(void **state)
{
    GString *s = g_string_new("Subject: ");
    MAIL   *m;
    MAIL_LIMITS lim;

    for (int i = 0; i < 1024 * 1024; i++)
	g_string_append_c(s, 'a' + i % 26);
    g_string_append(s, "\nFrom: x@y\n\nbody\n");
    mail_limits_default(&lim);
    m = mail_parse_bytes(s->str, s->len, &lim);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_HEADER_BYTES);
    assert_true(strlen(mail_subject(m)) <= lim.max_header_bytes);
    assert_string_equal(mail_from_address(m), "x@y");
    mail_free(m);
    g_string_free(s, TRUE);
}

static void test_decoded_bound(void **state)
{
    GString *s = g_string_new("Content-Type: multipart/mixed; boundary=D\n\n--D\n"
			      "Content-Type: application/octet-stream\n\n");
    MAIL_LIMITS lim;
    MAIL   *m;

    for (int i = 0; i < 4096; i++)
	g_string_append(s, "0123456789abcdef\n");
    g_string_append(s, "--D--\n");
    mail_limits_default(&lim);
    lim.max_decoded_bytes = 1000;
    m = mail_parse_bytes(s->str, s->len, &lim);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_DECODED);
    assert_int_equal(mail_attachment(m, 0)->size, 1000);
    assert_true(mail_attachment(m, 0)->truncated);
    assert_string_equal(mail_bound_name(MAIL_BOUND_DECODED), "decoded_bytes");
    mail_free(m);
    g_string_free(s, TRUE);
}

static void test_empty_and_garbage(void **state)
{
    MAIL   *m = parse_len("", 0);

    assert_string_equal(mail_subject(m), "");
    assert_string_equal(mail_text(m), "");
    mail_free(m);
    m = parse("\xff\xfe\x00garbage without headers");
    assert_true(g_utf8_validate(mail_text(m), -1, NULL));
    mail_free(m);
}

/* parse_thread - parse one message in a thread */

static gpointer parse_thread(gpointer data)
{
    for (int i = 0; i < 50; i++) {
	MAIL   *m = parse("From: a@b\nSubject: Re: x\nContent-Type: text/html\n\n<p>hi</p>\n");

	g_assert_cmpstr(mail_text(m), ==, "hi");
	mail_free(m);
    }
    return (NULL);
}

static void test_threads(void **state)
{
    GThread *t[8];

    for (int i = 0; i < 8; i++)
	t[i] = g_thread_new("parse", parse_thread, NULL);
    for (int i = 0; i < 8; i++)
	g_thread_join(t[i]);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_missing_final_boundary),
	cmocka_unit_test(test_boundary_in_body),
	cmocka_unit_test(test_no_boundary_parameter),
	cmocka_unit_test(test_broken_encodings),
	cmocka_unit_test(test_unknown_charset_and_8bit_headers),
	cmocka_unit_test(test_raw_header_in_body_charset),
	cmocka_unit_test(test_nul_bytes),
	cmocka_unit_test(test_deep_nesting),
	cmocka_unit_test(test_many_parts),
	cmocka_unit_test(test_many_headers),
	cmocka_unit_test(test_huge_header_line),
	cmocka_unit_test(test_decoded_bound),
	cmocka_unit_test(test_empty_and_garbage),
	cmocka_unit_test(test_threads),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
