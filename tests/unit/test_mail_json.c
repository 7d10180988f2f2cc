/*++
/* NAME
/*	test_mail_json 1
/* SUMMARY
/*	unit tests: a parsed message's two JSON documents
/* DESCRIPTION
/*	ticket-parse's document (mail_to_json()) and the database's
/*	(mail_json_stored(), the message's part of ingest_message()'s
/*	meta) are read back with json-glib: the members they share hold
/*	the same values, the attachments' offsets count the sizes before
/*	them, and the keys the SQL reads are there with their types.
/*--*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include <parser/mail.h>

/* A reply with two attachments (5 and 3 bytes), threading headers, a
 * control character and an 8-bit byte in its subject. */
static const char message[] =
    "From: \"Ann \\\"A\\\" Bee\" <Ann@Example.ORG>\n"
    "To: support@example.com, Zed <z@example.net>\n"
    "Cc: c@example.net\n"
    "Subject: Re: [#1234] help \x1f now caf\xe9\n"
    "Message-ID: <m2@example.org>\n"
    "In-Reply-To: <m1@example.com>\n"
    "References: <m0@example.com> <m1@example.com>\n"
    "Thread-Index: AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRob\n"
    "Date: Tue, 1 Oct 2024 10:00:00 +0200\n"
    "Content-Language: de-CH\n"
    "Precedence: bulk\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=b\n"
    "\n"
    "--b\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "#close\n"
    "\n"
    "Done, thanks.\n"
    "--b\n"
    "Content-Type: application/octet-stream; name=\"one.bin\"\n"
    "Content-Disposition: attachment; filename=\"one.bin\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAECAwQ=\n"
    "--b\n"
    "Content-Type: text/csv; name=\"two.csv\"\n"
    "Content-Disposition: attachment; filename=\"two.csv\"\n"
    "\n"
    "a,b\n"
    "--b--\n";

/* parse_json - the text as a json-glib object node; fails if not JSON */

static JsonNode *parse_json(const char *text)
{
    GError *error = NULL;
    JsonNode *node = json_from_string(text, &error);

    if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
	fail_msg("not a JSON object (%s): %s", error ? error->message : "", text);
    return (node);
}

/* stored - the database's members of the message, as one object */

static JsonNode *stored(const MAIL *mail)
{
    JSON_OUT *out = json_out_new();
    char   *text;
    JsonNode *node;

    json_out_open(out, NULL, '{');
    mail_json_stored(out, mail);
    json_out_close(out, '}');
    text = json_out_finish(out);
    node = parse_json(text);
    g_free(text);
    return (node);
}

/* documents - both documents of the test message */

static void documents(MAIL **mail, JsonObject **parse, JsonObject **store,
		              JsonNode **nodes)
{
    char   *text;

    *mail = mail_parse_bytes(message, strlen(message), NULL);
    text = mail_to_json(*mail, 0);
    nodes[0] = parse_json(text);
    g_free(text);
    nodes[1] = stored(*mail);
    *parse = json_node_get_object(nodes[0]);
    *store = json_node_get_object(nodes[1]);
}

/* release - what documents() made */

static void release(MAIL *mail, JsonNode **nodes)
{
    json_node_unref(nodes[0]);
    json_node_unref(nodes[1]);
    mail_free(mail);
}

/* same_member - member name of a and b holds the same value */

static void same_member(JsonObject *a, JsonObject *b, const char *name)
{
    JsonNode *x = json_object_get_member(a, name);
    JsonNode *y = json_object_get_member(b, name);

    if (x == NULL || y == NULL || !json_node_equal(x, y))
	fail_msg("member %s differs: %s vs %s", name,
		 x ? json_to_string(x, FALSE) : "(absent)",
		 y ? json_to_string(y, FALSE) : "(absent)");
}

/* test_shared_members - what both documents hold, they hold alike */

static void test_shared_members(void **state)
{
    static const char *const shared[] = {
	"message_id", "in_reply_to", "references", "thread_index", "language",
	"date", "subject", "subject_normalized", "ticket_tag", "to", "cc", NULL,
    };
    static const char *const attachment[] = {
	"filename", "content_type", "disposition", "content_id", "origin",
	"size", "sha256", "truncated", NULL,
    };
    MAIL   *mail;
    JsonObject *parse, *store, *facts;
    JsonNode *nodes[2];
    JsonArray *pa, *sa;

    documents(&mail, &parse, &store, nodes);
    for (int i = 0; shared[i]; i++)
	same_member(parse, store, shared[i]);
    assert_string_equal(json_object_get_string_member(store, "ticket_tag"), "1234");
    assert_string_equal(json_object_get_string_member(store, "language"), "de");
    /* The control character is escaped and read back whole. */
    assert_non_null(strstr(json_object_get_string_member(store, "subject"), "help \x1f now caf"));

    pa = json_object_get_array_member(parse, "attachments");
    sa = json_object_get_array_member(store, "attachments");
    assert_int_equal(json_array_get_length(pa), 2);
    assert_int_equal(json_array_get_length(sa), 2);
    for (guint i = 0; i < 2; i++)
	for (int k = 0; attachment[k]; k++)
	    same_member(json_array_get_object_element(pa, i),
			json_array_get_object_element(sa, i), attachment[k]);

    facts = json_object_get_object_member(store, "facts");
    same_member(parse, facts, "defects");
    same_member(parse, facts, "bounds_hit");
    same_member(parse, facts, "text_source");
    release(mail, nodes);
}

