/*++
/* NAME
/*	mime_walk 3
/* SUMMARY
/*	walk gmime's tree: choose the body, collect the attachments
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	void	mime_walk(MAIL *mail, GMimeMessage *msg)
/*
/*	int	mime_headers_check(MAIL *mail, GMimeObject *obj)
/*
/*	char	*mime_text_of(MAIL *mail, GMimePart *part)
/* DESCRIPTION
/*	mime_walk() visits the MIME entities of msg depth first and fills
/*	in mail->plain, mail->html, mail->text, mail->text_source and the
/*	attachments:
/* .IP \(bu
/*	inline text/plain parts make the text (format=flowed joined);
/*	several of them, as list managers add footers, are joined with a
/*	blank line. The first inline text/html part is the HTML.
/* .IP \(bu
/*	In multipart/related the root (the part the start parameter
/*	names, else the first text or multipart part) is walked; the
/*	other parts are inline resources, kept as attachments with origin
/*	"related" and their Content-ID.
/* .IP \(bu
/*	message/rfc822 parts are attachments of their own, not walked.
/* .IP \(bu
/*	Every other leaf is an attachment.
/* .PP
/*	The text is the plain text when it says anything, else the HTML
/*	turned into text. Past max_depth or max_parts the walk stops
/*	descending and flags the message; what was seen is kept.
/*
/*	mime_headers_check() flags an entity with more than max_headers
/*	header fields or one longer than max_header_bytes, and raw 8-bit
/*	header bytes. It returns the number of header fields.
/*
/*	mime_text_of() returns the transfer-decoded content of a leaf as
/*	UTF-8 with LF line ends, converted from its declared charset (for
/*	HTML without one, from its <meta> charset).
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* mime_headers_check - flag too many, too long or 8-bit header fields */

int     mime_headers_check(MAIL *mail, GMimeObject *obj)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int     count = list ? g_mime_header_list_get_count(list) : 0;

    if (count > mail->limits.max_headers)
	mail->bounds |= MAIL_BOUND_HEADERS;
    /* Look at no more fields than the bound allows: the work is bounded. */
    for (int i = 0; i < count && i <= mail->limits.max_headers; i++) {
	GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
	const char *raw = g_mime_header_get_raw_value(h);
	size_t  len;

	if (raw == NULL)
	    continue;
	len = strlen(raw);
	if (len > mail->limits.max_header_bytes)
	    mail->bounds |= MAIL_BOUND_HEADER_BYTES;
	if (!(mail->defects & MAIL_DEFECT_8BIT_HEADER))
	    for (size_t j = 0; j < len; j++)
		if (raw[j] & 0x80) {
		    mail->defects |= MAIL_DEFECT_8BIT_HEADER;
		    break;
		}
    }
    return (count);
}

/* mime_meta_charset - the charset an HTML document declares, or NULL */

static char *mime_meta_charset(const GByteArray *bytes)
{
    size_t  scan = MIN(bytes->len, 2048);
    const char *p = (const char *) bytes->data;

    /* <meta charset="x"> or <meta http-equiv content="...; charset=x">,
     * which HTML puts in the first kilobytes. */
    for (size_t i = 0; i + 8 < scan; i++) {
	if (g_ascii_strncasecmp(p + i, "charset=", 8) == 0) {
	    size_t  j = i + 8, k;

	    while (j < scan && (p[j] == '"' || p[j] == '\''))
		j++;
	    for (k = j; k < scan && (g_ascii_isalnum(p[k]) || strchr("-_:.", p[k])); k++)
		 /* void */ ;
	    return (k > j ? g_strndup(p + j, k - j) : NULL);
	}
    }
    return (NULL);
}

/* mime_text_of - decoded UTF-8 text of a leaf, LF line ends */

char   *mime_text_of(MAIL *mail, GMimePart *part)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    const char *charset = g_mime_object_get_content_type_parameter(obj, "charset");
    int     truncated;
    GByteArray *bytes = attachment_decode(mail, part, &truncated);
    char   *meta = NULL;
    char   *text;
    char   *w;

    /* Unlabelled HTML says its charset itself. */
    if (charset == NULL
	&& g_mime_content_type_is_type(g_mime_object_get_content_type(obj), "text", "html"))
	charset = meta = mime_meta_charset(bytes);
    text = charset_to_utf8((const char *) bytes->data, bytes->len, charset, &mail->defects);
    g_free(meta);
    w = text;

    g_byte_array_free(bytes, TRUE);
    for (const char *r = text; *r; r++)
	if (*r != '\r' || r[1] != '\n')
	    *w++ = *r == '\r' ? '\n' : *r;
    *w = 0;
    return (text);
}

/* mime_is_attachment - is a leaf meant as a file rather than the text */

