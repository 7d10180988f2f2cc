/*++
/* NAME
/*	test_parser_trust 1
/* SUMMARY
/*	unit tests: duplicated fields, split encoded words, chunked
/*	base64, unbracketed From, garbage before the header
/* DESCRIPTION
/*	Each case fails with Debian 12's gmime 3.2.13 used as the parser
/*	used it before: the last Subject, all From headers merged, the
/*	words after a padded base64 encoded word lost (#133), a base64
/*	body cut at its first padding (#150), no From address for "Name
/*	addr", no message after a blank line.
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
#include <parser/util/sha256.h>

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

/* has_defect_name - does the message's defect list hold name */

static int has_defect_name(const MAIL *m, const char *name)
{
    for (const char *const *d = mail_defect_names(m, NULL); *d; d++)
	if (strcmp(*d, name) == 0)
	    return (1);
    return (0);
}

/* assert_duplicate - m has exactly one duplicated field, name */

static void assert_duplicate(const MAIL *m, const char *name)
{
    size_t  n;
    const char *const *dups = mail_duplicate_headers(m, &n);
    char   *want = g_strconcat("duplicate_header:", name, NULL);
    char   *json = mail_to_json(m, 0);
    char   *quoted = g_strdup_printf("\"%s\"", want);

    assert_true(mail_defects(m) & MAIL_DEFECT_DUPLICATE_HEADER);
    assert_int_equal(n, 1);
    assert_string_equal(dups[0], name);
    assert_null(dups[1]);
    assert_true(has_defect_name(m, want));
    assert_true(has_defect_name(m, "duplicate_header"));
    if (strstr(json, quoted) == NULL)
	fail_msg("JSON lacks %s: %s", quoted, json);
    g_free(quoted);
    g_free(json);
    g_free(want);
}

static void test_duplicate_from(void **state)
{
    /* A From added on top of a signed message: the first is shown. */
    MAIL   *m = parse("From: Mallory <ceo@victim.test>\n"
		      "From: Real Sender <sender@list.test>\n"
		      "Subject: s\n\nbody\n");
    const MAIL_ADDRESS *v;

    assert_string_equal(mail_from_address(m), "ceo@victim.test");
    assert_string_equal(mail_from_name(m), "Mallory");
    /* Not both: gmime (with Debian's #129 patch) merges them. */
    assert_int_equal(mail_addresses(m, MAIL_ADDR_FROM, &v), 1);
    assert_duplicate(m, "from");
    mail_free(m);
}

static void test_duplicate_sender_to_cc(void **state)
{
    const MAIL_ADDRESS *v;
    MAIL   *m;

    m = parse("From: a@x.test\nSender: first@x.test\nSender: second@x.test\n\nb\n");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_SENDER, &v), 1);
    assert_string_equal(v[0].address, "first@x.test");
    assert_duplicate(m, "sender");
    mail_free(m);

    m = parse("From: a@x.test\nTo: t1@x.test, t2@x.test\nTo: t3@x.test\n\nb\n");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_TO, &v), 2);
    assert_string_equal(v[0].address, "t1@x.test");
    assert_string_equal(v[1].address, "t2@x.test");
    assert_duplicate(m, "to");
    mail_free(m);

    m = parse("From: a@x.test\nCc: c1@x.test\nCc: c2@x.test\n\nb\n");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_CC, &v), 1);
    assert_string_equal(v[0].address, "c1@x.test");
    assert_duplicate(m, "cc");
    mail_free(m);
}

static void test_duplicate_subject(void **state)
{
    /* gmime's own subject is the last instance. */
    MAIL   *m = parse("From: a@x.test\nSubject: Re: [#42] first\nSubject: second\n\nb\n");

    assert_string_equal(mail_subject(m), "Re: [#42] first");
    assert_string_equal(mail_ticket_tag(m), "42");
    assert_duplicate(m, "subject");
    mail_free(m);
}

