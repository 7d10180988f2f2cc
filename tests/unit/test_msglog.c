/* test_msglog - the one log line per support message */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <milter/core/config.h>
#include <milter/daemon/msglog.h>

/* a_session - a session with a sender, n recipients and one support queue */

static SESSION *a_session(int n)
{
    SESSION *session = session_create();

    session->sender = g_strdup("alice@customer.example");
    g_ptr_array_add(session->recipients, g_strdup("support@example.com"));
    for (int i = 1; i < n; i++)
	g_ptr_array_add(session->recipients, g_strdup_printf("cc%d@example.org", i));
    g_ptr_array_add(session->support_queues, g_strdup("support@example.com"));
    return (session);
}

static void test_stored(void **state)
{
    static const char raw[] = "From: a@customer.example\r\nMessage-ID: <1@customer.example>\r\n\r\nhi\r\n";
    MAIL_LIMITS limits;
    SESSION *session = a_session(2);
    AUTH_RESULTS auth = {.spf = {.result = AUTH_PASS}, .dkim = g_ptr_array_new(),
			 .dmarc = {.result = AUTH_FAIL}};
    AUTH_DKIM sig = {.result = AUTH_PASS, .domain = "customer.example"};
    MSGLOG  log = {.decision = "new", .rule = "new", .ticket = "100001", .auth = &auth,
		   .size = 1234, .parse_us = 1500, .auth_us = 30000, .db_us = 4200,
		   .confirmation = "sender-not-authenticated", .notified = "2"};
    char   *line;

    mail_limits_default(&limits);
    log.mail = mail_parse_bytes(raw, sizeof(raw) - 1, &limits);
    g_ptr_array_add(auth.dkim, &sig);
    line = msglog_format("4Xk2", session, &log);
    assert_string_equal(line, "4Xk2: ticket 100001: new (new), from=<alice@customer.example>"
			" to=<support@example.com>,<cc1@example.org> queue=support@example.com"
			" size=1234 message-id=<1@customer.example> spf=pass"
			" dkim=customer.example:pass dmarc=fail confirmation=sender-not-authenticated"
			" notified=2 parse_ms=1.5 auth_ms=30.0 db_ms=4.2");
    g_free(line);
    g_ptr_array_free(auth.dkim, TRUE);
    mail_free((MAIL *) log.mail);
    session_free(session);
}

static void test_not_stored(void **state)
{
    SESSION *session = a_session(MSGLOG_RCPTS + 3);
    MSGLOG  log = {.decision = msglog_action(ACTION_TEMPFAIL), .rule = "database-error",
		   .size = 99, .parse_us = 1000, .db_us = 20000000};
    char   *line = msglog_format("NOQUEUE", session, &log);

    assert_non_null(strstr(line, "NOQUEUE: ticket -: tempfailed (database-error), from=<alice@customer.example> to=<support@example.com>,"));
    assert_non_null(strstr(line, ",<cc9@example.org>,+3 queue=support@example.com size=99 message-id=<>"
			   " spf=- dkim=- dmarc=- confirmation=- notified=- parse_ms=1.0 auth_ms=- db_ms=20000.0"));
    g_free(line);
    assert_string_equal(msglog_action(ACTION_ACCEPT), "ignored");
    assert_string_equal(msglog_action(ACTION_REJECT), "rejected");
    session_free(session);
}

static void test_since(void **state)
{
    gint64  start = g_get_monotonic_time() - 2500;
    gint64  spent = msglog_since(&start);

    assert_true(spent >= 2500);
    /* The clock restarted: an immediate second step is short but not 0. */
    assert_true(msglog_since(&start) >= 1);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_stored),
	cmocka_unit_test(test_not_stored),
	cmocka_unit_test(test_since),
    };

    mail_parser_init();
    return (cmocka_run_group_tests(tests, NULL, NULL));
}
