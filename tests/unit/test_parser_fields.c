/*++
/* NAME
/*	test_parser_fields 1
/* SUMMARY
/*	unit tests: header fields, subject, loop and bounce facts
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>

/* parse - parse a message given as a string */

static MAIL *parse(const char *text)
{
    return (mail_parse_bytes(text, strlen(text), NULL));
}

/* setup - initialize the parser once */

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

static void test_addresses(void **state)
{
    MAIL   *m = parse("From: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <Juergen@Example.COM.>\n"
		      "Sender: list@example.org\n"
		      "Reply-To: \"Support, Team\" <help@EXAMPLE.net>\n"
		      "To: a@x.org, Group: b@y.org, c@z.org;\n"
		      "Cc: =?ISO-8859-1?Q?Ren=E9?= <rene@x.fr>\n\nbody\n");
    const MAIL_ADDRESS *v;

    assert_string_equal(mail_from_address(m), "Juergen@example.com");
    assert_string_equal(mail_from_name(m), "Jürgen Müller");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_SENDER, &v), 1);
    assert_string_equal(v[0].address, "list@example.org");
    assert_null(v[0].name);
    assert_int_equal(mail_addresses(m, MAIL_ADDR_REPLY_TO, &v), 1);
    assert_string_equal(v[0].name, "Support, Team");
    assert_string_equal(v[0].address, "help@example.net");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_TO, &v), 3);
    assert_string_equal(v[2].address, "c@z.org");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_CC, &v), 1);
    assert_string_equal(v[0].name, "René");
    mail_free(m);
}

static void test_ids_and_date(void **state)
{
    MAIL   *m = parse("Message-ID: <abc@x>\nIn-Reply-To: <p1@x> (comment)\n"
		      "References: <r1@x>\n <r2@x> <r1@x>\n"
		      "Thread-Index: AQHUoNkq1234==\n"
		      "Date: Tue, 3 Apr 2012 16:19:00 +0200\n\nbody\n");
    size_t  n;
    const char *const *refs = mail_references(m, &n);
    int     tz;

    assert_string_equal(mail_message_id(m), "abc@x");
    assert_string_equal(mail_in_reply_to(m), "p1@x");
    assert_int_equal(n, 2);
    assert_string_equal(refs[0], "r1@x");
    assert_string_equal(refs[1], "r2@x");
    assert_null(refs[2]);
    assert_string_equal(mail_thread_index(m), "AQHUoNkq1234==");
    assert_int_equal(mail_date(m, &tz), 1333462740);
    assert_int_equal(tz, 120);
    assert_string_equal(mail_date_text(m), "2012-04-03T16:19:00+02:00");
    mail_free(m);
}

static void test_no_headers(void **state)
{
    MAIL   *m = parse("\n\nonly a body\n");
    size_t  n;

    assert_null(mail_message_id(m));
    assert_string_equal(mail_subject(m), "");
    assert_null(mail_from_address(m));
    assert_int_equal(mail_date(m, NULL), -1);
    mail_references(m, &n);
    assert_int_equal(n, 0);
    mail_free(m);
}

/* subject_case - normalized subject and tag of one subject */

static void subject_case(const char *subject, const char *fmt, const char *norm,
			         const char *tag)
{
    char   *msg = g_strdup_printf("Subject: %s\n\nx\n", subject);
    MAIL_OPTIONS opt;
    MAIL   *m;

    mail_options_default(&opt);
    if (fmt)
	opt.tag_format = fmt;
    m = mail_parse_bytes_with(msg, strlen(msg), NULL, &opt);
    assert_string_equal(mail_subject_normalized(m), norm);
    if (tag)
	assert_string_equal(mail_ticket_tag(m), tag);
    else
	assert_null(mail_ticket_tag(m));
    mail_free(m);
    g_free(msg);
}

static void test_subject(void **state)
{
    subject_case("Re: RE: Fwd: Printer", NULL, "Printer", NULL);
    subject_case("AW: WG: Drucker", NULL, "Drucker", NULL);
    subject_case("SV: VS: Odp: RV: TR: Antw: x", NULL, "x", NULL);
    subject_case("Re[2]: Re(3): FW: x", NULL, "x", NULL);
    subject_case("[users] Re: [users] help", NULL, "help", NULL);
    subject_case("Re: [#12345] Printer  broken", NULL, "Printer broken", "12345");
    subject_case("Printer broken [#77]", NULL, "Printer broken", "77");
    subject_case("=?UTF-8?B?5Zue5aSN77yaIOaJk+WNsOacug==?=", NULL, "打印机", NULL);
    subject_case("Re: Ticket#42: disk full", "Ticket#NUMBER:", "disk full", "42");
    subject_case("Report: quarterly", NULL, "Report: quarterly", NULL);
    subject_case("[#abc] not a tag", NULL, "not a tag", NULL);
}

