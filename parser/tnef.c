/*++
/* NAME
/*	tnef 3
/* SUMMARY
/*	expand an Outlook winmail.dat into the files it carries
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	int	tnef_expand(MAIL *mail, const unsigned char *data, size_t len)
/* DESCRIPTION
/*	tnef_expand() reads a TNEF stream with libytnef and adds each file
/*	attachment it carries to mail with origin "tnef": its long file
/*	name (PR_ATTACH_LONG_FILENAME, 8-bit or Unicode) or else its title,
/*	a type guessed by GIO from name and content (TNEF carries none;
/*	application/octet-stream when GIO has no MIME database), and its
/*	bytes (the attachment data attribute, else PR_ATTACH_DATA_OBJ).
/*	The message body that TNEF may carry (RTF) is not extracted; the
/*	MIME body next to winmail.dat is the text a help desk uses.
/* DIAGNOSTICS
/*	tnef_expand() returns -1 when the stream is not TNEF or libytnef
/*	rejects it, and adds nothing then; 0 otherwise.
/*--*/

#include <stdio.h>				/* ytnef.h needs FILE */
#include <string.h>

#include <gio/gio.h>
#include <ytnef.h>

#include <parser/mail_impl.h>

/* tnef_name - the file name of one TNEF attachment, UTF-8, or NULL */

static char *tnef_name(Attachment *att)
{
    variableLength *v;

    if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_UNICODE, PR_ATTACH_LONG_FILENAME)))
	!= MAPI_UNDEFINED && v->size > 0 && v->data != NULL && v->data[0]) {
	/* libytnef has converted Unicode properties to UTF-8 already. */
	return (charset_clean_utf8((const char *) v->data,
				   strnlen((const char *) v->data, v->size), NULL));
    }
    if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME)))
	== MAPI_UNDEFINED || v->size <= 0 || v->data == NULL)
	v = &att->Title;
    if (v->size <= 0 || v->data == NULL)
	return (NULL);
    /* 8-bit names are in the sender's code page; windows-1252 is usual. */
    return (charset_to_utf8((const char *) v->data, strnlen((const char *) v->data,
							   v->size), NULL, NULL));
}

/* tnef_data - the bytes of one TNEF attachment */

static GByteArray *tnef_data(Attachment *att)
{
    variableLength *v = &att->FileData;
    GByteArray *bytes = g_byte_array_new();
    int     skip = 0;

    /* The attachment data attribute is the file; the MAPI property is a
     * fallback (and, as an object, starts with a 16-byte GUID). */
    if (v->data == NULL || v->size <= 0) {
	if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ)))
	    != MAPI_UNDEFINED)
	    skip = 16;
	else if ((v = MAPIFindProperty(&att->MAPI, PROP_TAG(PT_BINARY, PR_ATTACH_DATA_OBJ)))
		 == MAPI_UNDEFINED)
	    return (bytes);
    }
    if (v->data != NULL && v->size > skip)
	g_byte_array_append(bytes, v->data + skip, v->size - skip);
    return (bytes);
}

/* tnef_type - a MIME type guessed from the name and bytes */

static char *tnef_type(const char *name, GByteArray *bytes)
{
    char   *guess = g_content_type_guess(name, bytes->data, MIN(bytes->len, 4096), NULL);
    char   *type = g_content_type_get_mime_type(guess);

    g_free(guess);
    /* Without a MIME database GIO says so; keep the neutral type then. */
    if (type == NULL || strchr(type, '/') == NULL) {
	g_free(type);
	type = g_strdup("application/octet-stream");
    }
    return (type);
}

/* tnef_expand - add the files inside a winmail.dat */

int     tnef_expand(MAIL *mail, const unsigned char *data, size_t len)
{
    TNEFStruct tnef;

    if (len < 6 || len > G_MAXINT32)
	return (-1);
    TNEFInitialize(&tnef);
    tnef.Debug = 0;
    if (TNEFParseMemory((BYTE *) data, (long) len, &tnef) < 0) {
	TNEFFree(&tnef);
	return (-1);
    }
    for (Attachment *att = tnef.starting_attach.next; att != NULL; att = att->next) {
	char   *name = tnef_name(att);
	GByteArray *bytes = tnef_data(att);
	int     truncated;
	char   *type;

	if (name == NULL && bytes->len == 0) {
	    g_byte_array_free(bytes, TRUE);
	    continue;
	}
	truncated = attachment_budget(mail, bytes);
	type = tnef_type(name, bytes);
	attachment_add(mail, name, type, "attachment", NULL, "tnef", bytes, truncated);
	g_free(type);
	g_free(name);
    }
    TNEFFree(&tnef);
    return (0);
}
