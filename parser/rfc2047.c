/*++
/* NAME
/*	rfc2047 3
/* SUMMARY
/*	join the RFC 2047 encoded words that a writer split
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*rfc2047_rejoin(const char *value, unsigned *defects)
/* DESCRIPTION
/*	Gmail and Outlook split a long non-ASCII subject, display name or
/*	file name into several encoded words, base64 ones padded with
/*	"=", and may split a multibyte character between two words.
/*	gmime 3.2.13 (Debian 12) decodes a run of such words with one
/*	base64 state that stops at the first "=" (upstream #133): every
/*	later word is lost. Decoding word by word instead breaks a split
/*	character.
/*
/*	rfc2047_rejoin() returns a copy of the unfolded header value in
/*	which each chain of encoded words, words separated by nothing but
/*	white space, is replaced by one UTF-8 base64 encoded word that
/*	says the same. gmime then decodes it in one step, whatever its
/*	version, in a subject, a phrase or a parameter. In a chain:
/* .IP \(bu
/*	the bytes of adjacent words of one charset are joined before they
/*	are converted, so a character split between words survives;
/* .IP \(bu
/*	white space between two encoded words is dropped (RFC 2047 6.2);
/* .IP \(bu
/*	a word that is malformed (a base64 word with characters outside
/*	the alphabet, a Q word with a bad escape) is not decoded: it
/*	stays as written, with the white space around it.
/* .PP
/*	Conversion is charset_to_utf8()'s; the language suffix of RFC
/*	2231 ("utf-8*en") is ignored. Text outside the chains is copied
/*	as it is.
/* DIAGNOSTICS
/*	Charset defects of the conversion are or-ed into *defects (may be
/*	null).
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* One encoded word as found. */
typedef struct RFC2047_WORD {
    size_t  len;			/* of the whole word, 0: none */
    const char *charset;		/* not terminated */
    size_t  charset_len;		/* without a language */
    int     encoding;			/* 'B' or 'Q' */
    const char *text;
    size_t  text_len;
} RFC2047_WORD;

/* rfc2047_scan - the encoded word at p, if there is one */

static int rfc2047_scan(const char *p, const char *end, RFC2047_WORD *w)
{
    const char *q = p + 2;
    const char *star;

    w->len = 0;
    if (end - p < 8 || p[0] != '=' || p[1] != '?')
	return (0);
    w->charset = q;
    while (q < end && *q != '?' && !g_ascii_isspace(*q))
	q++;
    if (q == w->charset || end - q < 5 || *q != '?')
	return (0);
    star = memchr(w->charset, '*', q - w->charset);
    w->charset_len = (star ? star : q) - w->charset;
    if (w->charset_len == 0 || w->charset_len > 40)
	return (0);
    w->encoding = g_ascii_toupper(q[1]);
    if ((w->encoding != 'B' && w->encoding != 'Q') || q[2] != '?')
	return (0);
    w->text = q + 3;
    for (q = w->text; q < end && *q != '?' && !g_ascii_isspace(*q); q++)
	 /* void */ ;
    if (end - q < 2 || q[0] != '?' || q[1] != '=')
	return (0);
    w->text_len = q - w->text;
    w->len = q + 2 - p;
    /* A word ends where a word may end: not in an addr-spec ("=?...?=@x"). */
    q += 2;
    if (q < end && !g_ascii_isspace(*q) && strchr("\"()<>,;:", *q) == NULL
	&& !(end - q >= 2 && q[0] == '=' && q[1] == '?')) {
	w->len = 0;
	return (0);
    }
    return (1);
}

/* rfc2047_bytes - the bytes a word encodes; -1 when it is malformed */