static void test_duplicate_date_and_id(void **state)
{
    MAIL   *m = parse("From: a@x.test\n"
		      "Date: Mon, 01 Jan 2024 10:00:00 +0100\n"
		      "Date: Tue, 02 Jan 2024 00:00:00 +0000\n\nb\n");
    int     tz;

    assert_int_equal(mail_date(m, &tz), 1704099600);
    assert_int_equal(tz, 60);
    assert_string_equal(mail_date_text(m), "2024-01-01T10:00:00+01:00");
    assert_duplicate(m, "date");
    mail_free(m);

    m = parse("From: a@x.test\nMessage-ID: <first@x.test>\nMessage-ID: <second@x.test>\n\nb\n");
    assert_string_equal(mail_message_id(m), "first@x.test");
    assert_duplicate(m, "message-id");
    mail_free(m);
}

static void test_duplicate_content_type(void **state)
{
    /* The first Content-Type says plain text; gmime builds the part the
     * last one describes (HTML) unless the parser corrects it. */
    MAIL   *m = parse("From: a@x.test\nSubject: s\nContent-Type: text/plain\n"
		      "Content-Type: text/html\n\n<b>hi</b>\n");

    assert_string_equal(mail_text_source(m), "plain");
    assert_string_equal(mail_text(m), "<b>hi</b>\n");
    assert_null(mail_html(m));
    assert_string_equal(mail_subject(m), "s");
    assert_duplicate(m, "content-type");
    mail_free(m);

    m = parse("From: a@x.test\nContent-Type: multipart/mixed; boundary=A\n"
	      "Content-Type: text/plain\n\n--A\nContent-Type: text/plain\n\ninner\n"
	      "--A\nContent-Type: application/pdf; name=x.pdf\n\nPDF\n--A--\n");
    assert_string_equal(mail_text(m), "inner");
    assert_int_equal(mail_attachment_count(m), 1);
    assert_duplicate(m, "content-type");
    mail_free(m);
}

static void test_single_fields_no_defect(void **state)
{
    /* One of each, and repeatable fields repeated: no defect. */
    MAIL   *m = parse("Received: from a\nReceived: from b\nFrom: a@x.test\n"
		      "Sender: s@x.test\nTo: t@x.test\nCc: c@x.test\nSubject: s\n"
		      "Date: Mon, 01 Jan 2024 10:00:00 +0100\nMessage-ID: <i@x.test>\n"
		      "Comments: one\nComments: two\nContent-Type: text/plain\n\nb\n");
    size_t  n;

    assert_int_equal(mail_defects(m), 0);
    mail_duplicate_headers(m, &n);
    assert_int_equal(n, 0);
    mail_defect_names(m, &n);
    assert_int_equal(n, 0);
    mail_free(m);
}

static void test_rfc2047_split_base64(void **state)
{
    MAIL   *m;

    /* jstedfast/gmime#133: "Hello" alone on 3.2.13. */
    m = parse("From: a@x.test\nSubject: =?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=\n\nb\n");
    assert_string_equal(mail_subject(m), "Hello world");
    mail_free(m);

    /* Gmail's way: folded, padding in the first word, "ä" split between
     * the words (0xC3 | 0xA4). */
    m = parse("From: a@x.test\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgZ2Fuei4gTcOkeMM=?=\n"
	      " =?UTF-8?B?pHk=?=\n\nb\n");
    assert_string_equal(mail_subject(m), "Grüße aus ganz. Mäxäy");
    mail_free(m);

    /* The split character between a Q word and a B word. */
    m = parse("From: a@x.test\nSubject: =?utf-8?q?x=C3?= =?UTF-8?b?pHk=?=\n\nb\n");
    assert_string_equal(mail_subject(m), "xäy");
    mail_free(m);
}

