/*++
/* NAME
/*	attachment 3
/* SUMMARY
/*	decoded content of MIME parts, and the attachment list
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	int	attachment_budget(MAIL *mail, GByteArray *bytes)
/*
/*	GByteArray *attachment_decode(MAIL *mail, GMimePart *part,
/*				int *truncated)
/*
/*	MAIL_ATTACHMENT *attachment_add(MAIL *mail, const char *filename,
/*				const char *content_type,
/*				const char *disposition,
/*				const char *content_id, const char *origin,
/*				GByteArray *bytes, int truncated)
/*
/*	void	attachment_add_part(MAIL *mail, GMimePart *part,
/*				const char *origin)
/*
/*	void	attachment_add_message(MAIL *mail, GMimeMessagePart *part)
/*
/*	void	attachment_free(MAIL_ATTACHMENT *att)
/* DESCRIPTION
/*	attachment_budget() cuts bytes to what is left of the decoded-size
/*	bound, counts them, and returns 1 when it had to cut.
/*
/*	attachment_decode() returns the content of part with its transfer
/*	encoding undone (base64, quoted-printable, uuencode; gmime repairs
/*	what is broken). Base64 is decoded by base64_part(), whole even
/*	when it is written in padded chunks. The total decoded size of a message is bounded by
/*	max_decoded_bytes: past it the content is cut, *truncated is set
/*	and the message is flagged with MAIL_BOUND_DECODED.
/*
/*	attachment_add() appends an attachment with the given strings
/*	(copied; any may be null but content_type and origin), takes
/*	ownership of bytes and computes their SHA-256.
/*
/*	attachment_add_part() adds a MIME leaf with its decoded file name
/*	(RFC 2231 and RFC 2047 forms), type, disposition and Content-ID.
/*	A TNEF winmail.dat is replaced by the files it carries; when it
/*	cannot be read it stays as it is and MAIL_DEFECT_TNEF is set.
/*
/*	attachment_add_message() adds a forwarded message/rfc822 part as
/*	a file with its bytes as sent, and summarizes its Subject and From.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>
#include <parser/util/sha256.h>

/* attachment_budget - keep bytes within the decoded-size bound */

int     attachment_budget(MAIL *mail, GByteArray *bytes)
{
    size_t  room = mail->limits.max_decoded_bytes > mail->decoded ?
    mail->limits.max_decoded_bytes - mail->decoded : 0;

    if (bytes->len > room) {
	g_byte_array_set_size(bytes, room);
	mail->bounds |= MAIL_BOUND_DECODED;
	mail->decoded += room;
	return (1);
    }
    mail->decoded += bytes->len;
    return (0);
}

/* attachment_decode - transfer-decoded content of a leaf part */

GByteArray *attachment_decode(MAIL *mail, GMimePart *part, int *truncated)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *mem;
    GByteArray *bytes;

    *truncated = 0;
    if (content == NULL)
	return (g_byte_array_new());
    /* gmime 3.2.13 stops base64 at the first "=": see base64.c. */
    if (g_mime_data_wrapper_get_encoding(content) == GMIME_CONTENT_ENCODING_BASE64) {
	bytes = base64_part(part, mail->limits.max_decoded_bytes > mail->decoded ?
			    mail->limits.max_decoded_bytes - mail->decoded : 0);
	*truncated = attachment_budget(mail, bytes);
	return (bytes);
    }
    bytes = g_byte_array_new();
    mem = g_mime_stream_mem_new_with_byte_array(bytes);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_mime_data_wrapper_write_to_stream(content, mem);
    g_object_unref(mem);
    *truncated = attachment_budget(mail, bytes);
    return (bytes);
}

/* attachment_strip_brackets - a Content-ID without <> */

static char *attachment_strip_brackets(const char *id)
{
    char   *s;
    size_t  n;

    if (id == NULL || *id == 0)
	return (NULL);
    s = charset_clean_utf8(id, strlen(id), NULL);
    g_strstrip(s);
    n = strlen(s);
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
	memmove(s, s + 1, n - 2);
	s[n - 2] = 0;
    }
    return (s);
}

/* attachment_clean - a valid UTF-8 copy, or NULL */

static char *attachment_clean(const char *s)
{
    return (s && *s ? charset_clean_utf8(s, strlen(s), NULL) : NULL);
}