/* test_stored_members - the keys the SQL reads, with their types */

static void test_stored_members(void **state)
{
    MAIL   *mail;
    JsonObject *parse, *store, *facts, *commands, *att;
    JsonNode *nodes[2];
    JsonArray *ids;

    documents(&mail, &parse, &store, nodes);
    assert_string_equal(json_object_get_string_member(store, "from_address"), "Ann@example.org");
    assert_string_equal(json_object_get_string_member(store, "from_name"), "Ann \"A\" Bee");
    assert_string_equal(json_object_get_string_member(store, "kind"), "customer");
    assert_string_equal(json_object_get_string_member(store, "thread_root"),
			"0102030405060708090a0b0c0d0e0f10111213141516");

    /* In-Reply-To, then References newest first. */
    ids = json_object_get_array_member(store, "thread_ids");
    assert_int_equal(json_array_get_length(ids), 3);
    assert_string_equal(json_array_get_string_element(ids, 0), "m1@example.com");
    assert_string_equal(json_array_get_string_element(ids, 1), "m1@example.com");
    assert_string_equal(json_array_get_string_element(ids, 2), "m0@example.com");

    /* Offsets into the attachments' bytes concatenated. */
    att = json_array_get_object_element(json_object_get_array_member(store, "attachments"), 0);
    assert_int_equal(json_object_get_int_member(att, "offset"), 0);
    assert_int_equal(json_object_get_int_member(att, "size"), 5);
    att = json_array_get_object_element(json_object_get_array_member(store, "attachments"), 1);
    assert_int_equal(json_object_get_int_member(att, "offset"), 5);
    assert_false(json_object_has_member(att, "bytes_base64"));

    /* messages.facts keeps the flags as 0 or 1 (SQL reads ::integer). */
    facts = json_object_get_object_member(store, "facts");
    assert_int_equal(json_node_get_value_type(json_object_get_member(facts, "is_bulk")), G_TYPE_INT64);
    assert_int_equal(json_object_get_int_member(facts, "is_bulk"), 1);
    assert_int_equal(json_object_get_int_member(facts, "is_bounce"), 0);
    assert_string_equal(json_object_get_string_member(facts, "precedence"), "bulk");

    commands = json_object_get_object_member(store, "commands");
    assert_non_null(commands);
    assert_string_equal(json_object_get_string_member(
	json_array_get_object_element(json_object_get_array_member(commands, "list"), 0), "name"), "close");
    assert_int_equal(json_array_get_length(json_object_get_array_member(commands, "errors")), 0);

    /* What the daemon adds is not the parser's. */
    assert_false(json_object_has_member(store, "envelope_sender"));
    assert_false(json_object_has_member(store, "digest"));
    release(mail, nodes);
}

/* test_no_commands - a customer's text gives no commands member */

static void test_no_commands(void **state)
{
    const char *text = "From: a@example.org\nSubject: hi\n\nHello # there\n";
    MAIL   *mail = mail_parse_bytes(text, strlen(text), NULL);
    JsonNode *node = stored(mail);
    JsonObject *obj = json_node_get_object(node);

    assert_false(json_object_has_member(obj, "commands"));
    assert_int_equal(json_array_get_length(json_object_get_array_member(obj, "attachments")), 0);
    assert_true(JSON_NODE_HOLDS_NULL(json_object_get_member(obj, "thread_root")));
    json_node_unref(node);
    mail_free(mail);
}

/* test_parse_document - ticket-parse's document: every field, laid out */

static void test_parse_document(void **state)
{
    static const char *const fields[] = {
	"message_id", "in_reply_to", "references", "thread_index", "language",
	"date", "date_epoch", "date_tz_minutes", "subject", "subject_normalized",
	"ticket_tag", "from", "sender", "reply_to", "to", "cc", "loop", "bounce",
	"text_source", "text", "reply_text", "html", "attachments",
	"bounds_hit", "defects", NULL,
    };
    MAIL   *mail = mail_parse_bytes(message, strlen(message), NULL);
    char   *text = mail_to_json(mail, 1);
    JsonNode *node = parse_json(text);
    JsonObject *obj = json_node_get_object(node);
    JsonObject *att;

    for (int i = 0; fields[i]; i++)
	if (!json_object_has_member(obj, fields[i]))
	    fail_msg("no %s", fields[i]);
    assert_int_equal(json_object_get_size(obj), 25);
    assert_null(strchr(text, 0x1f));		/* escaped, never raw */
    assert_int_equal(strncmp(text, "{\n  \"message_id\": ", 18), 0);
    assert_true(json_object_get_boolean_member(json_object_get_object_member(obj, "loop"), "is_bulk"));
    att = json_array_get_object_element(json_object_get_array_member(obj, "attachments"), 0);
    assert_string_equal(json_object_get_string_member(att, "bytes_base64"), "AAECAwQ=");
    assert_int_equal(json_object_get_int_member(obj, "date_epoch"), 1727769600);
    json_node_unref(node);
    g_free(text);
    mail_free(mail);
}

/* setup - initialize the parser once */

static int setup(void **state)
{
    mail_parser_init();
    return (0);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_shared_members),
	cmocka_unit_test(test_stored_members),
	cmocka_unit_test(test_no_commands),
	cmocka_unit_test(test_parse_document),
    };

    return (cmocka_run_group_tests(tests, setup, NULL));
}
