/*++
/* NAME
/*	test_parser_body 1
/* SUMMARY
/*	unit tests: text choice, charsets, HTML, flowed, reply, attachments
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include <parser/mail.h>
#include <parser/mail_impl.h>

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

static void test_alternative_prefers_plain(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/alternative; boundary=A\n\n"
		      "--A\nContent-Type: text/plain; charset=utf-8\n\nplain text\n"
		      "--A\nContent-Type: text/html\n\n<p>html text</p>\n--A--\n");

    assert_string_equal(mail_text_source(m), "plain");
    assert_string_equal(mail_text(m), "plain text");
    assert_non_null(strstr(mail_html(m), "<p>html text</p>"));
    assert_int_equal(mail_attachment_count(m), 0);
    mail_free(m);
}

static void test_html_only(void **state)
{
    MAIL   *m = parse("Content-Type: text/html; charset=iso-8859-1\n\n"
		      "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
		      "<body><p>Hallo Welt, Gr\xfc\xdf" "e</p><p>line one<br>line two</p>"
		      "<ul><li>first</li><li>second</li></ul><ol><li>a</li><li>b</li></ol>"
		      "<p>See <a href=\"https://example.org/x\">the page</a>.</p>"
		      "<blockquote>old text</blockquote></body></html>\n");
    const char *t = mail_text(m);

    assert_string_equal(mail_text_source(m), "html");
    assert_non_null(strstr(t, "Hallo Welt, Grüße\n\nline one\nline two"));
    assert_non_null(strstr(t, "- first\n- second"));
    assert_non_null(strstr(t, "1. a\n2. b"));
    assert_non_null(strstr(t, "the page <https://example.org/x>"));
    assert_non_null(strstr(t, "> old text"));
    assert_null(strstr(t, "alert"));
    assert_null(strstr(t, "color"));
    assert_string_equal(mail_reply_text(m),
			"Hallo Welt, Grüße\n\nline one\nline two\n\n- first\n- second\n\n"
			"1. a\n2. b\n\nSee the page <https://example.org/x>.");
    mail_free(m);
}

static void test_charsets(void **state)
{
    /* iso-8859-1 label read as windows-1252: 0x80 is the euro sign. */
    MAIL   *m = parse("Content-Type: text/plain; charset=iso-8859-1\n\n\x80 5\n");

    assert_string_equal(mail_text(m), "€ 5\n");
    mail_free(m);
    /* An unknown label with valid UTF-8 bytes. */
    m = parse("Content-Type: text/plain; charset=x-no-such\n\nGr\xc3\xbc\xc3\x9f" "e\n");
    assert_string_equal(mail_text(m), "Grüße\n");
    assert_true(mail_defects(m) & MAIL_DEFECT_CHARSET);
    mail_free(m);
    /* Declared UTF-8, one bad byte: replaced, not dropped. */
    m = parse("Content-Type: text/plain; charset=utf-8\n\nok \xff ok\n");
    assert_string_equal(mail_text(m), "ok \xEF\xBF\xBD ok\n");
    assert_true(mail_defects(m) & MAIL_DEFECT_INVALID_BYTES);
    mail_free(m);
    /* KOI8-R and ISO-2022-JP. */
    m = parse("Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n");
    assert_string_equal(mail_text(m), "Привет\n");
    mail_free(m);
    m = parse("Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3$s$K$A$O\x1b(B\n");
    assert_string_equal(mail_text(m), "こんにちは\n");
    mail_free(m);
    /* Unlabelled HTML that declares its charset in <meta>. */
    m = parse("Content-Type: text/html\n\n<html><head><meta charset=\"koi8-r\"></head>"
	      "<body>\xf0\xd2\xc9\xd7\xc5\xd4</body></html>\n");
    assert_string_equal(mail_text(m), "Привет");
    mail_free(m);
    /* No label, not UTF-8: windows-1252. */
    m = parse("Subject: x\n\ncaf\xe9\n");
    assert_string_equal(mail_text(m), "café\n");
    mail_free(m);
}

