/*++
/* NAME
/*	test_parser_html_reply 1
/* SUMMARY
/*	unit tests: an answer's HTML without quoted history and commands
/* DESCRIPTION
/*	One row per mail client's way of quoting (Gmail, Outlook on the
/*	web and on the desktop, Thunderbird, Apple Mail, Yahoo): the
/*	answer stays, the quoted mail goes, and the result is sanitized.
/*	Then command lines at the top, the text made from the HTML, and
/*	the frame a notification puts around a customer's HTML.
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>

typedef struct QUOTING {
    const char *client;
    const char *html;
} QUOTING;

/* Every row answers "ANSWER" above a quote that holds "QUOTED". */
static const QUOTING quotings[] = {
    {"gmail", "<div dir=\"ltr\">ANSWER<br></div><br><div class=\"gmail_quote\"><div dir=\"ltr\""
	" class=\"gmail_attr\">On Sat, Nov 28, 2026 Cust wrote:<br></div><blockquote"
	" class=\"gmail_quote\" style=\"margin:0\">QUOTED</blockquote></div>"},
    {"gmail container", "<div>ANSWER</div><div class=\"gmail_quote gmail_quote_container\">"
	"<div class=\"gmail_attr\">On ... wrote:</div><blockquote>QUOTED</blockquote></div>"},
    {"outlook web", "<div>ANSWER</div><hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">"
	"<div id=\"divRplyFwdMsg\" dir=\"ltr\"><b>From:</b> Cust<br><b>Sent:</b> today</div>"
	"<div>QUOTED</div>"},
    {"outlook desktop", "<div class=\"WordSection1\"><p class=\"MsoNormal\">ANSWER</p><div>"
	"<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">"
	"<p class=\"MsoNormal\"><b>From:</b> Cust &lt;c@x.test&gt;<br><b>Sent:</b> today</p></div></div>"
	"<p class=\"MsoNormal\">QUOTED</p></div>"},
    {"outlook hr", "<p>ANSWER</p><hr><div><b>From:</b> Cust<br>Subject: x</div><p>QUOTED</p>"},
    {"outlook appendonsend", "<div>ANSWER</div><div id=\"appendonsend\"></div><div>QUOTED</div>"},
    {"thunderbird", "<p>ANSWER</p><div class=\"moz-cite-prefix\">On 28.11.26 Cust wrote:<br></div>"
	"<blockquote type=\"cite\" cite=\"mid:c-1@x.test\">QUOTED</blockquote>"},
    {"apple mail", "<div>ANSWER</div><div><br><blockquote type=\"cite\"><div>On 28 Nov 2026, at"
	" 12:00, Cust &lt;c@x.test&gt; wrote:</div><br><div><div>QUOTED</div></div></blockquote></div>"},
    {"yahoo", "<div>ANSWER</div><div class=\"yahoo_quoted\"><div>On Saturday, Cust wrote:</div>"
	"<div>QUOTED</div></div>"},
};

/* parse_html - a message whose body is this HTML */

static MAIL *parse_html(const char *html)
{
    char   *msg = g_strdup_printf("From: a@x.test\nContent-Type: text/html; charset=utf-8\n\n%s\n",
				  html);
    MAIL   *m = mail_parse_bytes(msg, strlen(msg), NULL);

    g_free(msg);
    return (m);
}

/* setup - initialize the parser once */

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

static void test_quotings(void **state)
{
    int     failed = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(quotings); i++) {
	MAIL   *m = parse_html(quotings[i].html);
	char   *reply = mail_html_reply(m);
	char   *text = mail_html_reply_text(reply, NULL);

	if (strstr(reply, "ANSWER") == NULL || strstr(reply, "QUOTED") || strstr(reply, "wrote")
	    || strstr(reply, "From:") || strstr(reply, "class=") || strstr(reply, "style=")) {
	    print_error("%s: %s\n", quotings[i].client, reply);
	    failed++;
	}
	if (strstr(text, "ANSWER") == NULL || strstr(text, "QUOTED")) {
	    print_error("%s: text: %s\n", quotings[i].client, text);
	    failed++;
	}
	g_free(text);
	g_free(reply);
	mail_free(m);
    }
    assert_int_equal(failed, 0);
}

static void test_answer_kept(void **state)
{
    /* An answer's own blockquote (no type=cite) and images stay. */
    MAIL   *m = parse_html("<p>See:</p><blockquote>a quote of the manual</blockquote>"
			   "<img src=\"cid:shot@x\" alt=\"shot\"><p>Bye</p>");
    char   *reply = mail_html_reply(m);

    assert_non_null(strstr(reply, "a quote of the manual"));
    assert_non_null(strstr(reply, "src=\"cid:shot@x\""));
    assert_non_null(strstr(reply, "Bye"));
    g_free(reply);
    mail_free(m);
}

static void test_commands(void **state)
{
    MAIL   *m = parse_html("<div dir=\"ltr\">#solved<br>#take<br><br>Fixed, <b>see</b> below.<br>"
			   "# not a command here</div>");
    char   *reply = mail_html_reply(m);

    assert_null(strstr(reply, "#solved"));
    assert_null(strstr(reply, "#take"));
    assert_non_null(strstr(reply, "Fixed, <b>see</b> below."));
    assert_non_null(strstr(reply, "# not a command here"));
    g_free(reply);
    mail_free(m);

    /* A "#" line below the text is not a command: nothing is cut. */
    m = parse_html("<p>Hello</p><p>#1 in line</p>");
    reply = mail_html_reply(m);
    assert_non_null(strstr(reply, "#1 in line"));
    g_free(reply);
    mail_free(m);
}

static void test_sanitized(void **state)
{
    MAIL   *m = parse_html("<p onclick=\"alert(1)\">ANSWER</p><script>alert(2)</script>"
			   "<img src=\"https://evil.test/t.gif\">");
    char   *reply = mail_html_reply(m);

    assert_null(strstr(reply, "alert"));
    assert_null(strstr(reply, "evil.test"));
    assert_non_null(strstr(reply, "ANSWER"));
    g_free(reply);
    mail_free(m);
    m = mail_parse_bytes("From: a@x.test\n\nplain\n", 21, NULL);
    assert_null(mail_html_reply(m));
    mail_free(m);
}

static void test_framed(void **state)
{
    char   *html = mail_html_framed("<html><body><p>Customer <b>HTML</b></p></body></html>",
				    "New ticket <1>", "Reply to answer.");
    const char *head = strstr(html, "New ticket &lt;1&gt;");
    const char *body = strstr(html, "Customer <b>HTML</b>");
    const char *tail = strstr(html, "Reply to answer.");

    assert_non_null(head);
    assert_non_null(body);
    assert_non_null(tail);
    assert_true(head < body && body < tail);
    g_free(html);
    html = mail_html_framed("", "only", NULL);
    assert_non_null(strstr(html, "<pre>only</pre>"));
    g_free(html);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_quotings),
	cmocka_unit_test(test_answer_kept),
	cmocka_unit_test(test_commands),
	cmocka_unit_test(test_sanitized),
	cmocka_unit_test(test_framed),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
