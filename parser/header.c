/*++
/* NAME
/*	header 3
/* SUMMARY
/*	read the first instance of a header field, decoded
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	char	*header_first(GMimeObject *obj, const char *name)
/*
/*	void	header_duplicates(MAIL *mail, GMimeMessage *msg)
/*
/*	char	*header_neutralize(GMimeMessage *msg, const char *data,
/*				size_t len)
/*
/*	char	*header_text(MAIL *mail, GMimeObject *obj, const char *name)
/*
/*	void	header_addresses(MAIL *mail, GMimeObject *obj,
/*				const char *name, GArray *out, int recover)
/*
/*	char	*header_filename(MAIL *mail, GMimeObject *obj)
/* DESCRIPTION
/*	A message may carry a field that RFC 5322 allows once (From,
/*	Subject...) twice. gmime is not consistent about it: its subject,
/*	Message-ID and Date are the last instance, its From the addresses
/*	of all instances, and the top entity's Content-Type the last. A
/*	mail client shows the first, so the parser reads the first, here,
/*	and flags the message: DKIM signs instances from the bottom (RFC
/*	6376 5.4.2), so a From added on top of a signed message can still
/*	verify.
/*
/*	header_first() returns the unfolded raw value of the first
/*	instance of name in obj's header list, or NULL.
/*
/*	header_duplicates() records in mail each of From, Sender, To, Cc,
/*	Subject, Date, Message-ID and (on the top entity) Content-Type
/*	that msg carries more than once: MAIL_DEFECT_DUPLICATE_HEADER and
/*	the lower-case name in mail->duplicates, in that order.
/*
/*	header_neutralize() returns a copy of the len bytes of data that
/*	msg was parsed from, with the second and later Content-Type fields
/*	of the top entity renamed (the first letter becomes "X"), so that
/*	gmime, parsing the copy, builds the entity the first one
/*	describes; NULL when there is nothing to rename.
/*
/*	header_text() returns the first instance of an unstructured field
/*	(as Subject) decoded to text, or NULL; header_addresses() appends
/*	the mailboxes of the first instance of an address field to out
/*	(see address_collect()). Encoded words are joined with
/*	rfc2047_rejoin() first. With recover, a field gmime finds no
/*	mailbox in that is a display name and one bare address, as in
/*	"Jane Doe jane@example.org", gives that mailbox, as mail clients
/*	read it, and sets MAIL_DEFECT_FROM_UNBRACKETED; only exactly one
/*	word that is a valid addr-spec, among words without specials,
/*	qualifies.
/*
/*	header_filename() returns the decoded file name of a MIME entity
/*	(Content-Disposition filename, else Content-Type name; RFC 2231
/*	and RFC 2047 forms), or NULL.
/*
/*	All of them decode with mail->popts, the parse's gmime options.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define HEADER_MAX_ADDR	254		/* RFC 5321 path, less the brackets */

static const char *const singletons[] = {
    "From", "Sender", "To", "Cc", "Subject", "Date", "Message-ID", NULL,
};

/* header_first - the unfolded raw value of the first instance */

char   *header_first(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(obj);
    int     count = list ? g_mime_header_list_get_count(list) : 0;

    for (int i = 0; i < count; i++) {
	GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
	const char *raw;

	if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
	    continue;
	raw = g_mime_header_get_raw_value(h);
	return (g_mime_utils_header_unfold(raw ? raw : ""));
    }
    return (NULL);
}

/* header_note_duplicate - remember one duplicated field, once */

static void header_note_duplicate(MAIL *mail, const char *name)
{
    char   *lower = g_ascii_strdown(name, -1);

    mail->defects |= MAIL_DEFECT_DUPLICATE_HEADER;
    for (guint i = 0; i + 1 < mail->duplicates->len; i++)
	if (strcmp(g_ptr_array_index(mail->duplicates, i), lower) == 0) {
	    g_free(lower);
	    return;
	}
    /* The array ends in NULL: insert before it. */
    g_ptr_array_insert(mail->duplicates, (gint) mail->duplicates->len - 1, lower);
}

/* header_count - instances of name in a header list, within the bound */

static int header_count(MAIL *mail, GMimeHeaderList *list, const char *name)
{
    int     count = list ? g_mime_header_list_get_count(list) : 0;
    int     n = 0;

    for (int i = 0; i < count && i <= mail->limits.max_headers; i++)
	if (g_ascii_strcasecmp(g_mime_header_get_name(
			   g_mime_header_list_get_header_at(list, i)), name) == 0)
	    n++;
    return (n);
}

/* header_duplicates - flag singleton fields that occur twice */

void    header_duplicates(MAIL *mail, GMimeMessage *msg)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    GMimeObject *top = g_mime_message_get_mime_part(msg);

    for (const char *const *name = singletons; *name; name++)
	if (header_count(mail, list, *name) > 1)
	    header_note_duplicate(mail, *name);
    /* gmime keeps the Content-* fields on the top entity. */
    if (top != NULL
	&& header_count(mail, g_mime_object_get_header_list(top), "Content-Type") > 1)
	header_note_duplicate(mail, "Content-Type");
}

/* header_neutralize - a copy without the later top Content-Type fields */

char   *header_neutralize(GMimeMessage *msg, const char *data, size_t len)
{
    GMimeObject *top = g_mime_message_get_mime_part(msg);
    GMimeHeaderList *list = top ? g_mime_object_get_header_list(top) : NULL;
    int     count = list ? g_mime_header_list_get_count(list) : 0;
    int     seen = 0;
    char   *copy = NULL;

    for (int i = 0; i < count; i++) {
	GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
	gint64  off = g_mime_header_get_offset(h);

	if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Type") != 0
	    || seen++ == 0)
	    continue;
	/* Rename only what is where gmime says it found it. */
	if (off < 0 || (size_t) off + 12 > len
	    || g_ascii_strncasecmp(data + off, "Content-Type", 12) != 0)
	    continue;
	if (copy == NULL)
	    copy = g_memdup2(data, len);
	copy[off] = 'X';
    }
    return (copy);
}