static void test_rfc2047_rules(void **state)
{
    MAIL   *m;

    /* Space between encoded words goes; between an encoded word and
     * text it stays; mixed charsets; a language suffix (RFC 2231). */
    m = parse("From: a@x.test\nSubject: =?iso-8859-1?Q?caf=E9?=   =?UTF-8?B?IGNyw6htZQ==?="
	      " plain =?utf-8*fr?q?=C3=A0_la?= =?koi8-r?B?5ME=?= end\n\nb\n");
    assert_string_equal(mail_subject(m), "café crème plain à laДа end");
    mail_free(m);

    /* A malformed word stays as written, with its spaces; its
     * neighbours are still decoded. */
    m = parse("From: a@x.test\nSubject: =?utf-8?B?SGk=?= =?utf-8?B?!!bad?= =?utf-8?q?x=ZZ?="
	      " =?utf-8?B?dGhlcmU=?=\n\nb\n");
    assert_string_equal(mail_subject(m), "Hi =?utf-8?B?!!bad?= =?utf-8?q?x=ZZ?= there");
    mail_free(m);

    /* Not encoded words: inside a word, or incomplete. */
    m = parse("From: a@x.test\nSubject: a=?utf-8?q?b?= =?utf-8?q?c\n\nb\n");
    assert_non_null(strstr(mail_subject(m), "=?utf-8?q?c"));
    mail_free(m);

    /* Nor in an address: the address stays as written. */
    m = parse("From: =?utf-8?q?x?=@x.test\n\nb\n");
    assert_string_equal(mail_from_address(m), "=?utf-8?q?x?=@x.test");
    mail_free(m);
}

static void test_rfc2047_names(void **state)
{
    /* Outlook splits display names the same way. */
    MAIL   *m = parse("From: =?UTF-8?B?SsO8cmdlbiA=?= =?UTF-8?B?TcO8bGxlcg==?= <j@x.test>\n"
		      "To: \"=?UTF-8?B?QW5uYSA=?= =?UTF-8?B?U2NobWlkdA==?=\" <anna@x.test>,"
		      " =?utf-8?q?Bob?= <bob@x.test>\n\nb\n");
    const MAIL_ADDRESS *v;

    assert_string_equal(mail_from_name(m), "Jürgen Müller");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_TO, &v), 2);
    assert_string_equal(v[0].name, "Anna Schmidt");
    assert_string_equal(v[0].address, "anna@x.test");
    assert_string_equal(v[1].name, "Bob");
    mail_free(m);
}

static void test_rfc2047_file_names(void **state)
{
    MAIL   *m = parse("From: a@x.test\nContent-Type: multipart/mixed; boundary=B\n\n"
		      "--B\nContent-Type: text/plain\n\nbody\n"
		      "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
		      " filename=\"=?UTF-8?B?UmVjaG51bmcgTcOkcg==?= =?UTF-8?B?ei5wZGY=?=\"\n\nx\n"
		      "--B\nContent-Type: application/pdf; name=\"=?UTF-8?B?YQ==?= =?UTF-8?B?Yi5wZGY=?=\"\n\nx\n"
		      "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
		      " filename*=UTF-8''%C3%BCber%20alles.pdf\n\nx\n"
		      "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
		      " filename*0*=UTF-8''%C3%A4; filename*1=\"rger.pdf\"\n\nx\n"
		      "--B\nContent-Type: message/rfc822\n"
		      "Content-Disposition: attachment; filename=\"=?UTF-8?B?Rnc=?= =?UTF-8?B?OiB4LmVtbA==?=\"\n\n"
		      "From: Inner <inner@x.test>\nFrom: other@x.test\n"
		      "Subject: =?UTF-8?B?SW5uZXIg?= =?UTF-8?B?c3ViamVjdA==?=\n\ninner\n"
		      "--B--\n");

    assert_int_equal(mail_attachment_count(m), 5);
    assert_string_equal(mail_attachment(m, 0)->filename, "Rechnung März.pdf");
    assert_string_equal(mail_attachment(m, 1)->filename, "ab.pdf");
    assert_string_equal(mail_attachment(m, 2)->filename, "über alles.pdf");
    assert_string_equal(mail_attachment(m, 3)->filename, "ärger.pdf");
    assert_string_equal(mail_attachment(m, 4)->filename, "Fw: x.eml");
    assert_string_equal(mail_attachment(m, 4)->message_subject, "Inner subject");
    assert_string_equal(mail_attachment(m, 4)->message_from, "inner@x.test");
    /* The forwarded message's duplicate is not the message's defect. */
    assert_false(mail_defects(m) & MAIL_DEFECT_DUPLICATE_HEADER);
    mail_free(m);
}

