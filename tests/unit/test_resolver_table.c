/* test_resolver_table - the table backend: answers as a name server's, the file */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <glib.h>
#include <glib/gstdio.h>

#include <milter/util/resolver.h>

static RESOLVER *table;

/* add - one record that must be accepted */

static void add(const char *name, const char *type, const char *data)
{
    TM_ERROR err;

    if (resolver_table_add(table, name, type, data, &err) < 0)
	fail_msg("%s", err.text);
}

/* setup - a table with a few records of each kind */

static int setup(void **state)
{
    table = resolver_table_new();
    add("txt.test", "TXT", "v=spf1 -all");
    add("two.test", "TXT", "one");
    add("two.test", "TXT", "two");
    add("addr.test", "A", "192.0.2.1");
    add("addr.test", "AAAA", "2001:db8::1");
    add("addr.test", "MX", "10 mail.addr.test");
    add("down.test", "SERVFAIL", NULL);
    return (0);
}

/* teardown - the table goes */

static int teardown(void **state)
{
    resolver_free(table);
    table = NULL;
    return (0);
}

/* txt - resolver_txt() of name: status, the texts joined by "|" */

static int txt(const char *name, char **text)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    int     status = resolver_txt(table, name, texts);

    g_ptr_array_add(texts, NULL);
    *text = g_strjoinv("|", (char **) texts->pdata);
    g_ptr_array_unref(texts);
    return (status);
}

/* expect_txt - the status and texts of name */

static void expect_txt(const char *name, int status, const char *want)
{
    char   *text;

    assert_int_equal(txt(name, &text), status);
    assert_string_equal(text, want);
    g_free(text);
}

static void test_txt(void **state)
{
    expect_txt("txt.test", RESOLVER_FOUND, "v=spf1 -all");
    /* Names in any case, with or without the final dot. */
    expect_txt("TXT.Test.", RESOLVER_FOUND, "v=spf1 -all");
    expect_txt("two.test", RESOLVER_FOUND, "one|two");
    /* No such name; a name with other records only; a failing name. */
    expect_txt("nowhere.test", RESOLVER_NONE, "");
    expect_txt("addr.test", RESOLVER_NONE, "");
    expect_txt("down.test", RESOLVER_TEMPFAIL, "");
}

static void test_long_txt(void **state)
{
    GString *data = g_string_new(NULL);
    unsigned char answer[2048];
    ns_msg  msg;
    ns_rr   rr;
    int     len;

    /* Longer than one character-string: split, and joined again. */
    for (int i = 0; i < 70; i++)
	g_string_append_printf(data, "%04d", i);
    add("long.test", "TXT", data->str);
    expect_txt("long.test", RESOLVER_FOUND, data->str);
    len = resolver_query(table, "long.test", ns_t_txt, answer, sizeof(answer));
    assert_true(len > 0);
    assert_int_equal(ns_initparse(answer, len, &msg), 0);
    assert_int_equal(ns_parserr(&msg, ns_s_an, 0, &rr), 0);
    assert_int_equal(ns_rr_rdlen(rr), 280 + 2);
    assert_int_equal(ns_rr_rdata(rr)[0], 255);
    g_string_free(data, TRUE);
}

