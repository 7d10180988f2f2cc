/* test_json_out - the JSON writer (parser/util/json_out.c), read back by json-glib */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <json-glib/json-glib.h>

#include <parser/util/json_out.h>

/* parse - the text as a json-glib node; fails the test if it is not JSON */

static JsonNode *parse(const char *text)
{
    GError *error = NULL;
    JsonNode *node = json_from_string(text, &error);

    if (node == NULL)
	fail_msg("not JSON (%s): %s", error ? error->message : "empty", text);
    return (node);
}

/* test_shape - nesting, commas, every kind of value */

static void test_shape(void **state)
{
    JSON_OUT *out = json_out_new();
    char   *text;

    json_out_open(out, NULL, '{');
    json_out_string(out, "s", "plain");
    json_out_string(out, "none", NULL);
    json_out_int(out, "n", -1234567890123LL);
    json_out_bool(out, "yes", 1);
    json_out_bool(out, "no", 0);
    json_out_open(out, "list", '[');
    json_out_string(out, NULL, "a");
    json_out_open(out, NULL, '{');
    json_out_close(out, '}');
    json_out_open(out, NULL, '[');
    json_out_close(out, ']');
    json_out_int(out, NULL, 7);
    json_out_close(out, ']');
    json_out_text(out, "given", "{\"spf\":\"pass\"}");
    json_out_text(out, "absent", NULL);
    json_out_close(out, '}');
    text = json_out_finish(out);
    assert_string_equal(text, "{\"s\":\"plain\",\"none\":null,\"n\":-1234567890123,"
			"\"yes\":true,\"no\":false,\"list\":[\"a\",{},[],7],"
			"\"given\":{\"spf\":\"pass\"},\"absent\":null}");
    json_node_unref(parse(text));
    g_free(text);
}

/* test_nested - arrays in arrays in objects, and the commas between */

static void test_nested(void **state)
{
    JSON_OUT *out = json_out_new();
    char   *text;

    json_out_open(out, NULL, '[');
    json_out_open(out, NULL, '[');
    json_out_open(out, NULL, '[');
    json_out_close(out, ']');
    json_out_open(out, NULL, '[');
    json_out_int(out, NULL, 1);
    json_out_open(out, NULL, '{');
    json_out_open(out, "a", '[');
    json_out_string(out, NULL, "x");
    json_out_string(out, NULL, NULL);
    json_out_close(out, ']');
    json_out_open(out, "b", '{');
    json_out_close(out, '}');
    json_out_close(out, '}');
    json_out_close(out, ']');
    json_out_close(out, ']');
    json_out_bool(out, NULL, 0);
    json_out_close(out, ']');
    text = json_out_finish(out);
    assert_string_equal(text, "[[[],[1,{\"a\":[\"x\",null],\"b\":{}}]],false]");
    json_node_unref(parse(text));
    g_free(text);
}

/* test_pretty - one member a line, two spaces a level, empty ones closed */

static void test_pretty(void **state)
{
    JSON_OUT *out = json_out_new_pretty();
    char   *text;
    JsonNode *node;

    json_out_open(out, NULL, '{');
    json_out_string(out, "s", "a\nb");
    json_out_open(out, "list", '[');
    json_out_int(out, NULL, 1);
    json_out_open(out, NULL, '{');
    json_out_bool(out, "t", 1);
    json_out_close(out, '}');
    json_out_close(out, ']');
    json_out_open(out, "none", '[');
    json_out_close(out, ']');
    json_out_open(out, "empty", '{');
    json_out_close(out, '}');
    json_out_close(out, '}');
    text = json_out_finish(out);
    assert_string_equal(text, "{\n"
			"  \"s\": \"a\\nb\",\n"
			"  \"list\": [\n"
			"    1,\n"
			"    {\n"
			"      \"t\": true\n"
			"    }\n"
			"  ],\n"
			"  \"none\": [],\n"
			"  \"empty\": {}\n"
			"}");
    node = parse(text);
    assert_int_equal(json_array_get_length(json_object_get_array_member(json_node_get_object(node), "list")), 2);
    json_node_unref(node);
    g_free(text);
}

/* round_trip - value written as a string member and read back by json-glib */

static char *round_trip(const char *value)
{
    JSON_OUT *out = json_out_new();
    char   *text, *back;
    JsonNode *node;

    json_out_open(out, NULL, '{');
    json_out_string(out, "v", value);
    json_out_close(out, '}');
    text = json_out_finish(out);
    node = parse(text);
    back = g_strdup(json_object_get_string_member(json_node_get_object(node), "v"));
    json_node_unref(node);
    g_free(text);
    return (back);
}

/* test_escapes - quote, backslash, every control character, UTF-8 */

static void test_escapes(void **state)
{
    const char *values[] = {
	"", "\"", "\\", "a\"b\\c", "line\r\nnext\ttab",
	"\x01\x02\x1f\x7f", "/ and </script>", "Grüße, 日本語, \xF0\x9F\x93\xA7",
	"\xE2\x80\xA8 line separator", NULL,
    };

    for (int i = 0; values[i]; i++) {
	char   *back = round_trip(values[i]);

	assert_string_equal(back, values[i]);
	g_free(back);
    }
    for (int c = 1; c < 0x20; c++) {
	char    value[4] = {'x', (char) c, 'y', 0};
	char   *back = round_trip(value);

	assert_string_equal(back, value);
	g_free(back);
    }
}

/* test_invalid_utf8 - bytes that are not UTF-8 are replaced, never passed on */

static void test_invalid_utf8(void **state)
{
    char   *back = round_trip("caf\xE9 \xFF\xFE end");

    assert_true(g_utf8_validate(back, -1, NULL));
    assert_string_equal(back, "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end");
    g_free(back);
}

/* test_large - a long text with escapes every so often stays whole */

static void test_large(void **state)
{
    GString *big = g_string_new(NULL);
    char   *back;

    for (int i = 0; i < 20000; i++)
	g_string_append(big, i % 97 ? "abcdefgh " : "\"q\"\\\n");
    back = round_trip(big->str);
    assert_string_equal(back, big->str);
    g_free(back);
    g_string_free(big, TRUE);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_shape),
	cmocka_unit_test(test_nested),
	cmocka_unit_test(test_pretty),
	cmocka_unit_test(test_escapes),
	cmocka_unit_test(test_invalid_utf8),
	cmocka_unit_test(test_large),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
