/* test_auth_policy - InternalHosts lists and the authentication predicates */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/auth_check.h>
#include <milter/policy.h>

#include "auth_fixture.h"

#define PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static void test_netlist(void **state)
{
    TM_ERROR err;
    NETLIST *list = netlist_parse("127.0.0.1, 192.0.2.0/24 2001:db8::/32 ::1", &err);

    assert_non_null(list);
    assert_true(netlist_contains(list, "127.0.0.1"));
    assert_false(netlist_contains(list, "127.0.0.2"));
    assert_true(netlist_contains(list, "192.0.2.77"));
    assert_false(netlist_contains(list, "192.0.3.1"));
    assert_true(netlist_contains(list, "2001:db8:1::5"));
    assert_true(netlist_contains(list, "::1"));
    assert_true(netlist_contains(list, "::ffff:192.0.2.1"));
    assert_false(netlist_contains(list, "2001:db9::1"));
    assert_false(netlist_contains(list, "not an address"));
    assert_false(netlist_contains(list, NULL));
    netlist_free(list);

    list = netlist_parse("10.0.0.0/9", &err);
    assert_true(netlist_contains(list, "10.127.255.255"));
    assert_false(netlist_contains(list, "10.128.0.0"));
    netlist_free(list);

    list = netlist_parse("", &err);
    assert_non_null(list);
    assert_false(netlist_contains(list, "127.0.0.1"));
    netlist_free(list);

    assert_null(netlist_parse("127.0.0.1/33", &err));
    assert_non_null(strstr(err.text, "prefix"));
    assert_null(netlist_parse("localhost", &err));
    assert_null(netlist_parse("10.0.0.0/", &err));
    assert_null(netlist_parse("::/129", &err));
}

static void test_org_domain(void **state)
{
    char   *org;

    assert_string_equal((org = auth_org_domain("Mail.Example.CO.UK")), "example.co.uk");
    g_free(org);
    /* An unlisted TLD is a public suffix by the list's implicit "*" rule. */
    assert_string_equal((org = auth_org_domain("a.b.org.test")), "org.test");
    g_free(org);
    assert_null(auth_org_domain("co.uk"));
    assert_null(auth_org_domain(""));
    assert_true(auth_domains_aligned("mail.example.com", "Example.com", 0));
    assert_false(auth_domains_aligned("mail.example.com", "example.com", 1));
    assert_true(auth_domains_aligned("example.com", "EXAMPLE.com", 1));
    assert_false(auth_domains_aligned("a.co.uk", "b.co.uk", 0));
    assert_false(auth_domains_aligned("example.com", NULL, 0));
}

static void test_sender_authenticated(void **state)
{
    AUTH_RESULTS *r = auth_fixture_results(AUTH_PASS, "customer.test", AUTH_NONE, NULL);

    /* A DMARC pass proves the sender. */
    r->dmarc.record = 1;
    r->dmarc.result = AUTH_PASS;
    assert_true(policy_sender_authenticated(r));
    /* A DMARC fail does not, whatever SPF said. */
    r->dmarc.result = AUTH_FAIL;
    assert_false(policy_sender_authenticated(r));
    /* No record: an aligned SPF or DKIM pass is enough. */
    r->dmarc.record = 0;
    r->dmarc.result = AUTH_NONE;
    r->dmarc.spf_aligned = 1;
    assert_true(policy_sender_authenticated(r));
    r->dmarc.spf_aligned = 0;
    assert_false(policy_sender_authenticated(r));
    r->dmarc.dkim_aligned = 1;
    assert_true(policy_sender_authenticated(r));
    /* DNS trouble proves nothing. */
    r->dmarc.result = AUTH_TEMPERROR;
    assert_false(policy_sender_authenticated(r));
    assert_false(policy_sender_authenticated(NULL));
    auth_results_free(r);
}

static void test_agent_authenticated(void **state)
{
    TM_ERROR err;
    NETLIST *internal = netlist_parse("127.0.0.1 192.0.2.0/24", &err);
    AUTH_RESULTS *none = auth_fixture_results(AUTH_FAIL, "forged.test", AUTH_NONE, NULL);
    AUTH_RESULTS *signed_ok = auth_fixture_results(AUTH_NONE, "x.test", AUTH_PASS, "mail.help.test");
    AUTH_RESULTS *signed_bad = auth_fixture_results(AUTH_NONE, "x.test", AUTH_FAIL, "help.test");
    AUTH_RESULTS *signed_other = auth_fixture_results(AUTH_NONE, "x.test", AUTH_PASS, "other.test");
    POLICY_CLIENT outside = {.ip = "203.0.113.9", .sasl_login = NULL};
    POLICY_CLIENT inside = {.ip = "192.0.2.33", .sasl_login = NULL};
    POLICY_CLIENT sasl = {.ip = "203.0.113.9", .sasl_login = "agent1"};
    POLICY_CLIENT empty_login = {.ip = "203.0.113.9", .sasl_login = ""};

    /* A forged From alone is never enough. */
    assert_false(policy_agent_authenticated(none, &outside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(NULL, &outside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(none, &empty_login, "alice@help.test", internal));
    /* SASL login, an internal host, or an aligned DKIM pass is. */
    assert_true(policy_agent_authenticated(none, &sasl, "alice@help.test", internal));
    assert_true(policy_agent_authenticated(none, &inside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(none, &inside, "alice@help.test", NULL));
    assert_true(policy_agent_authenticated(signed_ok, &outside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(signed_bad, &outside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(signed_other, &outside, "alice@help.test", internal));
    assert_false(policy_agent_authenticated(signed_ok, &outside, "no-at-sign", internal));
    auth_results_free(none);
    auth_results_free(signed_ok);
    auth_results_free(signed_bad);
    auth_results_free(signed_other);
    netlist_free(internal);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_netlist),
	cmocka_unit_test(test_org_domain),
	cmocka_unit_test(test_sender_authenticated),
	cmocka_unit_test(test_agent_authenticated),
    };
    TM_ERROR err;

    if (auth_dmarc_init(PSL, &err) < 0) {
	fprintf(stderr, "%s\n", err.text);
	return (1);
    }
    return (cmocka_run_group_tests(tests, NULL, NULL));
}