static void test_loop(void **state)
{
    MAIL   *m = parse("From: a@b\nAuto-Submitted: auto-replied\nPrecedence: bulk\n"
		      "List-Id: <users.example.org>\nX-Auto-Response-Suppress: OOF, AutoReply\n"
		      "X-Loop: helpdesk\nX-Spam-Flag: YES\n\nx\n");
    const MAIL_LOOP *lp = mail_loop(m);

    assert_string_equal(lp->auto_submitted, "auto-replied");
    assert_string_equal(lp->precedence, "bulk");
    assert_string_equal(lp->list_id, "<users.example.org>");
    assert_string_equal(lp->x_loop, "helpdesk");
    assert_true(lp->is_auto_submitted);
    assert_true(lp->is_bulk);
    assert_true(lp->is_spam);
    assert_true(lp->suppress_autoreply);
    mail_free(m);

    m = parse("From: a@b\nAuto-Submitted: no\n\nx\n");
    lp = mail_loop(m);
    assert_false(lp->is_auto_submitted);
    assert_false(lp->suppress_autoreply);
    mail_free(m);
}

/* spam_verdict - what header says in the message with these header lines */

static MAIL_SPAM spam_verdict(const char *header, const char *lines)
{
    MAIL_OPTIONS options;
    char   *text = g_strdup_printf("From: a@b\n%s\nx\n", lines);
    MAIL   *m;
    MAIL_SPAM verdict;

    mail_options_default(&options);
    options.spam_header = mail_spam_header_name(header);
    m = mail_parse_bytes_with(text, strlen(text), NULL, &options);
    verdict = mail_loop(m)->spam_verdict;
    mail_free(m);
    g_free(text);
    return (verdict);
}

static void test_spam_header(void **state)
{
    /* The known headers, in any case; an unknown one is none. */
    assert_string_equal(mail_spam_header_name("x-spam-flag"), "X-Spam-Flag");
    assert_string_equal(mail_spam_header_name("X-RSPAMD-ACTION"), "X-Rspamd-Action");
    assert_null(mail_spam_header_name("X-Spam-Score"));
    assert_null(mail_spam_header_name(NULL));

    assert_int_equal(spam_verdict("X-Spam-Flag", "X-Spam-Flag: YES\n"), MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Spam-Flag", "x-spam-flag:   yes\n"), MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Spam-Flag", "X-Spam-Flag: NO\n"), MAIL_SPAM_CLEAN);
    assert_int_equal(spam_verdict("X-Spam-Flag", "X-Spam-Flag: YESTERDAY\n"), MAIL_SPAM_CLEAN);
    assert_int_equal(spam_verdict("X-Spam-Flag", "Subject: x\n"), MAIL_SPAM_ABSENT);
    assert_int_equal(spam_verdict("X-Spam-Status", "X-Spam-Status: Yes, score=7.2 required=5.0\n"),
		     MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Spam-Status", "X-Spam-Status: No, score=0.1\n"), MAIL_SPAM_CLEAN);
    assert_int_equal(spam_verdict("X-Spam", "X-Spam: Yes\n"), MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Rspamd-Action", "X-Rspamd-Action: add header\n"), MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Rspamd-Action", "X-Rspamd-Action: rewrite subject\n"), MAIL_SPAM_YES);
    assert_int_equal(spam_verdict("X-Rspamd-Action", "X-Rspamd-Action: no action\n"), MAIL_SPAM_CLEAN);
    assert_int_equal(spam_verdict("X-Rspamd-Action", "X-Rspamd-Action: greylist\n"), MAIL_SPAM_CLEAN);
    /* Only the named header counts: X-Spam is not X-Spam-Flag. */
    assert_int_equal(spam_verdict("X-Spam", "X-Spam-Flag: YES\n"), MAIL_SPAM_ABSENT);
    /* Twice, whatever each says: a sender wrote one (doubtful, not spam). */
    assert_int_equal(spam_verdict("X-Spam-Flag", "X-Spam-Flag: YES\nX-Spam-Flag: YES\n"),
		     MAIL_SPAM_DOUBTFUL);
    assert_int_equal(spam_verdict("X-Spam-Status", "X-Spam-Status: No\nSubject: x\nX-SPAM-STATUS: Yes\n"),
		     MAIL_SPAM_DOUBTFUL);
    /* Without the option nothing is read. */
    assert_int_equal(spam_verdict(NULL, "X-Spam-Flag: YES\n"), MAIL_SPAM_UNCHECKED);
    /* In a nested message it is not the top level's. */
    assert_int_equal(spam_verdict("X-Spam-Flag", "Content-Type: message/rfc822\n\nX-Spam-Flag: YES\n"),
		     MAIL_SPAM_ABSENT);
    assert_string_equal(mail_spam_verdict_name(MAIL_SPAM_DOUBTFUL), "doubtful");
}

