/*++
/* NAME
/*	addr_check 3
/* SUMMARY
/*	the one definition of an address safe to hand on
/* DESCRIPTION
/*	See addr_check.h.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/addr_check.h>

/* addr_unsafe - NULL for a safe address, else why it is not */

const char *addr_unsafe(const char *addr)
{
    const char *p;

    if (addr == NULL || *addr == 0)
	return ("an empty address");
    if (strlen(addr) > ADDR_MAX_LEN)
	return ("an address longer than 256 bytes");
    if (!g_utf8_validate(addr, -1, NULL))
	return ("bytes that are not UTF-8");
    for (p = addr; *p; p = g_utf8_next_char(p)) {
	gunichar c = g_utf8_get_char(p);

	if (c < 0x20 || (c >= 0x7f && c < 0xa0))
	    return ("a control character");
	if (c == ' ' || g_unichar_isspace(c) || g_unichar_type(c) == G_UNICODE_FORMAT)
	    return ("white space or an invisible character");
	if (c == '<' || c == '>')
	    return ("an angle bracket");
    }
    return (NULL);
}

/* addr_escape - a value as one log line may show it */

char   *addr_escape(const char *value)
{
    GString *out;
    const char *p, *end;

    if (value == NULL)
	return (g_strdup("(null)"));
    out = g_string_sized_new(strlen(value) + 8);
    end = value + strlen(value);
    for (p = value; p < end;) {
	unsigned char c = (unsigned char) *p;
	gunichar u = g_utf8_get_char_validated(p, end - p);

	if (c == '\\')
	    g_string_append(out, "\\\\");
	else if (c == '\r')
	    g_string_append(out, "\\r");
	else if (c == '\n')
	    g_string_append(out, "\\n");
	else if (c == '\t')
	    g_string_append(out, "\\t");
	else if (c < 0x20 || c == 0x7f)
	    g_string_append_printf(out, "\\x%02x", c);
	else if (c < 0x80)
	    g_string_append_c(out, (char) c);
	else if (u == (gunichar) - 1 || u == (gunichar) - 2 || (u >= 0x80 && u < 0xa0)) {
	    /* Not UTF-8, or a C1 control: the bytes, one by one. */
	    g_string_append_printf(out, "\\x%02x", c);
	} else {
	    const char *next = g_utf8_next_char(p);

	    g_string_append_len(out, p, next - p);
	    p = next;
	    continue;
	}
	p++;
    }
    return (g_string_free(out, FALSE));
}
