/*++
/* NAME
/*	json_out 3
/* SUMMARY
/*	write a compact JSON text straight into a string
/* DESCRIPTION
/*	See json_out.h. Strings are escaped as RFC 8259 requires (quote,
/*	backslash, control characters); other bytes are copied in runs.
/*	The pretty layout costs the compact one a test per value.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Parser library. */
#include <parser/util/json_out.h>

struct JSON_OUT {
    GString *text;
    int     comma;			/* a value came before, at this level */
    int     pretty;			/* one member a line, indented */
    int     depth;			/* objects and arrays open */
};

/* json_out_new - an empty JSON text */

JSON_OUT *json_out_new(void)
{
    JSON_OUT *out = g_new0(JSON_OUT, 1);

    out->text = g_string_sized_new(4096);
    return (out);
}

/* json_out_new_pretty - an empty JSON text, laid out for reading */

JSON_OUT *json_out_new_pretty(void)
{
    JSON_OUT *out = json_out_new();

    out->pretty = 1;
    return (out);
}

/* json_out_finish - the text written; out is freed */

char   *json_out_finish(JSON_OUT *out)
{
    char   *text = g_string_free(out->text, FALSE);

    g_free(out);
    return (text);
}

/* escape - append value as a quoted JSON string */

static void escape(GString *text, const char *value)
{
    const char *run = value, *p;

    g_string_append_c(text, '"');
    for (p = value; *p; p++) {
	unsigned char c = (unsigned char) *p;

	if (c >= 0x20 && c != '"' && c != '\\')
	    continue;
	g_string_append_len(text, run, p - run);
	switch (c) {
	case '"':
	    g_string_append(text, "\\\"");
	    break;
	case '\\':
	    g_string_append(text, "\\\\");
	    break;
	case '\n':
	    g_string_append(text, "\\n");
	    break;
	case '\r':
	    g_string_append(text, "\\r");
	    break;
	case '\t':
	    g_string_append(text, "\\t");
	    break;
	default:
	    g_string_append_printf(text, "\\u%04x", c);
	    break;
	}
	run = p + 1;
    }
    g_string_append_len(text, run, p - run);
    g_string_append_c(text, '"');
}

/* newline - in the pretty layout, a new line indented to the depth */

static void newline(JSON_OUT *out)
{
    g_string_append_c(out->text, '\n');
    for (int i = 0; i < out->depth; i++)
	g_string_append(out->text, "  ");
}

/* member - the comma before a value, and its name inside an object */

static void member(JSON_OUT *out, const char *key)
{
    if (out->comma)
	g_string_append_c(out->text, ',');
    out->comma = 1;
    if (out->pretty && out->depth > 0)
	newline(out);
    if (key) {
	escape(out->text, key);
	g_string_append(out->text, out->pretty ? ": " : ":");
    }
}

/* json_out_open - start an object or an array */

void    json_out_open(JSON_OUT *out, const char *key, char bracket)
{
    member(out, key);
    g_string_append_c(out->text, bracket);
    out->depth++;
    out->comma = 0;
}

/* json_out_close - end an object or an array */

void    json_out_close(JSON_OUT *out, char bracket)
{
    out->depth--;
    /* An empty object or array stays on one line: {} or []. */
    if (out->pretty && out->comma)
	newline(out);
    g_string_append_c(out->text, bracket);
    out->comma = 1;
}

/* json_out_string - a string, or null */

void    json_out_string(JSON_OUT *out, const char *key, const char *value)
{
    member(out, key);
    if (value == NULL) {
	g_string_append(out->text, "null");
    } else if (g_utf8_validate(value, -1, NULL)) {
	escape(out->text, value);
    } else {
	char   *valid = g_utf8_make_valid(value, -1);

	escape(out->text, valid);
	g_free(valid);
    }
}

/* json_out_int - a number */

void    json_out_int(JSON_OUT *out, const char *key, long long value)
{
    member(out, key);
    g_string_append_printf(out->text, "%lld", value);
}

/* json_out_bool - true or false */

void    json_out_bool(JSON_OUT *out, const char *key, int value)
{
    member(out, key);
    g_string_append(out->text, value ? "true" : "false");
}

/* json_out_text - a JSON text of our own as the value, or null */

void    json_out_text(JSON_OUT *out, const char *key, const char *json)
{
    member(out, key);
    g_string_append(out->text, json ? json : "null");
}