static void test_dsn(void **state)
{
    MAIL   *m = parse("From: MAILER-DAEMON@mx.example.org\nMessage-ID: <b1@mx>\n"
		      "Subject: Undelivered Mail Returned to Sender\n"
		      "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
		      "--B\nContent-Type: text/plain\n\nI'm sorry.\n"
		      "--B\nContent-Type: message/delivery-status\n\n"
		      "Reporting-MTA: dns; mx.example.org\n\n"
		      "Final-Recipient: rfc822; Gone@Example.COM\nAction: Failed\nStatus: 5.1.1\n"
		      "--B\nContent-Type: text/rfc822-headers\n\n"
		      "From: help@desk\nMessage-ID: <orig@desk>\nSubject: hi\n"
		      "--B--\n");
    const MAIL_BOUNCE *b = mail_bounce(m);

    assert_true(b->is_bounce);
    assert_true(b->is_dsn);
    assert_string_equal(b->failed_recipient, "Gone@example.com");
    assert_string_equal(b->original_message_id, "orig@desk");
    assert_string_equal(b->status, "5.1.1");
    assert_string_equal(b->action, "failed");
    assert_true(mail_loop(m)->suppress_autoreply);
    mail_free(m);
}

static void test_nonstandard_bounce(void **state)
{
    MAIL   *m = parse("From: postmaster@old.example\nSubject: failure notice\n\n"
		      "Hi. This is the qmail-send program.\n\n"
		      "<nobody@old.example>:\nSorry, no mailbox here by that name.\n\n"
		      "--- Below this line is a copy of the message.\n\n"
		      "Message-ID: <orig2@desk>\nSubject: hello\n");
    const MAIL_BOUNCE *b = mail_bounce(m);

    assert_true(b->is_bounce);
    assert_false(b->is_dsn);
    assert_string_equal(b->failed_recipient, "nobody@old.example");
    assert_string_equal(b->original_message_id, "orig2@desk");
    mail_free(m);

    m = parse("From: someone@example.org\nSubject: hello\n\nnot a bounce\n");
    assert_false(mail_bounce(m)->is_bounce);
    mail_free(m);
    /* A customer writing about a parcel is no bounce. */
    m = parse("From: someone@example.org\nSubject: Undeliverable parcel 4711\n\n"
	      "My parcel could not be delivered to the following address:\n"
	      "Main Street 5\n");
    assert_false(mail_bounce(m)->is_bounce);
    mail_free(m);
    /* An MTA without DSN support, known by its subject and SMTP codes. */
    m = parse("From: <sysadmin@mx.example>\nSubject: Mail delivery failed\n\n"
	      "There was an error delivering your mail to <gone@example.com>.\n"
	      "550 5.1.1 user unknown\n");
    assert_true(mail_bounce(m)->is_bounce);
    assert_string_equal(mail_bounce(m)->failed_recipient, "gone@example.com");
    mail_free(m);
}

static void test_auto_reply_subject(void **state)
{
    MAIL   *m = parse("From: a@b\nSubject: Automatic reply: Nyaan\n\nI am away.\n");

    assert_true(mail_loop(m)->is_auto_reply);
    assert_true(mail_loop(m)->suppress_autoreply);
    assert_false(mail_bounce(m)->is_bounce);
    mail_free(m);
    m = parse("From: a@b\nX-Autoreply: yes\nSubject: hi\n\nx\n");
    assert_true(mail_loop(m)->is_auto_reply);
    mail_free(m);
}

static void test_bounce_recipient_phrase(void **state)
{
    MAIL   *m = parse("From: postmaster@mx.example\nSubject: Undeliverable: hi\n\n"
		      "Your message did not reach the following recipient(s):\n\n"
		      "Kijitora@Example.JP on Thu, 29 Apr 2010 00:00:00 -0000\n"
		      "    The recipient name is not recognized\n");

    assert_true(mail_bounce(m)->is_bounce);
    assert_string_equal(mail_bounce(m)->failed_recipient, "Kijitora@example.jp");
    mail_free(m);
}

