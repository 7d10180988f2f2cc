/* test_queue_addr - support address normal form and extensions */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/core/queue_addr.h>

/* expect_norm - normalizing in gives want (NULL: refused) */

static void expect_norm(const char *in, const char *want)
{
    char   *got = queue_addr_normalize(in);

    if (want == NULL)
	assert_null(got);
    else
	assert_string_equal(got, want);
    g_free(got);
}

static void test_normalize(void **state)
{
    expect_norm("<Support@Example.COM>", "support@example.com");
    expect_norm("support@example.com", "support@example.com");
    expect_norm("<>", NULL);
    expect_norm("", NULL);
    expect_norm("nodomain", NULL);
    expect_norm("@example.com", NULL);
    expect_norm("local@", NULL);
    expect_norm("a@b@c", NULL);
    expect_norm("<with space@example.com>", NULL);
}

static void test_base(void **state)
{
    char   *ext;
    char   *base = queue_addr_base("<Support+T100-ab12@Example.com>", "+", &ext);

    assert_string_equal(base, "support@example.com");
    assert_string_equal(ext, "t100-ab12");
    g_free(base);
    g_free(ext);

    base = queue_addr_base("support@example.com", "+", &ext);
    assert_string_equal(base, "support@example.com");
    assert_null(ext);
    g_free(base);

    /* A leading delimiter is part of the name, not an extension. */
    base = queue_addr_base("+x@example.com", "+", &ext);
    assert_string_equal(base, "+x@example.com");
    assert_null(ext);
    g_free(base);

    /* No delimiter configured: nothing is cut. */
    base = queue_addr_base("a+b@example.com", "", NULL);
    assert_string_equal(base, "a+b@example.com");
    g_free(base);

    assert_null(queue_addr_base("<>", "+", &ext));
    assert_null(ext);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_normalize),
	cmocka_unit_test(test_base),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
