/* test_auth_results - SPF and DMARC from a table resolver, the A-R text and JSON */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include <milter/core/auth_check.h>
#include <milter/daemon/authres.h>

#include "auth_fixture.h"

#define PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static RESOLVER *table;			/* the records of main() */

/* spf_of - the SPF result for a client, HELO and MAIL FROM */

static AUTH_RESULT spf_of(const char *ip, const char *helo, const char *from, char **scope)
{
    AUTH_INPUT in = {.client_ip = ip, .helo = helo, .mail_from = from};
    AUTH_SPF spf = {0};
    AUTH_RESULT result;

    auth_spf_check(table, &in, &spf);
    result = spf.result;
    if (scope)
	*scope = g_strdup(spf.scope);
    g_free(spf.identity);
    g_free(spf.domain);
    g_free(spf.reason);
    return (result);
}

static void test_spf(void **state)
{
    char   *scope;

    assert_int_equal(spf_of("192.0.2.10", "mx.test", "a@pass.test", NULL), AUTH_PASS);
    assert_int_equal(spf_of("192.0.2.99", "mx.test", "a@pass.test", NULL), AUTH_FAIL);
    assert_int_equal(spf_of("192.0.2.99", "mx.test", "a@soft.test", NULL), AUTH_SOFTFAIL);
    assert_int_equal(spf_of("192.0.2.99", "mx.test", "a@neutral.test", NULL), AUTH_NEUTRAL);
    assert_int_equal(spf_of("192.0.2.99", "mx.test", "a@none.test", NULL), AUTH_NONE);
    assert_int_equal(spf_of("192.0.2.99", "mx.test", "a@broken.test", NULL), AUTH_PERMERROR);
    /* The name server fails: temperror, not the record's fault. */
    assert_int_equal(spf_of("192.0.2.10", "mx.test", "a@down.test", NULL), AUTH_TEMPERROR);
    /* Mechanisms that ask again: a, mx, include. */
    assert_int_equal(spf_of("192.0.2.30", "mx.test", "a@a.test", NULL), AUTH_PASS);
    assert_int_equal(spf_of("2001:db8::30", "mx.test", "a@a.test", NULL), AUTH_PASS);
    assert_int_equal(spf_of("192.0.2.31", "mx.test", "a@mx.test", NULL), AUTH_PASS);
    assert_int_equal(spf_of("192.0.2.30", "mx.test", "a@mx.test", NULL), AUTH_FAIL);
    assert_int_equal(spf_of("192.0.2.10", "mx.test", "a@include.test", NULL), AUTH_PASS);
    assert_int_equal(spf_of("2001:db8::10", "mx.test", "a@pass.test", NULL), AUTH_PASS);
    /* A null sender: the HELO identity is checked. */
    assert_int_equal(spf_of("192.0.2.10", "pass.test", "", &scope), AUTH_PASS);
    assert_string_equal(scope, "helo");
    g_free(scope);
    assert_int_equal(spf_of("192.0.2.99", "pass.test", "", NULL), AUTH_FAIL);
    /* Nothing to check. */
    assert_int_equal(spf_of("192.0.2.10", "[192.0.2.10]", "", NULL), AUTH_NONE);
    assert_int_equal(spf_of(NULL, "mx.test", "a@pass.test", NULL), AUTH_NONE);
}

/* dmarc_of - DMARC for a From domain with given SPF and DKIM outcomes */

static AUTH_RESULTS *dmarc_of(const char *from_domain, AUTH_RESULT spf, const char *spf_domain,
			              AUTH_RESULT dkim, const char *dkim_domain)
{
    AUTH_INPUT in = {.client_ip = "192.0.2.10", .from_domain = from_domain};
    AUTH_RESULTS *r = auth_fixture_results(spf, spf_domain, dkim, dkim_domain);

    auth_dmarc_check(table, &in, r);
    return (r);
}