static void test_answer(void **state)
{
    unsigned char answer[512];
    char    host[NS_MAXDNAME], ip[INET6_ADDRSTRLEN];
    ns_msg  msg;
    ns_rr   rr;
    int     len;

    /* A whole DNS message: our question, and the records of the type. */
    len = resolver_query(table, "addr.test", ns_t_aaaa, answer, sizeof(answer));
    assert_int_equal(ns_initparse(answer, len, &msg), 0);
    assert_int_equal(ns_msg_getflag(msg, ns_f_rcode), ns_r_noerror);
    assert_int_equal(ns_msg_count(msg, ns_s_qd), 1);
    assert_int_equal(ns_msg_count(msg, ns_s_an), 1);
    assert_int_equal(ns_parserr(&msg, ns_s_an, 0, &rr), 0);
    assert_string_equal(ns_rr_name(rr), "addr.test");
    assert_int_equal(ns_rr_type(rr), ns_t_aaaa);
    inet_ntop(AF_INET6, ns_rr_rdata(rr), ip, sizeof(ip));
    assert_string_equal(ip, "2001:db8::1");
    len = resolver_query(table, "addr.test", ns_t_mx, answer, sizeof(answer));
    assert_int_equal(ns_initparse(answer, len, &msg), 0);
    assert_int_equal(ns_parserr(&msg, ns_s_an, 0, &rr), 0);
    assert_int_equal(ns_get16(ns_rr_rdata(rr)), 10);
    assert_true(ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr) + 2,
				   host, sizeof(host)) > 0);
    assert_string_equal(host, "mail.addr.test");
    len = resolver_query(table, "nowhere.test", ns_t_a, answer, sizeof(answer));
    assert_int_equal(ns_initparse(answer, len, &msg), 0);
    assert_int_equal(ns_msg_getflag(msg, ns_f_rcode), ns_r_nxdomain);
    len = resolver_query(table, "down.test", ns_t_a, answer, sizeof(answer));
    assert_int_equal(ns_initparse(answer, len, &msg), 0);
    assert_int_equal(ns_msg_getflag(msg, ns_f_rcode), ns_r_servfail);
    assert_int_equal(ns_msg_count(msg, ns_s_an), 0);
}

static void test_too_small(void **state)
{
    unsigned char answer[40];

    /* The records do not fit: truncated, so no answer at all. */
    assert_int_equal(resolver_query(table, "two.test", ns_t_txt, answer, sizeof(answer)), -1);
    assert_int_equal(resolver_query(table, "two.test", ns_t_txt, answer, 8), -1);
}

/* refused - resolver_table_add() refuses the record, naming why */

static void refused(const char *name, const char *type, const char *data, const char *why)
{
    TM_ERROR err;

    assert_int_equal(resolver_table_add(table, name, type, data, &err), -1);
    assert_non_null(strstr(err.text, why));
}

static void test_refused(void **state)
{
    char   *text;

    refused("x.test", "CNAME", "y.test", "unknown record type \"CNAME\"");
    refused("x.test", "A", "192.0.2.300", "is no A record");
    refused("x.test", "AAAA", "192.0.2.3", "is no AAAA record");
    refused("x.test", "MX", "mail.x.test", "is no MX record");
    refused("x.test", "TXT", NULL, "no data");
    /* Nothing of a refused record stays behind. */
    assert_int_equal(txt("x.test", &text), RESOLVER_NONE);
    g_free(text);
}

/* load - resolver_table_load() of text in a file: its status, err */

static int load(const char *text, TM_ERROR *err)
{
    char   *dir = g_dir_make_tmp("test_resolver_table.XXXXXX", NULL);
    char   *path = g_build_filename(dir, "zone", NULL);
    int     status;

    assert_true(g_file_set_contents(path, text, -1, NULL));
    status = resolver_table_load(table, path, err);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    return (status);
}

static void test_file(void **state)
{
    TM_ERROR err;

    assert_int_equal(load("# records\n\n"
			  "file.test  TXT  v=DMARC1; p=reject\n"
			  "  file.test\tA\t192.0.2.7  \n"
			  "gone.test SERVFAIL\n", &err), 0);
    expect_txt("file.test", RESOLVER_FOUND, "v=DMARC1; p=reject");
    expect_txt("gone.test", RESOLVER_TEMPFAIL, "");
    assert_int_equal(load("ok.test TXT fine\nbad.test A nowhere\n", &err), -1);
    assert_non_null(strstr(err.text, "line 2: bad.test A: \"nowhere\" is no A record"));
    assert_int_equal(load("lonely.test\n", &err), -1);
    assert_non_null(strstr(err.text, "line 1: \"lonely.test\": no record type"));
    assert_int_equal(resolver_table_load(table, "/nonexistent/zone", &err), -1);
    assert_non_null(strstr(err.text, "/nonexistent/zone"));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_txt, setup, teardown),
	cmocka_unit_test_setup_teardown(test_long_txt, setup, teardown),
	cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
	cmocka_unit_test_setup_teardown(test_too_small, setup, teardown),
	cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	cmocka_unit_test_setup_teardown(test_file, setup, teardown),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
