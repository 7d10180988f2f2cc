/*++
/* NAME
/*	subject 3
/* SUMMARY
/*	normalized subject and ticket tag
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*subject_normalize(const char *subject, const char *tag_format)
/*
/*	char	*subject_ticket_tag(const char *subject, const char *tag_format)
/* DESCRIPTION
/*	subject_normalize() returns the subject with reply and forward
/*	prefixes of the common languages ("Re:", "AW:", "Fwd:", "SV:",
/*	"Odp:", "RE[2]:", "回复：", ...), leading list tags ("[users]"),
/*	every ticket tag and runs of white space removed, repeatedly, so
/*	that "Re: [list] AW: Fwd: [#12] Printer" becomes "Printer".
/*
/*	subject_ticket_tag() returns the digits of the first ticket tag
/*	in subject, or NULL. tag_format is the tag with NUMBER where the
/*	digits go, e.g. "[#NUMBER]" or "Ticket#NUMBER:"; the text around
/*	NUMBER matches case-insensitively. A format without NUMBER means
/*	the digits follow it.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define SUBJECT_MAX_DIGITS	18

/*
 * Reply and forward prefixes, without the colon. ASCII ones match in
 * any case. "R" and "I" are Italian (Risposta, Inoltro).
 */
static const char *const subject_prefixes[] = {
    "re", "fwd", "fw", "aw", "wg", "sv", "vs", "vb", "odp", "pd", "rv",
    "tr", "antw", "doorst", "enc", "res", "rif", "r", "i", "fs", "vl",
    "ref", "ynt", "ilt", "atb", "antwort", "wtr",
    "отв", "ответ", "пересл", "fwd",
    "回复", "回覆", "答复", "转发", "轉寄", "返信", "転送", "Σχετ", "Απ",
    NULL,
};

typedef struct TAG_FORMAT {
    char   *prefix;
    char   *suffix;
} TAG_FORMAT;

/* subject_tag_split - split a tag format around NUMBER */

static void subject_tag_split(TAG_FORMAT *tf, const char *fmt)
{
    const char *num;

    if (fmt == NULL || *fmt == 0)
	fmt = "[#NUMBER]";
    if ((num = strstr(fmt, "NUMBER")) != NULL) {
	tf->prefix = g_strndup(fmt, num - fmt);
	tf->suffix = g_strdup(num + strlen("NUMBER"));
    } else {
	tf->prefix = g_strdup(fmt);
	tf->suffix = g_strdup("");
    }
}

/* subject_tag_find - find a tag at or after s; span and digits out */

static const char *subject_tag_find(const char *s, const TAG_FORMAT *tf,
				            size_t *span, const char **digits,
				            size_t *ndigits)
{
    size_t  plen = strlen(tf->prefix);
    size_t  slen = strlen(tf->suffix);

    for (const char *p = s; *p; p++) {
	const char *d = p + plen;
	size_t  n = 0;

	if (g_ascii_strncasecmp(p, tf->prefix, plen) != 0)
	    continue;
	while (g_ascii_isdigit(d[n]) && n <= SUBJECT_MAX_DIGITS)
	    n++;
	if (n == 0 || n > SUBJECT_MAX_DIGITS)
	    continue;
	if (g_ascii_strncasecmp(d + n, tf->suffix, slen) != 0)
	    continue;
	*span = plen + n + slen;
	*digits = d;
	*ndigits = n;
	return (p);
    }
    return (NULL);
}

/* subject_ticket_tag - the digits of the first ticket tag, or NULL */

char   *subject_ticket_tag(const char *subject, const char *tag_format)
{
    TAG_FORMAT tf;
    size_t  span, n;
    const char *digits;
    char   *result = NULL;

    if (subject == NULL)
	return (NULL);
    subject_tag_split(&tf, tag_format);
    if (subject_tag_find(subject, &tf, &span, &digits, &n) != NULL)
	result = g_strndup(digits, n);
    g_free(tf.prefix);
    g_free(tf.suffix);
    return (result);
}

/* subject_skip_prefix - length of a reply/forward prefix at s, or 0 */

static size_t subject_skip_prefix(const char *s)
{
    for (const char *const *pp = subject_prefixes; *pp; pp++) {
	size_t  n = strlen(*pp);
	const char *p = s + n;

	if (g_ascii_strncasecmp(s, *pp, n) != 0)
	    continue;
	while (*p == ' ')
	    p++;
	/* "Re[2]:", "Re(2):", "Re^2:", "Re*2:" */
	if (*p == '[' || *p == '(' || *p == '^' || *p == '*') {
	    const char *q = p + 1;

	    while (g_ascii_isdigit(*q))
		q++;
	    if (q > p + 1 && (*q == ']' || *q == ')'))
		q++;
	    p = q;
	}
	while (*p == ' ')
	    p++;
	if (*p == ':')
	    return (p + 1 - s);
	if (strncmp(p, "\xEF\xBC\x9A", 3) == 0)	/* full-width colon */
	    return (p + 3 - s);
    }
    return (0);
}

/* subject_skip_list_tag - length of a leading "[list]" tag, or 0 */

static size_t subject_skip_list_tag(const char *s)
{
    const char *close;

    if (*s != '[' || (close = strchr(s, ']')) == NULL || close - s > 64)
	return (0);
    return (close + 1 - s);
}

/* subject_normalize - the subject without prefixes, tags and extra space */

char   *subject_normalize(const char *subject, const char *tag_format)
{
    TAG_FORMAT tf;
    GString *s = g_string_new(NULL);
    GString *out;
    const char *p, *tag, *digits;
    size_t  span, n, skip;

    /* Copy the subject without its ticket tags, in one pass. */
    subject_tag_split(&tf, tag_format);
    for (p = subject ? subject : ""; (tag = subject_tag_find(p, &tf, &span, &digits, &n)) != NULL;
	 p = tag + span)
	g_string_append_len(s, p, tag - p);
    g_string_append(s, p);
    g_free(tf.prefix);
    g_free(tf.suffix);

    /* Collapse white space (folding leaves tabs and newlines). */
    out = g_string_sized_new(s->len);
    for (p = s->str; *p; p++) {
	if (g_ascii_isspace(*p)) {
	    if (out->len > 0 && out->str[out->len - 1] != ' ')
		g_string_append_c(out, ' ');
	} else
	    g_string_append_c(out, *p);
    }
    g_string_free(s, TRUE);

    /* Strip prefixes and list tags until none is left. */
    p = out->str;
    for (;;) {
	while (*p == ' ')
	    p++;
	if ((skip = subject_skip_prefix(p)) == 0
	    && (skip = subject_skip_list_tag(p)) == 0)
	    break;
	/* A subject that is only a tag stays as it is. */
	if (p[skip] == 0 && subject_skip_list_tag(p) == skip)
	    break;
	p += skip;
    }
    {
	char   *result = g_strdup(p);

	g_string_free(out, TRUE);
	return (g_strchomp(result));
    }
}