static void test_flowed(void **state)
{
    MAIL   *m = parse("Content-Type: text/plain; format=flowed\n\n"
		      "This is one \nparagraph.\n\n>> quoted \n>> more\n -- \nnot sig\n");

    assert_string_equal(mail_text(m), "This is one paragraph.\n\n>> quoted more\n-- \nnot sig\n");
    mail_free(m);
    m = parse("Content-Type: text/plain; format=flowed; delsp=yes\n\nlong wo \nrd\n");
    assert_string_equal(mail_text(m), "long word\n");
    mail_free(m);
}

/* reply_case - the reply text of a plain body */

static void reply_case(const char *body, const char *want)
{
    char   *msg = g_strdup_printf("Content-Type: text/plain; charset=utf-8\n\n%s", body);
    MAIL   *m = parse(msg);

    assert_string_equal(mail_reply_text(m), want);
    mail_free(m);
    g_free(msg);
}

static void test_reply_strip(void **state)
{
    reply_case("Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Bob <b@x> wrote:\n> hi\n", "Thanks!");
    reply_case("Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Bob\n<b@x> wrote:\n> hi\n", "Thanks!");
    reply_case("Danke\n\nAm 01.01.2024 um 10:00 schrieb Bob <b@x>:\n> hi\n", "Danke");
    reply_case("Merci\n\nLe 1 janv. 2024 à 10:00, Bob <b@x> a écrit :\n> hi\n", "Merci");
    reply_case("Gracias\n\nEl lun, 1 ene 2024, Bob escribió:\n> hi\n", "Gracias");
    reply_case("Obrigado\n\nEm seg., 1 de jan. de 2024, Bob escreveu:\n> hi\n", "Obrigado");
    reply_case("Bedankt\n\nOp ma 1 jan. 2024 schreef Bob:\n> hi\n", "Bedankt");
    reply_case("Grazie\n\nIl giorno lun 1 gen 2024 Bob ha scritto:\n> hi\n", "Grazie");
    reply_case("Dzięki\n\nW dniu 1.01.2024 o 10:00, Bob pisze napisał:\n> hi\n", "Dzięki");
    reply_case("Спасибо\n\n1 января 2024 г., Bob написал:\n> hi\n", "Спасибо");
    reply_case("ありがとう\n\n2024年1月1日 10:00 Bob <b@x>:のメッセージ\nBob さんは書きました:\n> hi\n", "ありがとう\n\n2024年1月1日 10:00 Bob <b@x>:のメッセージ");
    reply_case("谢谢\n\n在 2024年1月1日，Bob 写道：\n> hi\n", "谢谢");
    reply_case("Done.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n", "Done.");
    reply_case("Done.\n\nFrom: Bob <b@x>\nSent: Monday, 1 January 2024\nTo: desk\nSubject: x\n\nold\n", "Done.");
    reply_case("Erledigt.\n\nVon: Bob\nGesendet: Montag\nAn: desk\n", "Erledigt.");
    reply_case("Fixed.\n\n-- \nBob Smith\nACME\n", "Fixed.");
    reply_case("Hello\n\nSent from my iPhone\n\nOn Apr 3, 2012, at 4:19 PM, bob wrote:\n> Hi\n", "Hello");
    reply_case("On Mon, Bob wrote:\n> question?\n\nanswer\n", "answer");
    reply_case("line one\n> quoted\nline two\n", "line one\n> quoted\nline two");
    reply_case("Hello\n\n----\nFrom: Bob\nTo: desk\nSent: Monday\n", "Hello");
}

static void test_reply_html_gmail(void **state)
{
    MAIL   *m = parse("Content-Type: text/html; charset=utf-8\n\n"
		      "<div dir=\"ltr\">Thanks!</div><br><div class=\"gmail_quote\">"
		      "<div dir=\"ltr\" class=\"gmail_attr\">On Mon, Jan 1, 2024 at 10:00 AM "
		      "Bob &lt;<a href=\"mailto:b@x\">b@x</a>&gt; wrote:<br></div>"
		      "<blockquote class=\"gmail_quote\"><div>hi</div></blockquote></div>\n");

    assert_string_equal(mail_text(m),
			"Thanks!\n\nOn Mon, Jan 1, 2024 at 10:00 AM Bob <b@x> wrote:\n\n> hi");
    assert_string_equal(mail_reply_text(m), "Thanks!");
    mail_free(m);
}