static void test_dmarc(void **state)
{
    AUTH_RESULTS *r;

    r = dmarc_of("org.test", AUTH_PASS, "org.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_PASS);
    assert_true(r->dmarc.spf_aligned);
    assert_int_equal(r->dmarc.policy, 'q');
    auth_results_free(r);

    /* Relaxed alignment: a subdomain's DKIM pass aligns. */
    r = dmarc_of("org.test", AUTH_NONE, "other.test", AUTH_PASS, "mail.org.test");
    assert_int_equal(r->dmarc.result, AUTH_PASS);
    assert_true(r->dmarc.dkim_aligned);
    auth_results_free(r);

    /* A pass for another domain does not align. */
    r = dmarc_of("org.test", AUTH_PASS, "other.test", AUTH_PASS, "other.test");
    assert_int_equal(r->dmarc.result, AUTH_FAIL);
    assert_int_equal(r->dmarc.disposition, 'q');
    auth_results_free(r);

    /* Subdomain without a record: the org domain's sp= applies. */
    r = dmarc_of("sub.org.test", AUTH_FAIL, "sub.org.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_FAIL);
    assert_string_equal(r->dmarc.record_domain, "org.test");
    assert_true(r->dmarc.subdomain_policy);
    assert_int_equal(r->dmarc.policy, 'r');
    assert_int_equal(r->dmarc.disposition, 'r');
    auth_results_free(r);

    /* Strict SPF alignment (aspf=s): a subdomain does not align. */
    r = dmarc_of("strict.test", AUTH_PASS, "mail.strict.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_FAIL);
    assert_int_equal(r->dmarc.disposition, 'r');
    auth_results_free(r);

    /* Our DNS failed an aligned check, nothing passed: temperror, no
     * policy (a p=reject must not refuse a sender we could not check). */
    r = dmarc_of("strict.test", AUTH_TEMPERROR, "strict.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_TEMPERROR);
    assert_int_equal(r->dmarc.disposition, 'n');
    auth_results_free(r);
    r = dmarc_of("strict.test", AUTH_FAIL, "strict.test", AUTH_TEMPERROR, "strict.test");
    assert_int_equal(r->dmarc.result, AUTH_TEMPERROR);
    auth_results_free(r);
    /* ... but a temperror of a domain that does not align changes nothing. */
    r = dmarc_of("strict.test", AUTH_TEMPERROR, "mail.strict.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_FAIL);
    assert_int_equal(r->dmarc.disposition, 'r');
    auth_results_free(r);
    /* ... and a pass of the other stays a pass. */
    r = dmarc_of("strict.test", AUTH_TEMPERROR, "strict.test", AUTH_PASS, "strict.test");
    assert_int_equal(r->dmarc.result, AUTH_PASS);
    auth_results_free(r);

    r = dmarc_of("norecord.test", AUTH_PASS, "norecord.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_NONE);
    assert_false(r->dmarc.record);
    assert_true(r->dmarc.spf_aligned);
    auth_results_free(r);

    r = dmarc_of("down.test", AUTH_PASS, "down.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_TEMPERROR);
    auth_results_free(r);

    /* Two records are as good as none; so is an invalid one. */
    r = dmarc_of("two.test", AUTH_FAIL, "two.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_NONE);
    auth_results_free(r);
    r = dmarc_of("bad.test", AUTH_FAIL, "bad.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_NONE);
    auth_results_free(r);

    r = dmarc_of(NULL, AUTH_PASS, "org.test", AUTH_NONE, NULL);
    assert_int_equal(r->dmarc.result, AUTH_NONE);
    auth_results_free(r);
}

static void test_header(void **state)
{
    AUTH_RESULTS *r = dmarc_of("org.test", AUTH_PASS, "org.test", AUTH_FAIL, "org.test");
    char   *text;

    g_free(r->spf.reason);
    r->spf.reason = g_strdup("mx: (nested) ok\r\nX-Injected: yes");
    g_free(r->spf.identity);
    r->spf.identity = g_strdup("we\"ird;local@org.test");
    text = auth_results_header(r, "mx.help.test");
    assert_string_equal(text,
			"mx.help.test;\n"
			"\tspf=pass (mx: nested ok??X-Injected: yes) smtp.mailfrom=\"we\\\"ird;local@org.test\";\n"
			"\tdkim=fail header.d=org.test header.s=sel header.b=AbCd0123;\n"
			"\tdmarc=pass (p=quarantine dis=none) header.from=org.test");
    assert_null(strchr(text, '\r'));
    g_free(text);
    auth_results_free(r);

    r = dmarc_of(NULL, AUTH_NONE, "x.test", AUTH_NONE, NULL);
    text = auth_results_header(r, "mx.help.test");
    assert_non_null(strstr(text, ";\n\tdkim=none;\n\tdmarc=none (no From domain)"));
    g_free(text);
    auth_results_free(r);
}

static void test_json(void **state)
{
    AUTH_RESULTS *r = dmarc_of("sub.org.test", AUTH_SOFTFAIL, "sub.org.test", AUTH_PASS, "other.test");
    char   *text = auth_results_json(r);
    JsonParser *parser = json_parser_new();
    JsonObject *root, *dmarc, *sig;

    assert_true(json_parser_load_from_data(parser, text, -1, NULL));
    root = json_node_get_object(json_parser_get_root(parser));
    assert_string_equal(json_object_get_string_member(json_object_get_object_member(root, "spf"), "result"), "softfail");
    sig = json_array_get_object_element(json_object_get_array_member(root, "dkim"), 0);
    assert_string_equal(json_object_get_string_member(sig, "domain"), "other.test");
    assert_string_equal(json_object_get_string_member(sig, "result"), "pass");
    dmarc = json_object_get_object_member(root, "dmarc");
    assert_string_equal(json_object_get_string_member(dmarc, "result"), "fail");
    assert_string_equal(json_object_get_string_member(dmarc, "policy"), "reject");
    assert_string_equal(json_object_get_string_member(dmarc, "disposition"), "reject");
    assert_true(json_object_get_boolean_member(dmarc, "subdomain_policy"));
    assert_false(json_object_get_boolean_member(dmarc, "dkim_aligned"));
    g_object_unref(parser);
    g_free(text);
    auth_results_free(r);
}

static void test_claims_id(void **state)
{
    assert_true(authres_claims_id(" mx.help.test; spf=pass", "mx.help.test"));
    assert_true(authres_claims_id("MX.Help.Test;spf=pass", "mx.help.test"));
    assert_true(authres_claims_id(" mx.help.test/1; dkim=pass", "mx.help.test"));
    assert_true(authres_claims_id(" (comment (nested)) mx.help.test 1; none", "mx.help.test"));
    assert_true(authres_claims_id(" \"mx.help.test\"; none", "mx.help.test"));
    assert_true(authres_claims_id(" mx.help.test", "mx.help.test"));
    assert_true(authres_claims_id("\n\tmx.help.test ;;; garbage ((", "mx.help.test"));
    assert_false(authres_claims_id(" mx.help.test.evil; spf=pass", "mx.help.test"));
    assert_false(authres_claims_id(" other.test; spf=pass", "mx.help.test"));
    assert_false(authres_claims_id(" x.mx.help.test; spf=pass", "mx.help.test"));
    assert_false(authres_claims_id("", "mx.help.test"));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_spf),
	cmocka_unit_test(test_dmarc),
	cmocka_unit_test(test_header),
	cmocka_unit_test(test_json),
	cmocka_unit_test(test_claims_id),
    };
    static const char *const records[][3] = {
	{"pass.test", "TXT", "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"},
	{"soft.test", "TXT", "v=spf1 ip4:192.0.2.10 ~all"},
	{"neutral.test", "TXT", "v=spf1 ?all"},
	{"broken.test", "TXT", "v=spf1 ip4:192.0.2.300 frobnicate -all"},
	{"down.test", "SERVFAIL", NULL},
	{"a.test", "TXT", "v=spf1 a -all"},
	{"a.test", "A", "192.0.2.30"},
	{"a.test", "AAAA", "2001:db8::30"},
	{"mx.test", "TXT", "v=spf1 mx -all"},
	{"mx.test", "MX", "10 mail.mx.test"},
	{"mail.mx.test", "A", "192.0.2.31"},
	{"include.test", "TXT", "v=spf1 include:pass.test -all"},
	{"_dmarc.org.test", "TXT", "v=DMARC1; p=quarantine; sp=reject"},
	{"_dmarc.strict.test", "TXT", "v=DMARC1; p=reject; aspf=s"},
	{"_dmarc.two.test", "TXT", "v=DMARC1; p=reject"},
	{"_dmarc.two.test", "TXT", "v=DMARC1; p=none"},
	{"_dmarc.bad.test", "TXT", "v=DMARC1; p=bogus"},
	{"_dmarc.down.test", "SERVFAIL", NULL},
    };
    TM_ERROR err;
    int     failed;

    table = resolver_table_new();
    for (size_t i = 0; i < G_N_ELEMENTS(records); i++)
	if (resolver_table_add(table, records[i][0], records[i][1], records[i][2], &err) < 0) {
	    fprintf(stderr, "%s\n", err.text);
	    return (1);
	}
    if (auth_dmarc_init(PSL, &err) < 0 || auth_spf_init(&err) < 0) {
	fprintf(stderr, "%s\n", err.text);
	return (1);
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    resolver_free(table);
    return (failed);
}