static int mime_is_attachment(GMimePart *part)
{
    const char *disp = g_mime_object_get_disposition(GMIME_OBJECT(part));

    if (disp && g_ascii_strcasecmp(disp, "attachment") == 0)
	return (1);
    return (g_mime_part_get_filename(part) != NULL);
}

/* mime_leaf - a leaf part: text, HTML or attachment */

static void mime_leaf(MAIL *mail, GMimePart *part, const char *origin)
{
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

    if (!mime_is_attachment(part) && g_mime_content_type_is_type(ct, "text", "plain")) {
	char   *text = mime_text_of(mail, part);
	const char *format = g_mime_content_type_get_parameter(ct, "format");

	if (format && g_ascii_strcasecmp(format, "flowed") == 0) {
	    const char *delsp = g_mime_content_type_get_parameter(ct, "delsp");
	    char   *joined = flowed_join(text, delsp && g_ascii_strcasecmp(delsp, "yes") == 0);

	    g_free(text);
	    text = joined;
	}
	if (mail->plain == NULL)
	    mail->plain = g_string_new(text);
	else {
	    g_string_append(mail->plain, "\n\n");
	    g_string_append(mail->plain, text);
	}
	g_free(text);
    } else if (!mime_is_attachment(part) && mail->html == NULL
	       && g_mime_content_type_is_type(ct, "text", "html")) {
	mail->html = mime_text_of(mail, part);
    } else {
	attachment_add_part(mail, part, origin);
    }
}

/* mime_related_root - index of the root part of multipart/related */

static int mime_related_root(GMimeMultipart *mp)
{
    const char *start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
    int     n = g_mime_multipart_get_count(mp);

    if (start != NULL) {
	char   *want = g_strdup(start);
	size_t  len = strlen(want);

	if (len >= 2 && want[0] == '<' && want[len - 1] == '>') {
	    want[len - 1] = 0;
	    memmove(want, want + 1, len - 1);
	}
	for (int i = 0; i < n; i++) {
	    const char *id = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));

	    if (id && strcmp(id, want) == 0) {
		g_free(want);
		return (i);
	    }
	}
	g_free(want);
    }
    /* RFC 2387 says the first part; MHTML writers put resources first. */
    for (int i = 0; i < n; i++) {
	GMimeObject *part = g_mime_multipart_get_part(mp, i);
	GMimeContentType *ct = g_mime_object_get_content_type(part);

	if (GMIME_IS_MULTIPART(part) || g_mime_content_type_is_type(ct, "text", "*"))
	    return (i);
    }
    return (0);
}

/* mime_visit - visit one entity and what it contains */

static void mime_visit(MAIL *mail, GMimeObject *obj, int depth, const char *origin)
{
    if (++mail->parts > mail->limits.max_parts) {
	mail->bounds |= MAIL_BOUND_PARTS;
	return;
    }
    if (depth > mail->limits.max_depth) {
	mail->bounds |= MAIL_BOUND_DEPTH;
	return;
    }
    mime_headers_check(mail, obj);
    if (GMIME_IS_MULTIPART(obj)) {
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	int     n = g_mime_multipart_get_count(mp);
	int     root = -1;

	if (g_mime_content_type_is_type(ct, "multipart", "related"))
	    root = mime_related_root(mp);
	for (int i = 0; i < n && !(mail->bounds & MAIL_BOUND_PARTS); i++) {
	    GMimeObject *child = g_mime_multipart_get_part(mp, i);

	    if (root >= 0 && i != root && GMIME_IS_PART(child)) {
		if (++mail->parts > mail->limits.max_parts) {
		    mail->bounds |= MAIL_BOUND_PARTS;
		    break;
		}
		mime_headers_check(mail, child);
		attachment_add_part(mail, GMIME_PART(child), "related");
	    } else
		mime_visit(mail, child, depth + 1, origin);
	}
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
	attachment_add_message(mail, GMIME_MESSAGE_PART(obj));
    } else if (GMIME_IS_PART(obj)) {
	mime_leaf(mail, GMIME_PART(obj), origin);
    }
}

/* mime_blank - does a string hold only white space */

static int mime_blank(const char *s)
{
    for (; *s; s++)
	if (!g_ascii_isspace(*s))
	    return (0);
    return (1);
}

/* mime_walk - choose the body and collect the attachments */

void    mime_walk(MAIL *mail, GMimeMessage *msg)
{
    GMimeObject *top = g_mime_message_get_mime_part(msg);

    if (top != NULL)
	mime_visit(mail, top, 1, "mime");
    if (mail->plain && !mime_blank(mail->plain->str)) {
	mail->text = g_strdup(mail->plain->str);
	mail->text_source = "plain";
    } else if (mail->html) {
	mail->text = html_to_text(mail->html, strlen(mail->html));
	mail->text_source = "html";
    } else {
	mail->text = g_strdup(mail->plain ? mail->plain->str : "");
	mail->text_source = "none";
    }
}