/* chunked - base64 of data written in separately padded chunks */

static char *chunked(const void *data, size_t len, size_t chunk)
{
    GString *out = g_string_new("");

    for (size_t off = 0; off < len; off += chunk) {
	char   *b64 = g_base64_encode((const guchar *) data + off, MIN(chunk, len - off));

	g_string_append(out, b64);
	g_string_append_c(out, '\n');
	g_free(b64);
    }
    return (g_string_free(out, FALSE));
}

/* hex_sha256 - the SHA-256 of bytes in hex */

static void hex_sha256(const void *data, size_t len, char hex[SHA256_HEX_SIZE])
{
    SHA256_SUM *sum = sha256_new();

    sha256_update(sum, data, len);
    sha256_finish(sum, hex);
}

static void test_base64_chunked_bodies(void **state)
{
    const char *text = "Grüße, the whole text survives the padding.";
    const char *html = "<p>An <b>HTML</b> body in chunks.</p>";
    unsigned char file[1000];
    char    hex[SHA256_HEX_SIZE];
    char   *t64 = chunked(text, strlen(text), 7);
    char   *h64 = chunked(html, strlen(html), 5);
    char   *f64;
    char   *msg;
    MAIL   *m;
    const MAIL_ATTACHMENT *a;

    for (size_t i = 0; i < sizeof(file); i++)
	file[i] = (unsigned char) (i * 7 + 3);
    f64 = chunked(file, sizeof(file), 100);
    msg = g_strdup_printf("From: a@x.test\nContent-Type: multipart/mixed; boundary=C\n\n"
			  "--C\nContent-Type: multipart/alternative; boundary=D\n\n"
			  "--D\nContent-Type: text/plain; charset=utf-8\n"
			  "Content-Transfer-Encoding: base64\n\n%s"
			  "--D\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n%s"
			  "--D--\n"
			  "--C\nContent-Type: application/octet-stream; name=f.bin\n"
			  "Content-Transfer-Encoding: base64\n\n%s--C--\n", t64, h64, f64);
    m = parse(msg);
    assert_string_equal(mail_text(m), text);
    assert_string_equal(mail_html(m), html);
    assert_int_equal(mail_attachment_count(m), 1);
    a = mail_attachment(m, 0);
    assert_int_equal(a->size, sizeof(file));
    assert_memory_equal(a->data, file, sizeof(file));
    hex_sha256(file, sizeof(file), hex);
    assert_string_equal(a->sha256, hex);
    assert_false(a->truncated);
    mail_free(m);
    g_free(msg);
    g_free(t64);
    g_free(h64);
    g_free(f64);
}

static void test_base64_chunked_bound(void **state)
{
    /* The decoded-size bound still holds for chunked base64. */
    unsigned char file[3000];
    char   *f64;
    char   *msg;
    MAIL_LIMITS limits;
    MAIL   *m;

    memset(file, 'z', sizeof(file));
    f64 = chunked(file, sizeof(file), 200);
    msg = g_strdup_printf("From: a@x.test\nContent-Type: application/octet-stream; name=f\n"
			  "Content-Transfer-Encoding: base64\n\n%s", f64);
    mail_limits_default(&limits);
    limits.max_decoded_bytes = 1000;
    m = mail_parse_bytes(msg, strlen(msg), &limits);
    assert_int_equal(mail_attachment(m, 0)->size, 1000);
    assert_true(mail_attachment(m, 0)->truncated);
    assert_true(mail_bounds_hit(m) & MAIL_BOUND_DECODED);
    mail_free(m);
    g_free(msg);
    g_free(f64);
}