/* header_decode - decode a raw unstructured value */

static char *header_decode(MAIL *mail, const char *raw)
{
    char   *joined = rfc2047_rejoin(raw, &mail->defects);
    char   *text = g_mime_utils_header_decode_text(mail->popts, joined);

    g_free(joined);
    return (text);
}

/* header_text - the first instance of an unstructured field, decoded */

char   *header_text(MAIL *mail, GMimeObject *obj, const char *name)
{
    char   *raw = header_first(obj, name);
    char   *text;

    if (raw == NULL)
	return (NULL);
    text = header_decode(mail, raw);
    g_free(raw);
    return (text);
}

/* header_is_addr_spec - is a word a plain local@domain */

static int header_is_addr_spec(const char *word)
{
    const char *at = strchr(word, '@');
    const char *p;
    size_t  label = 0;
    int     dots = 0;

    if (at == NULL || at == word || strchr(at + 1, '@') != NULL
	|| strlen(word) > HEADER_MAX_ADDR || at - word > 64)
	return (0);
    /* Local part: a dot-atom (UTF-8 allowed, RFC 6532). */
    if (word[0] == '.' || at[-1] == '.')
	return (0);
    for (p = word; p < at; p++)
	if (!(g_ascii_isalnum(*p) || (*p & 0x80) || strchr("!#$%&'*+-/=?^_`{|}~.", *p))
	    || (p[0] == '.' && p[1] == '.'))
	    return (0);
    /* Domain: two labels or more of letters, digits and inner hyphens. */
    for (p = at + 1;; p++) {
	if (*p == '.' || *p == 0) {
	    if (label == 0 || label > 63 || p[-1] == '-')
		return (0);
	    if (*p == 0)
		break;
	    dots++;
	    label = 0;
	} else if (g_ascii_isalnum(*p) || (*p & 0x80) || (*p == '-' && label > 0)) {
	    label++;
	} else {
	    return (0);
	}
    }
    return (dots > 0);
}

/* header_unbracketed - "Name addr@domain" as mail clients read it */

static void header_unbracketed(MAIL *mail, const char *raw, GArray *out)
{
    char  **words = g_strsplit_set(raw, " \t\r\n", -1);
    GString *name = g_string_new("");
    const char *addr = NULL;
    int     ok = 1;

    for (char **w = words; ok && *w; w++) {
	if (**w == 0)
	    continue;
	if (strchr(*w, '@') != NULL) {
	    ok = addr == NULL && header_is_addr_spec(*w);
	    addr = *w;
	} else if (strpbrk(*w, "<>()[]\",;:\\") != NULL) {
	    ok = 0;
	} else {
	    if (name->len)
		g_string_append_c(name, ' ');
	    g_string_append(name, *w);
	}
    }
    if (ok && addr != NULL && name->len > 0) {
	MAIL_ADDRESS ma;
	char   *text = header_decode(mail, name->str);

	ma.address = address_normalize(addr);
	ma.name = charset_clean_utf8(text, strlen(text), NULL);
	g_strstrip(ma.name);
	g_free(text);
	g_array_append_val(out, ma);
	mail->defects |= MAIL_DEFECT_FROM_UNBRACKETED;
    }
    g_string_free(name, TRUE);
    g_strfreev(words);
}

/* header_addresses - the mailboxes of the first instance of a field */

void    header_addresses(MAIL *mail, GMimeObject *obj, const char *name,
			         GArray *out, int recover)
{
    char   *raw = header_first(obj, name);
    char   *joined;
    InternetAddressList *list;
    guint   before = out->len;

    if (raw == NULL)
	return;
    joined = rfc2047_rejoin(raw, &mail->defects);
    if ((list = internet_address_list_parse(mail->popts, joined)) != NULL) {
	address_collect(out, list, MAIL_MAX_ADDRESSES);
	g_object_unref(list);
    }
    if (recover && out->len == before)
	header_unbracketed(mail, raw, out);
    g_free(joined);
    g_free(raw);
}

/* header_parameter - one parameter of the first instance of a field */

static char *header_parameter(MAIL *mail, GMimeObject *obj, const char *field,
			              const char *param)
{
    char   *raw = header_first(obj, field);
    char   *joined;
    char   *value = NULL;

    if (raw == NULL)
	return (NULL);
    joined = rfc2047_rejoin(raw, &mail->defects);
    if (g_ascii_strcasecmp(field, "Content-Disposition") == 0) {
	GMimeContentDisposition *d = g_mime_content_disposition_parse(mail->popts, joined);

	if (d != NULL) {
	    value = g_strdup(g_mime_content_disposition_get_parameter(d, param));
	    g_object_unref(d);
	}
    } else {
	GMimeContentType *ct = g_mime_content_type_parse(mail->popts, joined);

	if (ct != NULL) {
	    value = g_strdup(g_mime_content_type_get_parameter(ct, param));
	    g_object_unref(ct);
	}
    }
    g_free(joined);
    g_free(raw);
    return (value);
}

/* header_filename - the decoded file name of an entity, or NULL */

char   *header_filename(MAIL *mail, GMimeObject *obj)
{
    char   *name = header_parameter(mail, obj, "Content-Disposition", "filename");

    if (name == NULL || *name == 0) {
	g_free(name);
	name = header_parameter(mail, obj, "Content-Type", "name");
    }
    return (name);
}