static void test_cr_only_line_ends(void **state)
{
    MAIL   *m = parse("From: a@b\rSubject: old mac\r\rline one\rline two\r");

    assert_string_equal(mail_subject(m), "old mac");
    assert_string_equal(mail_from_address(m), "a@b");
    assert_string_equal(mail_text(m), "line one\nline two\n");
    mail_free(m);
}

static void test_language(void **state)
{
    MAIL   *m = parse("From: a@b\nContent-Language: de-CH, en\n\nx\n");

    assert_string_equal(mail_language(m), "de");
    mail_free(m);
    m = parse("From: a@b\nAccept-Language: FR-fr;q=0.9, en\n\nx\n");
    assert_string_equal(mail_language(m), "fr");
    mail_free(m);
    m = parse("From: a@b\nContent-Language: english\n\nx\n");
    assert_null(mail_language(m));	/* not a language tag */
    mail_free(m);
    m = parse("From: a@b\n\nx\n");
    assert_null(mail_language(m));
    mail_free(m);
}

/* test_language_hostile - the sender writes the tag: a long one, one not
 * in ASCII, an invalid Content-Language before a valid Accept-Language */

static void test_language_hostile(void **state)
{
    GString *text = g_string_new("From: a@b\nContent-Language: ");
    MAIL   *m;

    for (int i = 0; i < 1000; i++)
	g_string_append_c(text, 'd');
    g_string_append(text, "\n\nx\n");
    m = parse(text->str);
    assert_null(mail_language(m));		/* not the first letters */
    mail_free(m);
    g_string_free(text, TRUE);
    m = parse("From: a@b\nContent-Language: d\xc3\xa9, \xe6\x97\xa5\nAccept-Language: \xc3\xa8s\n\nx\n");
    assert_null(mail_language(m));
    mail_free(m);
    m = parse("From: a@b\nContent-Language: x-klingon\nAccept-Language: pt-BR\n\nx\n");
    assert_string_equal(mail_language(m), "pt");
    mail_free(m);
    m = parse("From: a@b\nContent-Language: \nAccept-Language: *\n\nx\n");
    assert_null(mail_language(m));
    mail_free(m);
}

static void test_parse_fd(void **state)
{
    static const char msg[] = "junk before\nSubject: from fd\nFrom: a@b\n\nbody\n";
    char    path[] = "/tmp/test_parser_fd.XXXXXX";
    int     fd = mkstemp(path);
    int     pipefd[2];
    MAIL   *m;

    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, msg, sizeof(msg) - 1), sizeof(msg) - 1);
    /* A regular file, read from its current offset (mapped). */
    assert_int_equal(lseek(fd, strlen("junk before\n"), SEEK_SET), strlen("junk before\n"));
    m = mail_parse_fd(fd, NULL);
    assert_string_equal(mail_subject(m), "from fd");
    assert_string_equal(mail_text(m), "body\n");
    mail_free(m);
    close(fd);
    /* A pipe is read to its end. */
    assert_int_equal(pipe(pipefd), 0);
    assert_int_equal(write(pipefd[1], msg + 12, sizeof(msg) - 13), sizeof(msg) - 13);
    close(pipefd[1]);
    m = mail_parse_fd(pipefd[0], NULL);
    assert_string_equal(mail_subject(m), "from fd");
    mail_free(m);
    close(pipefd[0]);
}

/* test_thread_root - Outlook's conversation root from a Thread-Index */

static void test_thread_root(void **state)
{
    /* 22 bytes 0x01..0x16, then a 5-byte child block. */
    guchar  bytes[27];
    char   *b64, *root;

    for (int i = 0; i < 27; i++)
	bytes[i] = (guchar) (i + 1);
    b64 = g_base64_encode(bytes, sizeof(bytes));
    root = mail_thread_root(b64);
    assert_string_equal(root, "0102030405060708090a0b0c0d0e0f10111213141516");
    g_free(root);
    g_free(b64);
    assert_null(mail_thread_root("c2hvcnQ="));	/* too short */
    assert_null(mail_thread_root(NULL));
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_addresses),
	cmocka_unit_test(test_thread_root),
	cmocka_unit_test(test_ids_and_date),
	cmocka_unit_test(test_no_headers),
	cmocka_unit_test(test_subject),
	cmocka_unit_test(test_loop),
	cmocka_unit_test(test_spam_header),
	cmocka_unit_test(test_dsn),
	cmocka_unit_test(test_nonstandard_bounce),
	cmocka_unit_test(test_auto_reply_subject),
	cmocka_unit_test(test_bounce_recipient_phrase),
	cmocka_unit_test(test_cr_only_line_ends),
	cmocka_unit_test(test_language),
	cmocka_unit_test(test_language_hostile),
	cmocka_unit_test(test_parse_fd),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
