/* test_apikey - ticket-api tokens: their shape, their hash, what is no token */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <milter/core/apikey.h>
#include <milter/core/ticket_status.h>

static void test_token_new(void **state)
{
    char    a[APIKEY_TOKEN_SIZE], b[APIKEY_TOKEN_SIZE], hash[SHA256_HEX_SIZE];

    assert_int_equal(apikey_token_new(a), 0);
    assert_int_equal(apikey_token_new(b), 0);
    assert_int_equal(strlen(a), APIKEY_TOKEN_LEN);
    assert_memory_equal(a, "tm_", 3);
    assert_int_equal(strspn(a + 3, "0123456789abcdef"), 64);
    /* 256 random bits: two tokens never meet. */
    assert_string_not_equal(a, b);
    assert_int_equal(apikey_token_hash(a, strlen(a), hash), 0);
}

static void test_token_hash(void **state)
{
    const char *token = "tm_0000000000000000000000000000000000000000000000000000000000000000";
    char    hash[SHA256_HEX_SIZE];

    assert_int_equal(apikey_token_hash(token, strlen(token), hash), 0);
    /* printf %s "$token" | sha256sum */
    assert_string_equal(hash, "8962a50d6ccb27046a7a0ee6a02fcfc7059bc7f2241c47f4f05793ca10e140b8");
}

static void test_not_tokens(void **state)
{
    char    hash[SHA256_HEX_SIZE];
    const char *bad[] = {
	"", "tm_", "tm_00",
	"xx_0000000000000000000000000000000000000000000000000000000000000000",
	"tm_000000000000000000000000000000000000000000000000000000000000000G",
	"tm_00000000000000000000000000000000000000000000000000000000000000000",
	"TM_0000000000000000000000000000000000000000000000000000000000000000",
	0,
    };

    for (int i = 0; bad[i]; i++)
	assert_int_equal(apikey_token_hash(bad[i], strlen(bad[i]), hash), -1);
}

static void test_status_known(void **state)
{
    assert_true(ticket_status_known("open"));
    assert_true(ticket_status_known("spam"));
    assert_false(ticket_status_known("Open"));
    assert_false(ticket_status_known("merged"));
    assert_false(ticket_status_known(""));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_token_new),
	cmocka_unit_test(test_token_hash),
	cmocka_unit_test(test_not_tokens),
	cmocka_unit_test(test_status_known),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