static void test_reply_marker(void **state)
{
    const char *msg = "Content-Type: text/plain\n\nnew text\n## Reply above this line ##\nold\n";
    MAIL_OPTIONS opt;
    MAIL   *m;

    mail_options_default(&opt);
    opt.reply_marker = "## reply above this line ##";
    m = mail_parse_bytes_with(msg, strlen(msg), NULL, &opt);
    assert_string_equal(mail_reply_text(m), "new text");
    assert_non_null(strstr(mail_text(m), "old"));
    mail_free(m);
}

static void test_attachments(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/mixed; boundary=M\n\n"
		      "--M\nContent-Type: text/plain\n\nsee attached\n"
		      "--M\nContent-Type: application/pdf\n"
		      "Content-Disposition: attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf\n"
		      "Content-Transfer-Encoding: base64\n\naGVsbG8=\n"
		      "--M\nContent-Type: text/plain; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.txt?=\"\n"
		      "Content-Disposition: attachment\n\nfile text\n"
		      "--M\nContent-Type: message/rfc822\n\n"
		      "From: Old <old@x>\nSubject: forwarded one\n\nold body\n"
		      "--M--\n");
    const MAIL_ATTACHMENT *a;

    assert_string_equal(mail_text(m), "see attached");
    assert_int_equal(mail_attachment_count(m), 3);
    a = mail_attachment(m, 0);
    assert_string_equal(a->filename, "Rechnung März.pdf");
    assert_string_equal(a->content_type, "application/pdf");
    assert_string_equal(a->disposition, "attachment");
    assert_int_equal(a->size, 5);
    assert_memory_equal(a->data, "hello", 5);
    assert_string_equal(a->sha256,
		 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    a = mail_attachment(m, 1);
    assert_string_equal(a->filename, "résumé.txt");
    a = mail_attachment(m, 2);
    assert_string_equal(a->content_type, "message/rfc822");
    assert_string_equal(a->origin, "rfc822");
    assert_string_equal(a->message_subject, "forwarded one");
    assert_string_equal(a->message_from, "old@x");
    mail_free(m);
}

static void test_related_inline_image(void **state)
{
    MAIL   *m = parse("Content-Type: multipart/related; boundary=R\n\n"
		      "--R\nContent-Type: text/html\n\n<p>logo: <img src=\"cid:logo@x\" alt=\"Logo\"></p>\n"
		      "--R\nContent-Type: image/png\nContent-ID: <logo@x>\n"
		      "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--R--\n");
    const MAIL_ATTACHMENT *a;

    assert_string_equal(mail_text(m), "logo: [Logo]");
    assert_int_equal(mail_attachment_count(m), 1);
    a = mail_attachment(m, 0);
    assert_string_equal(a->content_id, "logo@x");
    assert_string_equal(a->origin, "related");
    assert_int_equal(a->size, 8);
    mail_free(m);
}

/* tnef_message - a message carrying a winmail.dat */

static MAIL *tnef_message(const unsigned char *tnef, size_t len)
{
    char   *b64 = g_base64_encode(tnef, len);
    char   *msg = g_strdup_printf("Subject: t\nContent-Type: multipart/mixed; boundary=T\n\n"
				  "--T\nContent-Type: text/plain\n\nbody\n"
				  "--T\nContent-Type: application/ms-tnef; name=winmail.dat\n"
				  "Content-Transfer-Encoding: base64\n\n%s\n--T--\n", b64);
    MAIL   *m = parse(msg);

    g_free(msg);
    g_free(b64);
    return (m);
}

static void test_tnef(void **state)
{
    /* Signature, key, then attachment attributes: render data, title
     * "a.txt", data "hello"; each with its checksum. */
    static const unsigned char ok[] =
    "\x78\x9f\x3e\x22\x01\x00\x02\x02\x90\x06\x00\x0e\x00\x00\x00\x01\x00"
    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xf5\x0b\x02\x10\x80\x01"
    "\x00\x06\x00\x00\x00\x61\x2e\x74\x78\x74\x00\xef\x01\x02\x0f\x80\x06\x00"
    "\x05\x00\x00\x00\x68\x65\x6c\x6c\x6f\x14\x02";
    /* A MAPI block with an unknown property type. */
    static const unsigned char bad[] =
    "\x78\x9f\x3e\x22\x01\x00\x01\x03\x90\x06\x00\x08\x00\x00\x00\x01\x00"
    "\x00\x00\xff\x00\x01\x30\x31\x01";
    MAIL   *m = tnef_message(ok, sizeof(ok) - 1);
    const MAIL_ATTACHMENT *a;

    assert_string_equal(mail_text(m), "body");
    assert_int_equal(mail_attachment_count(m), 1);
    a = mail_attachment(m, 0);
    assert_string_equal(a->filename, "a.txt");
    assert_string_equal(a->origin, "tnef");
    assert_int_equal(a->size, 5);
    assert_memory_equal(a->data, "hello", 5);
    assert_false(mail_defects(m) & MAIL_DEFECT_TNEF);
    mail_free(m);

    m = tnef_message(bad, sizeof(bad) - 1);
    assert_int_equal(mail_attachment_count(m), 1);
    assert_string_equal(mail_attachment(m, 0)->filename, "winmail.dat");
    assert_true(mail_defects(m) & MAIL_DEFECT_TNEF);
    mail_free(m);
}