static void test_base64_large(void **state)
{
    /* Larger than one read of the encoded stream (64 KiB): groups and
     * padding fall across the reads. */
    size_t  size = 300001;
    unsigned char *file = g_malloc(size);
    char    hex[SHA256_HEX_SIZE];
    char   *f64;
    char   *msg;
    MAIL   *m;

    for (size_t i = 0; i < size; i++)
	file[i] = (unsigned char) (i * 131 + i / 7);
    f64 = chunked(file, size, 1001);
    msg = g_strdup_printf("From: a@x.test\nContent-Type: application/octet-stream; name=f\n"
			  "Content-Transfer-Encoding: base64\n\n%s", f64);
    m = parse(msg);
    assert_int_equal(mail_attachment(m, 0)->size, size);
    assert_memory_equal(mail_attachment(m, 0)->data, file, size);
    hex_sha256(file, size, hex);
    assert_string_equal(mail_attachment(m, 0)->sha256, hex);
    mail_free(m);
    g_free(msg);
    g_free(f64);
    g_free(file);
}

static void test_base64_chunked_tnef(void **state)
{
    /* The winmail.dat of test_parser_body, in chunks of 4 bytes. */
    static const unsigned char ok[] =
    "\x78\x9f\x3e\x22\x01\x00\x02\x02\x90\x06\x00\x0e\x00\x00\x00\x01\x00"
    "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xf5\x0b\x02\x10\x80\x01"
    "\x00\x06\x00\x00\x00\x61\x2e\x74\x78\x74\x00\xef\x01\x02\x0f\x80\x06\x00"
    "\x05\x00\x00\x00\x68\x65\x6c\x6c\x6f\x14\x02";
    char   *b64 = chunked(ok, sizeof(ok) - 1, 4);
    char   *msg = g_strdup_printf("Subject: t\nContent-Type: multipart/mixed; boundary=T\n\n"
				  "--T\nContent-Type: text/plain\n\nbody\n"
				  "--T\nContent-Type: application/ms-tnef; name=winmail.dat\n"
				  "Content-Transfer-Encoding: base64\n\n%s--T--\n", b64);
    MAIL   *m = parse(msg);

    assert_int_equal(mail_attachment_count(m), 1);
    assert_string_equal(mail_attachment(m, 0)->filename, "a.txt");
    assert_memory_equal(mail_attachment(m, 0)->data, "hello", 5);
    assert_false(mail_defects(m) & MAIL_DEFECT_TNEF);
    mail_free(m);
    g_free(msg);
    g_free(b64);
}

static void test_from_unbracketed(void **state)
{
    MAIL   *m = parse("From: Jane Doe jane@Example.ORG\nSubject: s\n\nb\n");
    const MAIL_ADDRESS *v;

    assert_string_equal(mail_from_address(m), "jane@example.org");
    assert_string_equal(mail_from_name(m), "Jane Doe");
    assert_int_equal(mail_addresses(m, MAIL_ADDR_FROM, &v), 1);
    assert_true(mail_defects(m) & MAIL_DEFECT_FROM_UNBRACKETED);
    assert_true(has_defect_name(m, "from_unbracketed"));
    mail_free(m);

    /* An encoded display name. */
    m = parse("From: =?UTF-8?B?SsO8cmdlbg==?= j@x.test\n\nb\n");
    assert_string_equal(mail_from_address(m), "j@x.test");
    assert_string_equal(mail_from_name(m), "Jürgen");
    mail_free(m);
}

static void test_from_unbracketed_conservative(void **state)
{
    static const char *const refused[] = {
	"From: Jane jane@x.test bob@x.test\n\nb\n",	/* two addresses */
	"From: Jane Doe jane@x\n\nb\n",			/* no dot in the domain */
	"From: Jane Doe jane..doe@x.test\n\nb\n",	/* not a dot-atom */
	"From: Jane Doe jane@x_y.test\n\nb\n",		/* not a host name */
	"From: Jane (Doe jane@x.test\n\nb\n",		/* specials in the name */
	"From: Jane \"Doe\" jane@x.test\n\nb\n",
	"From: Jane Doe\n\nb\n",				/* no address at all */
	NULL,
    };
    MAIL   *m;

    for (const char *const *c = refused; *c; c++) {
	const char *got;

	m = parse(*c);
	/* gmime may read a word as an address without a domain. */
	if ((got = mail_from_address(m)) != NULL && strchr(got, '@') != NULL)
	    fail_msg("%s gave %s", *c, got);
	assert_false(mail_defects(m) & MAIL_DEFECT_FROM_UNBRACKETED);
	mail_free(m);
    }
    /* Well-formed forms are no defect. */
    m = parse("From: jane@x.test (Jane Doe)\n\nb\n");
    assert_string_equal(mail_from_address(m), "jane@x.test");
    assert_int_equal(mail_defects(m), 0);
    mail_free(m);
    m = parse("From: jane@x.test\n\nb\n");
    assert_string_equal(mail_from_address(m), "jane@x.test");
    assert_int_equal(mail_defects(m), 0);
    mail_free(m);
}

