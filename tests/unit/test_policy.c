/* test_policy - InternalHosts lists and the authentication predicates */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/core/auth_check.h>
#include <milter/core/policy.h>

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
    assert_true(policy_sender_authenticated(r, 0));
    /* ... but never with a second From (or another duplicated singleton):
     * DKIM signed the last, readers show the first. */
    assert_false(policy_sender_authenticated(r, 1));
    /* A DMARC fail does not, whatever SPF said. */
    r->dmarc.result = AUTH_FAIL;
    assert_false(policy_sender_authenticated(r, 0));
    /* No record: an aligned SPF or DKIM pass is enough. */
    r->dmarc.record = 0;
    r->dmarc.result = AUTH_NONE;
    r->dmarc.spf_aligned = 1;
    assert_true(policy_sender_authenticated(r, 0));
    assert_false(policy_sender_authenticated(r, 1));
    r->dmarc.spf_aligned = 0;
    assert_false(policy_sender_authenticated(r, 0));
    r->dmarc.dkim_aligned = 1;
    assert_true(policy_sender_authenticated(r, 0));
    /* DNS trouble proves nothing. */
    r->dmarc.result = AUTH_TEMPERROR;
    assert_false(policy_sender_authenticated(r, 0));
    assert_false(policy_sender_authenticated(NULL, 0));
    auth_results_free(r);
}

/* signed_results - one passing (or not) signature of domain, with h= and l= facts */

static AUTH_RESULTS *signed_results(AUTH_RESULT result, const char *domain,
				            int signs_from, int body_length)
{
    AUTH_RESULTS *r = auth_fixture_results(AUTH_NONE, "x.test", result, domain);
    AUTH_DKIM *sig = g_ptr_array_index(r->dkim, 0);

    sig->signs_from = signs_from;
    sig->body_length = body_length;
    return (r);
}

static void test_agent_proof(void **state)
{
    TM_ERROR err;
    NETLIST *internal = netlist_parse("127.0.0.1 192.0.2.0/24", &err);
    AUTH_RESULTS *none = auth_fixture_results(AUTH_FAIL, "forged.test", AUTH_NONE, NULL);
    POLICY_CLIENT outside = {.ip = "203.0.113.9", .sasl_login = NULL};
    POLICY_CLIENT inside = {.ip = "192.0.2.33", .sasl_login = NULL};
    POLICY_CLIENT sasl = {.ip = "203.0.113.9", .sasl_login = "agent1"};
    POLICY_CLIENT empty_login = {.ip = "203.0.113.9", .sasl_login = ""};
    POLICY_CLIENT both = {.ip = "127.0.0.1", .sasl_login = "agent1"};

    /* A forged From alone is never enough. */
    assert_int_equal(policy_agent_proof(none, &outside, "alice@help.test", internal, 0), 0);
    assert_int_equal(policy_agent_proof(NULL, &outside, "alice@help.test", internal, 0), 0);
    assert_int_equal(policy_agent_proof(none, &empty_login, "alice@help.test", internal, 0), 0);
    /*
     * A SASL login is reported as a proof to check, not as the agent's:
     * whether "agent1" is alice's login is the database's decision
     * (message_kind() with agent_logins; t_sasl.sh, t_agent.sh).
     */
    assert_int_equal(policy_agent_proof(none, &sasl, "alice@help.test", internal, 0), POLICY_PROOF_SASL);
    assert_int_equal(policy_agent_proof(none, &inside, "alice@help.test", internal, 0), POLICY_PROOF_INTERNAL);
    assert_int_equal(policy_agent_proof(none, &inside, "alice@help.test", NULL, 0), 0);
    assert_int_equal(policy_agent_proof(none, &both, "alice@help.test", internal, 0),
		     POLICY_PROOF_SASL | POLICY_PROOF_INTERNAL);
    /* A message with a second From proves nothing, whoever sent it. */
    assert_int_equal(policy_agent_proof(none, &both, "alice@help.test", internal, 1), 0);
    assert_int_equal(policy_agent_proof(none, &sasl, NULL, internal, 0), 0);
    auth_results_free(none);
    netlist_free(internal);
}

static void test_dkim_vouches(void **state)
{
    AUTH_RESULTS *ok = signed_results(AUTH_PASS, "help.test", 1, 0);
    AUTH_RESULTS *sub = signed_results(AUTH_PASS, "mail.help.test", 1, 0);
    AUTH_RESULTS *bad = signed_results(AUTH_FAIL, "help.test", 1, 0);
    AUTH_RESULTS *other = signed_results(AUTH_PASS, "other.test", 1, 0);
    AUTH_RESULTS *no_from = signed_results(AUTH_PASS, "help.test", 0, 0);
    AUTH_RESULTS *length = signed_results(AUTH_PASS, "help.test", 1, 1);
    POLICY_CLIENT outside = {.ip = "203.0.113.9", .sasl_login = NULL};

    /* d= the From domain, h= with From, no l=: the mailbox is vouched for. */
    assert_true(policy_dkim_vouches(ok, "alice@help.test"));
    assert_true(policy_dkim_vouches(ok, "alice@HELP.test"));
    assert_int_equal(policy_agent_proof(ok, &outside, "alice@help.test", NULL, 0), POLICY_PROOF_DKIM);
    /* ... but not with a second From. */
    assert_int_equal(policy_agent_proof(ok, &outside, "alice@help.test", NULL, 1), 0);
    /* Relaxed alignment is not enough for an agent: a sibling subdomain
     * of the organization does not speak for the agent's mailbox. */
    assert_false(policy_dkim_vouches(sub, "alice@help.test"));
    assert_false(policy_dkim_vouches(ok, "alice@mail.help.test"));
    assert_false(policy_dkim_vouches(bad, "alice@help.test"));
    assert_false(policy_dkim_vouches(other, "alice@help.test"));
    /* A signature that does not cover From vouches for no From. */
    assert_false(policy_dkim_vouches(no_from, "alice@help.test"));
    /* l=: anyone may append to the signed body. */
    assert_false(policy_dkim_vouches(length, "alice@help.test"));
    assert_false(policy_dkim_vouches(ok, "no-at-sign"));
    assert_false(policy_dkim_vouches(ok, NULL));
    assert_false(policy_dkim_vouches(NULL, "alice@help.test"));
    auth_results_free(ok);
    auth_results_free(sub);
    auth_results_free(bad);
    auth_results_free(other);
    auth_results_free(no_from);
    auth_results_free(length);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_netlist),
	cmocka_unit_test(test_org_domain),
	cmocka_unit_test(test_sender_authenticated),
	cmocka_unit_test(test_agent_proof),
	cmocka_unit_test(test_dkim_vouches),
    };
    TM_ERROR err;

    if (auth_dmarc_init(PSL, &err) < 0) {
	fprintf(stderr, "%s\n", err.text);
	return (1);
    }
    return (cmocka_run_group_tests(tests, NULL, NULL));
}
