/* test_auth_dkim - DKIM verification with keys from a table resolver's file */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/types.h>
#include <stdbool.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <opendkim/dkim.h>

#include <milter/core/auth_check.h>

/* A key for these tests only, made with openssl genrsa 1024. */
static const char test_private_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAL4YhhpWJs85ovlA\n"
    "PKWqds9lrAYh07GMkQKbCnEWTpz+rD8su3sQXHOyXr3IyL8Wby2wgvkEVPtAZRpn\n"
    "GEbGkzpMwALs2FK+0MA7OBeFgKqOZi9xKwROMfT6oP22ukg9DNDTZmZYhAYaHiVt\n"
    "4YpXmKLPmDvZObRxHTGQcvm4jZ13AgMBAAECgYBDe283sDesvrg1JXGiGeZ9b4lm\n"
    "z+FXmR/tPd6yEIotv1akQpv3bvJy+/IYC0wAUdV78bo87iXA37ZEbi63CU0/+1fU\n"
    "3XkJtMzuOwjG4qMBhCv8xOlumh+E0aEWd3VlArnQv9C4RNLwjlbOwYc34Y6Sg7SM\n"
    "aRn0y2wD6rU/CNLMqQJBAN5jUtsArTFwvD1UhmMLZZGJZNQM9CRk2ihRcUtSAxdx\n"
    "2DwEL6e0IaeNkgMqnsDT7A6rxmM8ZbZARKtGUMLvagsCQQDa0765JJqxg9qplC/9\n"
    "Y1IimXXz5qpDapb2jsvkxKP/P5/feXPSLEC7anrrRT9+iIuM2osp+OKdaIZmM5WJ\n"
    "h+nFAkA5KfLMVJowUTgx055Pq0hKZrTCRSokiMADCRxELiqZRiw9ER5mz0ivVxan\n"
    "Nbdk/ZR6GPF/5LCIbnC4TfTIht4NAkAY8utb0ICSnKXhj7OpABntN/HqzPG8nfp4\n"
    "Qe+dNY49G9Pudrpty/3VYF6DVHHYy1idxoz3TBkKOVCZdmgmNgjBAkBdLZEb+M/m\n"
    "YwIWetQo3YBhrliZVSrrCHYwbxJn49dDlPYhyoGTgQ2E6cgDZNWeXQ4+hKRB8TkK\n"
    "UKG4vDTYFztf\n"
    "-----END PRIVATE KEY-----\n"
    ;

static const char test_public_key[] = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+GIYaVibPOaL5QDylqnbPZawGIdOxjJECmwpxFk6c/qw/LLt7EFxzsl69yMi/Fm8tsIL5BFT7QGUaZxhGxpM6TMAC7NhSvtDAOzgXhYCqjmYvcSsETjH0+qD9trpIPQzQ02ZmWIQGGh4lbeGKV5iiz5g72Tm0cR0xkHL5uI2ddwIDAQAB";

static const char message[] =
    "From: Customer <a@example.test>\r\n"
    "To: support@help.test\r\n"
    "Subject: printer\r\n"
    "Date: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <dkim-unit@example.test>\r\n"
    "\r\n"
    "My printer is on fire.\r\n";

static DKIM_LIB *signer;
static char *key_file;
static RESOLVER *table;			/* keys from key_file */

/* sign - message signed for example.test with selector; body_length -1: all */

static char *sign(const char *text, const char *selector, ssize_t body_length)
{
    DKIM_STAT status;
    DKIM   *dkim = dkim_sign(signer, (const u_char *) "test", NULL,
			     (dkim_sigkey_t) test_private_key, (const u_char *) selector,
			     (const u_char *) "example.test", DKIM_CANON_RELAXED,
			     DKIM_CANON_SIMPLE, DKIM_SIGN_RSASHA256, body_length, &status);
    u_char *header;
    size_t  len;
    char   *signed_text;

    assert_non_null(dkim);
    assert_int_equal(dkim_chunk(dkim, (u_char *) text, strlen(text)), DKIM_STAT_OK);
    assert_int_equal(dkim_chunk(dkim, NULL, 0), DKIM_STAT_OK);
    assert_int_equal(dkim_eom(dkim, NULL), DKIM_STAT_OK);
    assert_int_equal(dkim_getsighdr_d(dkim, strlen("DKIM-Signature: "), &header, &len), DKIM_STAT_OK);
    signed_text = g_strdup_printf("DKIM-Signature: %s\r\n%s", header, text);
    dkim_free(dkim);
    return (signed_text);
}

/* verify - the DKIM results of a message */

static GPtrArray *verify(const char *text)
{
    AUTH_INPUT in = {.raw = text, .raw_len = strlen(text)};
    GPtrArray *sigs = g_ptr_array_new();

    auth_dkim_check(&in, sigs);
    return (sigs);
}

/* sigs_free - release verify()'s results */

static void sigs_free(GPtrArray *sigs)
{
    for (guint i = 0; i < sigs->len; i++) {
	AUTH_DKIM *sig = g_ptr_array_index(sigs, i);

	g_free(sig->domain);
	g_free(sig->selector);
	g_free(sig->b_prefix);
	g_free(sig->reason);
	g_free(sig);
    }
    g_ptr_array_free(sigs, TRUE);
}

/* expect_one - one signature with this result and reason */