/* attachment_add - append one attachment and hash its bytes */

MAIL_ATTACHMENT *attachment_add(MAIL *mail, const char *filename,
				        const char *content_type,
				        const char *disposition,
				        const char *content_id, const char *origin,
				        GByteArray *bytes, int truncated)
{
    MAIL_ATTACHMENT *att = g_new0(MAIL_ATTACHMENT, 1);
    SHA256_SUM *sum = sha256_new();

    att->filename = attachment_clean(filename);
    att->content_type = g_ascii_strdown(content_type, -1);
    att->disposition = disposition && *disposition ?
	g_ascii_strdown(disposition, -1) : NULL;
    att->content_id = attachment_strip_brackets(content_id);
    att->origin = g_strdup(origin);
    att->truncated = truncated;
    att->size = bytes->len;
    sha256_update(sum, bytes->data, bytes->len);
    sha256_finish(sum, att->sha256);
    att->data = g_byte_array_free(bytes, FALSE);
    g_ptr_array_add(mail->attachments, att);
    return (att);
}

/* attachment_is_tnef - is a part an Outlook winmail.dat */

static int attachment_is_tnef(GMimePart *part, const char *filename)
{
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

    return (g_mime_content_type_is_type(ct, "application", "ms-tnef")
	    || g_mime_content_type_is_type(ct, "application", "vnd.ms-tnef")
	    || (filename && g_ascii_strcasecmp(filename, "winmail.dat") == 0));
}

/* attachment_add_part - append a MIME leaf part */

void    attachment_add_part(MAIL *mail, GMimePart *part, const char *origin)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    char   *filename = header_filename(mail, obj);
    char   *type = g_mime_content_type_get_mime_type(
				        g_mime_object_get_content_type(obj));
    int     truncated;
    GByteArray *bytes = attachment_decode(mail, part, &truncated);

    if (attachment_is_tnef(part, filename) && !truncated) {
	if (bytes->len > mail->limits.max_tnef_bytes)
	    mail->bounds |= MAIL_BOUND_TNEF;
	else if (tnef_expand(mail, bytes->data, bytes->len) == 0) {
	    g_byte_array_free(bytes, TRUE);
	    g_free(type);
	    g_free(filename);
	    return;
	} else
	    mail->defects |= MAIL_DEFECT_TNEF;
    }
    attachment_add(mail, filename, type, g_mime_object_get_disposition(obj),
		   g_mime_object_get_content_id(obj), origin, bytes, truncated);
    g_free(type);
    g_free(filename);
}

/* attachment_add_message - append a forwarded message/rfc822 part */

void    attachment_add_message(MAIL *mail, GMimeMessagePart *part)
{
    GMimeObject *obj = GMIME_OBJECT(part);
    GMimeMessage *inner = g_mime_message_part_get_message(part);
    GByteArray *bytes = g_byte_array_new();
    MAIL_ATTACHMENT *att;
    int     truncated = 0;
    char   *filename = header_filename(mail, obj);
    if (inner != NULL) {
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(bytes);

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	g_object_unref(mem);
	truncated = attachment_budget(mail, bytes);
    }
    att = attachment_add(mail, filename, "message/rfc822",
			 g_mime_object_get_disposition(obj),
			 g_mime_object_get_content_id(obj), "rfc822", bytes, truncated);
    g_free(filename);
    if (inner != NULL) {
	/* The first instances, decoded as the message's own: header.c. */
	char   *subject = header_text(mail, GMIME_OBJECT(inner), "Subject");
	GArray *addrs = g_array_new(FALSE, FALSE, sizeof(MAIL_ADDRESS));

	att->message_subject = attachment_clean(subject);
	g_free(subject);
	header_addresses(mail, GMIME_OBJECT(inner), "From", addrs, 0);
	if (addrs->len > 0)
	    att->message_from = g_strdup(g_array_index(addrs, MAIL_ADDRESS, 0).address);
	address_free(addrs);
    }
}

/* attachment_free - free one attachment */

void    attachment_free(MAIL_ATTACHMENT *att)
{
    g_free(att->filename);
    g_free(att->content_type);
    g_free(att->disposition);
    g_free(att->content_id);
    g_free(att->origin);
    g_free(att->data);
    g_free(att->message_subject);
    g_free(att->message_from);
    g_free(att);
}
