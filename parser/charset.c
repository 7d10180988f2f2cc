/*++
/* NAME
/*	charset 3
/* SUMMARY
/*	convert text of any declared charset to clean UTF-8
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*charset_to_utf8(const char *data, size_t len,
/*				const char *charset, unsigned *defects)
/*
/*	char	*charset_clean_utf8(const char *data, size_t len,
/*				unsigned *defects)
/* DESCRIPTION
/*	charset_to_utf8() converts len bytes labelled charset (may be null)
/*	to a NUL-terminated UTF-8 string. Labels are cleaned up the way
/*	mail readers do: iso-8859-1 and us-ascii mean windows-1252, a
/*	missing label means UTF-8 when the bytes are valid UTF-8 and
/*	windows-1252 otherwise, an unknown label is treated like a missing
/*	one. Bytes that do not convert become U+FFFD, one per byte; NUL
/*	bytes become U+FFFD too. Nothing is dropped silently.
/*
/*	charset_clean_utf8() does the same for text that claims to be
/*	UTF-8 already.
/* DIAGNOSTICS
/*	MAIL_DEFECT_CHARSET, MAIL_DEFECT_INVALID_BYTES and MAIL_DEFECT_NUL
/*	are or-ed into *defects (may be null).
/*--*/

/* System library. */
#include <errno.h>
#include <iconv.h>
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define REPLACEMENT "\xEF\xBF\xBD"

/* charset_flag - or a defect bit into an optional word */

static void charset_flag(unsigned *defects, unsigned bit)
{
    if (defects)
	*defects |= bit;
}

/* charset_clean_utf8 - copy UTF-8, replacing invalid bytes and NULs */

char   *charset_clean_utf8(const char *data, size_t len, unsigned *defects)
{
    GString *out;
    const char *end = data + len;
    const char *p = data;
    const char *bad;

    if (len == 0)
	return (g_strdup(""));
    if (g_utf8_validate(data, (gssize) len, &bad))
	return (g_strndup(data, len));
    out = g_string_sized_new(len + 16);
    while (p < end) {
	if (!g_utf8_validate(p, end - p, &bad)) {
	    g_string_append_len(out, p, bad - p);
	    if (*bad == 0)
		charset_flag(defects, MAIL_DEFECT_NUL);
	    else
		charset_flag(defects, MAIL_DEFECT_INVALID_BYTES);
	    g_string_append(out, REPLACEMENT);
	    p = bad + 1;
	} else {
	    g_string_append_len(out, p, end - p);
	    p = end;
	}
    }
    return (g_string_free(out, FALSE));
}

/* charset_canonical - the iconv name to use for a declared label */

static const char *charset_canonical(const char *label, char *buf, size_t size)
{
    size_t  i;

    if (label == NULL || *label == 0)
	return (NULL);
    for (i = 0; label[i] && i < size - 1; i++)
	buf[i] = g_ascii_tolower(label[i]);
    buf[i] = 0;
    g_strstrip(buf);
    if (strcmp(buf, "utf-8") == 0 || strcmp(buf, "utf8") == 0
	|| strcmp(buf, "uft-8") == 0 || strcmp(buf, "x-unknown") == 0
	|| strcmp(buf, "unknown-8bit") == 0)
	return ("UTF-8");
    /* Mail readers and HTML5 read these labels as windows-1252. */
    if (strcmp(buf, "us-ascii") == 0 || strcmp(buf, "ascii") == 0
	|| strcmp(buf, "iso-8859-1") == 0 || strcmp(buf, "iso8859-1") == 0
	|| strcmp(buf, "latin1") == 0 || strcmp(buf, "iso_8859-1") == 0
	|| strcmp(buf, "l1") == 0 || strcmp(buf, "cp819") == 0)
	return ("WINDOWS-1252");
    if (strcmp(buf, "unicode-1-1-utf-7") == 0)
	return ("UTF-7");
    if (strcmp(buf, "gb2312") == 0 || strcmp(buf, "gbk") == 0)
	return ("GB18030");
    if (strcmp(buf, "ks_c_5601-1987") == 0 || strcmp(buf, "euc-kr") == 0)
	return ("CP949");
    if (strcmp(buf, "shift_jis") == 0 || strcmp(buf, "x-sjis") == 0)
	return ("CP932");
    return (g_mime_charset_iconv_name(buf));
}

