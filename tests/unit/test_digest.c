/* test_digest - the content digest ignores trace fields and line ends */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/core/digest.h>
#include <parser/util/sha256.h>

/* digest_of - the digest of a C string */

static char *digest_of(const char *text)
{
    return (message_digest(text, strlen(text)));
}

static void test_trace_fields_ignored(void **state)
{
    char   *a = digest_of("From: a@x\r\nSubject: s\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n");
    char   *b = digest_of("Received: from mx1 by mx2;\r\n\tSat, 28 Nov 2026 10:00:00 +0000\r\n"
			  "Return-Path: <a@x>\r\nFrom: a@x\r\nSubject: s\r\n"
			  "Authentication-Results: mx2; spf=pass\r\nMessage-ID: <1@x>\r\n"
			  "X-Original-To: support@y\r\nDelivered-To: support@y\r\n\r\nbody\r\n");
    char   *c = digest_of("From: a@x\nSubject: s\nMessage-ID: <1@x>\n\nbody\n");

    assert_string_equal(a, b);
    assert_string_equal(a, c);			/* LF and CRLF count the same */
    assert_int_equal(strlen(a), 64);
    g_free(a);
    g_free(b);
    g_free(c);
}

/* Two MX hosts with their own content filters: the verdicts differ, the
 * message is the same. */
static void test_filter_fields_ignored(void **state)
{
    char   *a = digest_of("From: a@x\r\nX-Spam-Status: No, score=-1.0\r\n"
			  "X-Spam-Score: -1.0\r\nX-Virus-Scanned: clamav at mx1\r\n"
			  "Message-ID: <1@x>\r\n\r\nbody\r\n");
    char   *b = digest_of("X-Amavis-Alert: none\r\nFrom: a@x\r\n"
			  "X-Spam-Status: Yes, score=7.2\r\n\ttests=FOO,BAR\r\n"
			  "X-Rspamd-Score: 7.2\r\nMessage-ID: <1@x>\r\n"
			  "X-Microsoft-Antispam: BCL:0;\r\n\r\nbody\r\n");
    char   *c = digest_of("From: a@x\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n");
    /* A field that only starts like a prefix's word is content. */
    char   *d = digest_of("From: a@x\r\nX-Spammy: 1\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n");

    assert_string_equal(a, c);
    assert_string_equal(b, c);
    assert_string_not_equal(c, d);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
}

static void test_content_counts(void **state)
{
    char   *a = digest_of("From: a@x\r\nMessage-ID: <1@x>\r\n\r\nbody one\r\n");
    char   *b = digest_of("From: a@x\r\nMessage-ID: <1@x>\r\n\r\nbody two\r\n");
    char   *c = digest_of("From: b@x\r\nMessage-ID: <1@x>\r\n\r\nbody one\r\n");
    /* A folded line of a kept field is content, not a trace continuation. */
    char   *d = digest_of("From: a@x\r\nMessage-ID: <1@x>\r\nX-Note: one\r\n two\r\n\r\nbody one\r\n");

    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(a, d);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
}

/* test_known_values - the digest is SHA-256 of the LF-normalized message */

static void test_known_values(void **state)
{
    char   *d = digest_of("Subject: s\r\n\r\nbody\r\n");
    char    hex[SHA256_HEX_SIZE];
    SHA256_SUM *sum;

    assert_string_equal(d, "82dfdfdc10c79b3b8caabb5acf1e080f44f935486d65d5f16a5cd89d06aba6f7");
    g_free(d);
    sha256_finish(sha256_new(), hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sum = sha256_new();
    sha256_update(sum, "a", 1);
    sha256_update(sum, "bc", 2);
    sha256_finish(sum, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_trace_fields_ignored),
	cmocka_unit_test(test_filter_fields_ignored),
	cmocka_unit_test(test_content_counts),
	cmocka_unit_test(test_known_values),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