static void expect_one(const char *text, AUTH_RESULT result, const char *reason)
{
    GPtrArray *sigs = verify(text);
    AUTH_DKIM *sig;

    assert_int_equal(sigs->len, 1);
    sig = g_ptr_array_index(sigs, 0);
    assert_string_equal(auth_result_name(sig->result), auth_result_name(result));
    if (reason)
	assert_string_equal(sig->reason, reason);
    else
	assert_null(sig->reason);
    assert_string_equal(sig->domain, "example.test");
    sigs_free(sigs);
}

static void test_pass(void **state)
{
    char   *text = sign(message, "sel", -1);
    GPtrArray *sigs = verify(text);
    AUTH_DKIM *sig = g_ptr_array_index(sigs, 0);

    assert_int_equal(sigs->len, 1);
    assert_int_equal(sig->result, AUTH_PASS);
    assert_string_equal(sig->selector, "sel");
    assert_int_equal(strlen(sig->b_prefix), 8);
    assert_true(sig->signs_from);
    assert_false(sig->body_length);
    sigs_free(sigs);
    g_free(text);
}

static void test_changed(void **state)
{
    char   *text = sign(message, "sel", -1);
    char   *body = g_strconcat(text, "P.S. added on the way\r\n", NULL);
    char   *subject = g_strdup(text);

    expect_one(body, AUTH_FAIL, "body hash mismatch");
    memcpy(strstr(subject, "Subject: printer"), "Subject: Printer", 16);
    expect_one(subject, AUTH_FAIL, "signature mismatch");
    g_free(text);
    g_free(body);
    g_free(subject);
}

static void test_keys(void **state)
{
    char   *gone = sign(message, "gone", -1);
    char   *revoked = sign(message, "revoked", -1);

    expect_one(gone, AUTH_PERMERROR, "no key");
    expect_one(revoked, AUTH_FAIL, "key revoked");
    g_free(gone);
    g_free(revoked);
}

static void test_body_length(void **state)
{
    /* l= covers the body as signed; what is appended later is not signed. */
    char   *text = sign(message, "sel", (ssize_t) strlen("My printer is on fire.\r\n"));
    char   *more = g_strconcat(text, "Appended by a list.\r\n", NULL);

    GPtrArray *sigs;

    expect_one(text, AUTH_PASS, NULL);
    expect_one(more, AUTH_PASS, NULL);
    /* It passes, and says it used l=: no proof of an agent (policy.h). */
    sigs = verify(more);
    assert_true(((AUTH_DKIM *) g_ptr_array_index(sigs, 0))->body_length);
    assert_true(((AUTH_DKIM *) g_ptr_array_index(sigs, 0))->signs_from);
    sigs_free(sigs);
    g_free(text);
    g_free(more);
}

static void test_every_signature(void **state)
{
    char   *one = sign(message, "gone", -1);
    char   *two = sign(one, "sel", -1);
    GPtrArray *sigs = verify(two);
    int     pass = 0, permerror = 0;

    assert_int_equal(sigs->len, 2);
    for (guint i = 0; i < sigs->len; i++) {
	AUTH_DKIM *sig = g_ptr_array_index(sigs, i);

	pass += sig->result == AUTH_PASS;
	permerror += sig->result == AUTH_PERMERROR;
    }
    assert_int_equal(pass, 1);
    assert_int_equal(permerror, 1);
    sigs_free(sigs);
    g_free(one);
    g_free(two);
}

static void test_key_unreachable(void **state)
{
    /* The key's name server fails: temperror, not a forgery. */
    char   *text = sign(message, "down", -1);

    expect_one(text, AUTH_TEMPERROR, "key not retrieved");
    g_free(text);
}

static void test_unsigned(void **state)
{
    GPtrArray *sigs = verify(message);

    assert_int_equal(sigs->len, 0);
    sigs_free(sigs);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_pass),
	cmocka_unit_test(test_changed),
	cmocka_unit_test(test_keys),
	cmocka_unit_test(test_body_length),
	cmocka_unit_test(test_every_signature),
	cmocka_unit_test(test_key_unreachable),
	cmocka_unit_test(test_unsigned),
    };
    char   *dir = g_dir_make_tmp("test_auth_dkim.XXXXXX", NULL);
    char   *keys;
    TM_ERROR err;
    int     failed;

    key_file = g_build_filename(dir, "keys", NULL);
    keys = g_strdup_printf("# the test's zone\n"
			   "sel._domainkey.example.test TXT v=DKIM1; k=rsa; p=%s\n"
			   "revoked._domainkey.example.test TXT v=DKIM1; k=rsa; p=\n"
			   "down._domainkey.example.test SERVFAIL\n",
			   test_public_key);
    g_file_set_contents(key_file, keys, -1, NULL);
    table = resolver_table_new();
    signer = dkim_init(NULL, NULL);
    if (signer == NULL || resolver_table_load(table, key_file, &err) < 0
	|| auth_dkim_init(table, &err) < 0) {
	fprintf(stderr, "%s\n", signer ? err.text : "dkim_init failed");
	return (1);
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    dkim_close(signer);
    resolver_free(table);
    g_unlink(key_file);
    g_rmdir(dir);
    g_free(key_file);
    g_free(keys);
    g_free(dir);
    return (failed);
}