static int rfc2047_bytes(const RFC2047_WORD *w, GByteArray *out)
{
    const char *t = w->text;
    size_t  n = w->text_len;
    BASE64_STATE state;
    guint8  b;

    g_byte_array_set_size(out, 0);
    if (w->encoding == 'B') {
	for (size_t i = 0; i < n; i++)
	    if (!g_ascii_isalnum(t[i]) && t[i] != '+' && t[i] != '/' && t[i] != '=')
		return (-1);
	base64_init(&state);
	base64_step(&state, t, n, out);
	base64_finish(&state, out);
	return (0);
    }
    for (size_t i = 0; i < n; i++) {
	if (t[i] == '_') {
	    b = ' ';
	} else if (t[i] != '=') {
	    b = (guint8) t[i];
	} else if (i + 2 < n && g_ascii_isxdigit(t[i + 1]) && g_ascii_isxdigit(t[i + 2])) {
	    b = (guint8) (g_ascii_xdigit_value(t[i + 1]) * 16
			  + g_ascii_xdigit_value(t[i + 2]));
	    i += 2;
	} else {
	    return (-1);
	}
	g_byte_array_append(out, &b, 1);
    }
    return (0);
}

/* rfc2047_flush - convert the pending bytes of one charset */

static void rfc2047_flush(GString *text, GByteArray *bytes, char *charset,
			          unsigned *defects)
{
    char   *utf8;

    if (bytes->len == 0)
	return;
    utf8 = charset_to_utf8((const char *) bytes->data, bytes->len, charset, defects);
    g_string_append(text, utf8);
    g_free(utf8);
    g_byte_array_set_size(bytes, 0);
}

/* rfc2047_may_start - may an encoded word start after this character */

static int rfc2047_may_start(const char *value, const char *p)
{
    return (p == value || strchr(" \t\r\n\"(,:;", p[-1]) != NULL);
}

/* rfc2047_chain - decode a chain of words at p; return its end */

static const char *rfc2047_chain(const char *p, const char *end, GString *out,
				         unsigned *defects)
{
    GString *text = g_string_new("");
    GByteArray *pending = g_byte_array_new();	/* bytes of one charset */
    GByteArray *word = g_byte_array_new();
    char    charset[48] = "";
    RFC2047_WORD w;
    const char *ws = p;			/* white space before the word */
    int     prev_valid = -1;		/* -1: no word yet */
    int     valid;
    char   *b64;

    while (rfc2047_scan(p, end, &w)) {
	valid = rfc2047_bytes(&w, word) == 0;
	/* White space between two encoded words does not count. */
	if (prev_valid >= 0 && !(prev_valid && valid)) {
	    rfc2047_flush(text, pending, charset, defects);
	    g_string_append_len(text, ws, p - ws);
	}
	if (valid) {
	    if (pending->len > 0 && (strlen(charset) != w.charset_len
		       || g_ascii_strncasecmp(charset, w.charset, w.charset_len) != 0))
		rfc2047_flush(text, pending, charset, defects);
	    memcpy(charset, w.charset, w.charset_len);
	    charset[w.charset_len] = 0;
	    g_byte_array_append(pending, word->data, word->len);
	} else {
	    rfc2047_flush(text, pending, charset, defects);
	    g_string_append_len(text, p, w.len);
	}
	prev_valid = valid;
	p += w.len;
	ws = p;
	while (p < end && g_ascii_isspace(*p))
	    p++;
	if (!rfc2047_scan(p, end, &w)) {
	    p = ws;
	    break;
	}
    }
    rfc2047_flush(text, pending, charset, defects);
    b64 = g_base64_encode((const guchar *) text->str, text->len);
    g_string_append_printf(out, "=?UTF-8?B?%s?=", b64);
    g_free(b64);
    g_string_free(text, TRUE);
    g_byte_array_free(pending, TRUE);
    g_byte_array_free(word, TRUE);
    return (p);
}

/* rfc2047_rejoin - one encoded word for each chain of them */

char   *rfc2047_rejoin(const char *value, unsigned *defects)
{
    const char *end;
    const char *p;
    GString *out;
    RFC2047_WORD w;

    if (value == NULL)
	return (NULL);
    if (strstr(value, "=?") == NULL)
	return (g_strdup(value));
    end = value + strlen(value);
    out = g_string_sized_new(end - value + 16);
    for (p = value; p < end; /* void */ ) {
	if (p[0] == '=' && rfc2047_may_start(value, p) && rfc2047_scan(p, end, &w))
	    p = rfc2047_chain(p, end, out, defects);
	else
	    g_string_append_c(out, *p++);
    }
    return (g_string_free(out, FALSE));
}