static void test_json(void **state)
{
    MAIL   *m = parse("From: a@b\nSubject: \x1f x\n\nbody\n");
    char   *json = mail_to_json(m, 0);

    assert_non_null(strstr(json, "\"subject_normalized\""));
    assert_non_null(strstr(json, "\\u001f"));
    assert_null(strchr(json, 0x1f));
    g_free(json);
    mail_free(m);
}

static void test_html_sanitized(void **state)
{
    MAIL   *m = parse("From: a@b\nContent-Type: text/html\n\n"
		      "<html><head><script>alert(1)</script><style>p{}</style>"
		      "<meta http-equiv=\"refresh\" content=\"0;url=http://x\"></head>"
		      "<body onload=\"steal()\"><p onclick=\"x()\">Hello <b>agent</b></p>"
		      "<a href=\" javascript:evil()\">click</a><a href=\"https://ok.test/\">ok</a>"
		      "<img src=\"data:image/png;base64,AAAA\"><img src=\"data:text/html,x\">"
		      "<iframe src=\"https://evil.test\"></iframe><form action=\"x\"><input></form>"
		      "<!-- secret --></body></html>\n");
    char   *safe = mail_html_sanitized(m);

    assert_non_null(safe);
    assert_non_null(strstr(safe, "Hello <b>agent</b>"));
    assert_non_null(strstr(safe, "href=\"https://ok.test/\""));
    assert_non_null(strstr(safe, "data:image/png"));
    for (const char *bad = "script\0alert\0style\0refresh\0onload\0onclick\0javascript\0"
	 "data:text\0iframe\0<form\0<input\0secret\0"; *bad; bad += strlen(bad) + 1)
	if (strstr(safe, bad))
	    fail_msg("sanitized HTML still holds \"%s\": %s", bad, safe);
    g_free(safe);
    mail_free(m);
    m = parse("From: a@b\n\nplain only\n");
    assert_null(mail_html_sanitized(m));
    mail_free(m);
}

/* assert_lines - text_lines(text) gives what g_strsplit(text, "\n", -1) does */

static void assert_lines(const char *text)
{
    char  **ours = text_lines(text);
    char  **glib = g_strsplit(text, "\n", -1);

    assert_int_equal(g_strv_length(ours), g_strv_length(glib));
    for (guint i = 0; glib[i]; i++)
	assert_string_equal(ours[i], glib[i]);
    g_strfreev(ours);
    g_strfreev(glib);
}

/* test_text_lines - lines split as g_strsplit() splits them */

static void test_text_lines(void **state)
{
    assert_lines("");
    assert_lines("one");
    assert_lines("one\ntwo");
    assert_lines("one\ntwo\n");
    assert_lines("\n");
    assert_lines("\n\nthree\r\n\n");
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_html_sanitized),
	cmocka_unit_test(test_alternative_prefers_plain),
	cmocka_unit_test(test_html_only),
	cmocka_unit_test(test_charsets),
	cmocka_unit_test(test_flowed),
	cmocka_unit_test(test_reply_strip),
	cmocka_unit_test(test_reply_html_gmail),
	cmocka_unit_test(test_reply_marker),
	cmocka_unit_test(test_attachments),
	cmocka_unit_test(test_related_inline_image),
	cmocka_unit_test(test_tnef),
	cmocka_unit_test(test_json),
	cmocka_unit_test(test_text_lines),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
