/* test_auth_config - the configuration keys of sender verification */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/config.h>

/* load - a configuration from text; NULL with err filled on a bad one */

static CONFIG *load(const char *extra, TM_ERROR *err)
{
    char   *path = NULL;
    int     fd = g_file_open_tmp("test_auth_config.XXXXXX", &path, NULL);
    char   *text = g_strdup_printf("Socket inet:8891@127.0.0.1\nDatabase dbname=x\n%s", extra);
    CONFIG *config;

    assert_true(fd >= 0);
    close(fd);
    g_file_set_contents(path, text, -1, NULL);
    config = config_load(path, err);
    g_unlink(path);
    g_free(path);
    g_free(text);
    return (config);
}

static void test_defaults(void **state)
{
    TM_ERROR err;
    CONFIG *config = load("", &err);

    assert_non_null(config);
    assert_true(config->verify_senders);
    assert_string_equal(config->authserv_id, g_get_host_name());
    assert_int_equal(config->dns_timeout, 5);
    assert_int_equal(config->dns_cache_size, 4 * 1024 * 1024);
    assert_int_equal(config->dmarc_reject_action, ACTION_ACCEPT);
    /* No internal hosts unless configured: loopback may be a content filter. */
    assert_false(netlist_contains(config->internal_hosts, "127.0.0.1"));
    assert_non_null(strstr(config->public_suffix_list, "public_suffix_list.dat"));
    config_free(config);
}

static void test_values(void **state)
{
    TM_ERROR err;
    CONFIG *config = load("AuthservID mx.help.test\nVerifySenders no\nDNSTimeout 2s\n"
			  "DNSCacheSize 0\n"
			  "DmarcRejectAction reject\nInternalHosts 127.0.0.1, 192.0.2.0/24 ::1\n"
			  "PublicSuffixList /srv/psl.dat\n", &err);

    assert_non_null(config);
    assert_string_equal(config->authserv_id, "mx.help.test");
    assert_false(config->verify_senders);
    assert_int_equal(config->dns_timeout, 2);
    assert_int_equal(config->dns_cache_size, 0);
    assert_int_equal(config->dmarc_reject_action, ACTION_REJECT);
    assert_true(netlist_contains(config->internal_hosts, "192.0.2.200"));
    assert_true(netlist_contains(config->internal_hosts, "::1"));
    assert_false(netlist_contains(config->internal_hosts, "192.0.3.1"));
    assert_string_equal(config->public_suffix_list, "/srv/psl.dat");
    config_free(config);
}

static void test_errors(void **state)
{
    TM_ERROR err;

    assert_null(load("InternalHosts 10.0.0.0/40\n", &err));
    assert_non_null(strstr(err.text, "InternalHosts"));
    assert_non_null(strstr(err.text, "prefix"));
    assert_null(load("InternalHosts mail.example.com\n", &err));
    assert_non_null(strstr(err.text, "not an IP address"));
    /* A DMARC reject retried for days helps nobody: no tempfail here. */
    assert_null(load("DmarcRejectAction tempfail\n", &err));
    assert_non_null(strstr(err.text, "accept or reject"));
    assert_null(load("DNSTimeout 0\n", &err));
    assert_non_null(strstr(err.text, "DNSTimeout"));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_defaults),
	cmocka_unit_test(test_values),
	cmocka_unit_test(test_errors),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