static void test_leading_garbage(void **state)
{
    static const char *const cases[] = {
	" \nFrom: a@x.test\nSubject: s\n\nbody\n",		/* white space line */
	"\n\nFrom: a@x.test\nSubject: s\n\nbody\n",		/* empty lines */
	"From jane@x.test Mon Jan  1 00:00:00 2024\nFrom: a@x.test\nSubject: s\n\nbody\n",
	"\xEF\xBB\xBF" "From: a@x.test\nSubject: s\n\nbody\n",	/* UTF-8 BOM */
	"\xEF\xBB\xBF \t\r\n\r\nFrom x Mon Jan  1 00:00:00 2024\r\nFrom: a@x.test\r\n"
	"Subject: s\r\n\r\nbody\r\n",
	NULL,
    };

    for (const char *const *c = cases; *c; c++) {
	MAIL   *m = parse(*c);

	assert_false(mail_defects(m) & MAIL_DEFECT_NO_MESSAGE);
	assert_string_equal(mail_subject(m), "s");
	assert_string_equal(mail_from_address(m), "a@x.test");
	assert_string_equal(mail_text(m), "body\n");
	assert_true(mail_defects(m) & MAIL_DEFECT_LEADING_GARBAGE);
	assert_true(has_defect_name(m, "leading_garbage"));
	mail_free(m);
    }
}

static void test_leading_garbage_bounded(void **state)
{
    GString *big = g_string_new("");
    MAIL   *m;

    /* A body-only message (no header) is one, not garbage. */
    m = parse("\nJust a body line.\nSubject: not a header\n");
    assert_false(mail_defects(m) & MAIL_DEFECT_LEADING_GARBAGE);
    assert_string_equal(mail_subject(m), "");
    mail_free(m);

    /* Garbage past the first kilobytes is not looked through. */
    for (int i = 0; i < 5000; i++)
	g_string_append(big, " \n");
    g_string_append(big, "From: a@x.test\nSubject: s\n\nbody\n");
    m = parse(big->str);
    assert_false(mail_defects(m) & MAIL_DEFECT_LEADING_GARBAGE);
    assert_string_not_equal(mail_subject(m), "s");
    mail_free(m);
    g_string_free(big, TRUE);

    /* A field with space before its colon is not an mbox line. */
    m = parse("From : a@x.test\nSubject: s\n\nbody\n");
    assert_false(mail_defects(m) & MAIL_DEFECT_LEADING_GARBAGE);
    assert_string_equal(mail_from_address(m), "a@x.test");
    mail_free(m);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_duplicate_from),
	cmocka_unit_test(test_duplicate_sender_to_cc),
	cmocka_unit_test(test_duplicate_subject),
	cmocka_unit_test(test_duplicate_date_and_id),
	cmocka_unit_test(test_duplicate_content_type),
	cmocka_unit_test(test_single_fields_no_defect),
	cmocka_unit_test(test_rfc2047_split_base64),
	cmocka_unit_test(test_rfc2047_rules),
	cmocka_unit_test(test_rfc2047_names),
	cmocka_unit_test(test_rfc2047_file_names),
	cmocka_unit_test(test_base64_chunked_bodies),
	cmocka_unit_test(test_base64_chunked_bound),
	cmocka_unit_test(test_base64_large),
	cmocka_unit_test(test_base64_chunked_tnef),
	cmocka_unit_test(test_from_unbracketed),
	cmocka_unit_test(test_from_unbracketed_conservative),
	cmocka_unit_test(test_leading_garbage),
	cmocka_unit_test(test_leading_garbage_bounded),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