/* charset_iconv - convert with iconv, one U+FFFD per unconvertible byte */

static GString *charset_iconv(iconv_t cd, const char *data, size_t len,
			              unsigned *defects)
{
    GString *out = g_string_sized_new(len + len / 2 + 16);
    char    buf[4096];
    char   *in = (char *) data;
    size_t  inleft = len;

    while (inleft > 0) {
	char   *op = buf;
	size_t  oleft = sizeof(buf);
	size_t  rc = iconv(cd, &in, &inleft, &op, &oleft);

	g_string_append_len(out, buf, op - buf);
	if (rc == (size_t) -1 && errno != E2BIG) {
	    /* EILSEQ or EINVAL: replace one byte and go on. */
	    charset_flag(defects, MAIL_DEFECT_INVALID_BYTES);
	    g_string_append(out, REPLACEMENT);
	    in++;
	    inleft--;
	    iconv(cd, NULL, NULL, NULL, NULL);
	}
    }
    /* Flush a stateful encoder (ISO-2022-JP, UTF-7). */
    {
	char   *op = buf;
	size_t  oleft = sizeof(buf);

	iconv(cd, NULL, NULL, &op, &oleft);
	g_string_append_len(out, buf, op - buf);
    }
    return (out);
}

/* charset_to_utf8 - convert declared-charset bytes to clean UTF-8 */

char   *charset_to_utf8(const char *data, size_t len, const char *charset,
			        unsigned *defects)
{
    char    buf[64];
    const char *name = charset_canonical(charset, buf, sizeof(buf));
    iconv_t cd;
    GString *raw;
    char   *clean;

    if (len == 0)
	return (g_strdup(""));
    /* UTF-8 and plain ASCII need no iconv; that is most mail. */
    if (name == NULL || strcmp(name, "UTF-8") == 0
	|| strcmp(name, "WINDOWS-1252") == 0) {
	if (g_utf8_validate(data, (gssize) len, NULL))
	    return (g_strndup(data, len));
	if (name && strcmp(name, "UTF-8") == 0) {
	    /* Declared UTF-8, but no valid multibyte character and several
	     * invalid bytes: a wrong label, usually windows-1252. */
	    const char *bad;
	    size_t  invalid = 0, multibyte = 0;
	    const char *end = data + len;

	    for (const char *p = data; p < end; p = bad + 1) {
		int     ok = g_utf8_validate(p, end - p, &bad);

		for (const char *q = p; q < (ok ? end : bad); q++)
		    multibyte += (*q & 0x80) != 0;
		if (ok)
		    break;
		invalid += *bad != 0;		/* NUL is not a charset matter */
	    }
	    if (multibyte > 0 || invalid < 2)
		return (charset_clean_utf8(data, len, defects));
	    charset_flag(defects, MAIL_DEFECT_CHARSET);
	}
	name = "WINDOWS-1252";
    }
    if ((cd = iconv_open("UTF-8", name)) == (iconv_t) -1) {
	charset_flag(defects, MAIL_DEFECT_CHARSET);
	if (g_utf8_validate(data, (gssize) len, NULL))
	    return (g_strndup(data, len));
	if ((cd = iconv_open("UTF-8", "WINDOWS-1252")) == (iconv_t) -1)
	    return (charset_clean_utf8(data, len, defects));
    }
    raw = charset_iconv(cd, data, len, defects);
    iconv_close(cd);
    /* iconv passes NUL bytes through; they become U+FFFD here. */
    clean = charset_clean_utf8(raw->str, raw->len, defects);
    g_string_free(raw, TRUE);
    return (clean);
}
