/*++
/* NAME
/*	mail 3
/* SUMMARY
/*	parse one message with gmime into a MAIL object
/* DESCRIPTION
/*	See mail.h. This module holds the life cycle and the accessors;
/*	the work is done by one module per concept (mime_walk, charset,
/*	address, msgid, subject, loop, bounce, html_text, flowed,
/*	reply_strip, attachment, tnef, mail_json).
/*--*/

/* System library. */
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* External libraries. */
#include <libxml/parser.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define MAIL_MAX_REFERENCES	500
#define MAIL_GARBAGE_SCAN	8192	/* look for garbage this far */
#define MAIL_GARBAGE_LINES	16

#define MAIL_HINT_SCAN		65536	/* look for a charset this far */

/* mail_charset_hint - the body's charset when the header has raw 8-bit */

static int mail_charset_hint(const char *data, size_t len, char *buf, size_t size)
{
    size_t  scan = MIN(len, MAIL_HINT_SCAN);
    const char *end = data + scan;
    const char *p;
    int     eight_bit = 0;
    size_t  n = 0;

    /*
     * A raw 8-bit header carries no charset label. Clients that write one
     * write it in the charset of their text, which the first charset=
     * parameter names. Only headers with 8-bit bytes pay for the look.
     */
    for (p = data; p < end && !(p[0] == '\n' && p + 1 < end && (p[1] == '\n'
				      || (p[1] == '\r' && p + 2 < end && p[2] == '\n'))); p++)
	if (*p & 0x80)
	    eight_bit = 1;
    if (!eight_bit)
	return (0);
    for (p = data; p + 8 < end; p++) {
	if (g_ascii_strncasecmp(p, "charset=", 8) != 0)
	    continue;
	p += 8;
	if (*p == '"')
	    p++;
	while (p < end && n < size - 1 && (g_ascii_isalnum(*p) || strchr("-_:.", *p)))
	    buf[n++] = *p++;
	buf[n] = 0;
	break;
    }
    return (n > 0 && g_ascii_strcasecmp(buf, "utf-8") != 0
	    && g_ascii_strcasecmp(buf, "us-ascii") != 0
	    && g_ascii_strcasecmp(buf, "iso-8859-1") != 0);
}

/* mail_parser_init - initialize gmime and libxml2 once per process */

void    mail_parser_init(void)
{
    g_mime_init();
    xmlInitParser();
}

/* mail_limits_default - the bounds used when the config says nothing */

void    mail_limits_default(MAIL_LIMITS *limits)
{
    limits->max_depth = 64;
    limits->max_parts = 2000;
    limits->max_headers = 2000;
    limits->max_header_bytes = 64 * 1024;
    limits->max_decoded_bytes = 64 * 1024 * 1024;
    limits->max_tnef_bytes = 32 * 1024 * 1024;
}

/* mail_options_default - the site options used when the config says nothing */

void    mail_options_default(MAIL_OPTIONS *options)
{
    options->tag_format = "[#NUMBER]";
    options->reply_marker = NULL;
    options->spam_header = NULL;
}

/* mail_header_text - a header value cut to the bound, clean UTF-8 */

static char *mail_header_text(MAIL *mail, const char *value)
{
    size_t  len;

    if (value == NULL)
	return (NULL);
    len = strlen(value);
    if (len > mail->limits.max_header_bytes) {
	/* Cut at a character boundary. */
	const char *end = g_utf8_find_prev_char(value, value + mail->limits.max_header_bytes + 1);

	len = end ? (size_t) (end - value) : 0;
	mail->bounds |= MAIL_BOUND_HEADER_BYTES;
    }
    return (charset_clean_utf8(value, len, &mail->defects));
}


/* first_language - the primary subtag of a header's first language, as in
 * "de" for "de-CH, en;q=0.8", lower case; NULL when there is none */

static char *first_language(const char *value)
{
    size_t  len = 0;

    if (value == NULL)
	return (NULL);
    while (*value == ' ' || *value == '\t')
	value++;
    while (g_ascii_isalpha(value[len]) && len < 8)
	len++;
    if (len < 2 || len > 3 || g_ascii_isalpha(value[len]))
	return (NULL);
    return (g_ascii_strdown(value, (gssize) len));
}

/* mail_headers - identity, threading and address fields */

static void mail_headers(MAIL *mail, GMimeMessage *msg)
{
    GMimeObject *obj = GMIME_OBJECT(msg);
    static const char *const fields[MAIL_ADDR_FIELD_COUNT] = {
	"From", "Sender", "Reply-To", "To", "Cc",
    };
    const char *refs;
    char   *v;

    mime_headers_check(mail, obj);
    /* The first instance of each field counts: see header.c. */
    if ((v = header_first(obj, "Message-ID")) != NULL) {
	char   *id = g_mime_utils_decode_message_id(v);

	mail->message_id = mail_header_text(mail, id);
	g_free(id);
	g_free(v);
    }
    g_free(mail->subject);
    v = header_text(mail, obj, "Subject");
    mail->subject = mail_header_text(mail, v);
    g_free(v);
    if (mail->subject == NULL)
	mail->subject = g_strdup("");
    if ((v = mail_header_text(mail, g_mime_object_get_header(obj, "In-Reply-To"))) != NULL) {
	mail->in_reply_to = msgid_first(v);
	g_free(v);
    }
    if ((refs = g_mime_object_get_header(obj, "References")) != NULL) {
	v = mail_header_text(mail, refs);
	g_ptr_array_free(mail->references, TRUE);
	mail->references = msgid_list(v, MAIL_MAX_REFERENCES);
	g_free(v);
    }
    if ((v = mail_header_text(mail, g_mime_object_get_header(obj, "Thread-Index"))) != NULL)
	mail->thread_index = g_strstrip(v);
    /* gmime keeps Content-* fields on the message's top MIME part. */
    mail->language = first_language(g_mime_object_get_header(obj, "Content-Language"));
    if (mail->language == NULL && g_mime_message_get_mime_part(msg) != NULL)
	mail->language = first_language(g_mime_object_get_header(
				  g_mime_message_get_mime_part(msg), "Content-Language"));
    if (mail->language == NULL)
	mail->language = first_language(g_mime_object_get_header(obj, "Accept-Language"));
    v = header_first(obj, "Date");
    msgid_date(mail, v);
    g_free(v);
    for (int f = 0; f < MAIL_ADDR_FIELD_COUNT; f++)
	header_addresses(mail, obj, fields[f], mail->addresses[f], f == MAIL_ADDR_FROM);
}

/* mail_header_line - does a line start a header field ("Name:") */

static int mail_header_line(const char *p, const char *end)
{
    const char *q = p;

    while (q < end && *q > ' ' && *q < 0x7f && *q != ':')
	q++;
    if (q == p)
	return (0);
    while (q < end && (*q == ' ' || *q == '\t'))
	q++;
    return (q < end && *q == ':');
}

/* mail_skip_garbage - bytes before the header block to skip, or 0 */

static size_t mail_skip_garbage(const char *data, size_t len)
{
    const char *end = data + MIN(len, MAIL_GARBAGE_SCAN);
    const char *p = data;
    const char *nl;
    int     from_line = 0;

    /*
     * A byte order mark, blank lines and one mbox "From " line, looked
     * for in the first kilobytes only, and skipped only when a header
     * field follows them: a message may legally start with its body.
     */
    for (int lines = 0; p < end && lines < MAIL_GARBAGE_LINES; lines++) {
	const char *q;

	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
	    p += 3;
	    continue;
	}
	if ((nl = memchr(p, '\n', end - p)) == NULL)
	    break;
	for (q = p; q < nl && (*q == ' ' || *q == '\t' || *q == '\r'); q++)
	     /* void */ ;
	if (q == nl) {
	    p = nl + 1;
	} else if (!from_line && nl - p > 5 && memcmp(p, "From ", 5) == 0
		   && !mail_header_line(p, nl)) {
	    from_line = 1;
	    p = nl + 1;
	} else {
	    break;
	}
    }
    return (p > data && mail_header_line(p, end) ? (size_t) (p - data) : 0);
}

/* mail_new - an empty MAIL with the given bounds and options */

static MAIL *mail_new(const MAIL_LIMITS *limits, const MAIL_OPTIONS *options)
{
    MAIL   *mail = g_new0(MAIL, 1);

    if (limits)
	mail->limits = *limits;
    else
	mail_limits_default(&mail->limits);
    if (mail->limits.max_tnef_bytes == 0)	/* a caller of the first API */
	mail->limits.max_tnef_bytes = 32 * 1024 * 1024;
    if (options)
	mail->options = *options;
    else
	mail_options_default(&mail->options);
    mail->subject = g_strdup("");
    mail->date = -1;
    mail->references = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(mail->references, NULL);
    for (int f = 0; f < MAIL_ADDR_FIELD_COUNT; f++)
	mail->addresses[f] = g_array_new(FALSE, FALSE, sizeof(MAIL_ADDRESS));
    mail->loop_strings = g_ptr_array_new_with_free_func(g_free);
    mail->bounce_strings = g_ptr_array_new_with_free_func(g_free);
    mail->attachments = g_ptr_array_new_with_free_func((GDestroyNotify) attachment_free);
    mail->text_source = "none";
    mail->duplicates = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(mail->duplicates, NULL);
    mail->defect_names = g_ptr_array_new_with_free_func(g_free);
    return (mail);
}

/* mail_construct - let gmime parse bytes in place */

static GMimeMessage *mail_construct(const char *data, size_t len,
				            GMimeParserOptions *popts,
				            GByteArray **view)
{
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;

    /* Let gmime read the caller's bytes in place: its parts refer to
     * ranges of the stream, so the input is not copied. gmime only
     * reads from the array; mail_release() hands it back. */
    *view = g_byte_array_new_take((guint8 *) data, len);
    stream = g_mime_stream_mem_new_with_byte_array(*view);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    parser = g_mime_parser_new_with_stream(stream);
    msg = g_mime_parser_construct_message(parser, popts);
    g_object_unref(parser);
    g_object_unref(stream);
    return (msg);
}

/* mail_release - free what mail_construct() made; the bytes stay */

static void mail_release(GMimeMessage *msg, GByteArray *view, const char *data)
{
    guint8 *back;

    if (msg != NULL)
	g_object_unref(msg);
    /* The bytes are the caller's: take them back, then free the array. */
    back = g_byte_array_steal(view, NULL);
    g_assert(back == (const guint8 *) data);
    g_byte_array_unref(view);
}

/* mail_finish_defects - the names of the defects, for JSON and the store */

static void mail_finish_defects(MAIL *mail)
{
    for (unsigned bit = 1; bit && bit <= mail->defects; bit <<= 1)
	if ((mail->defects & bit) && mail_defect_name(bit) != NULL)
	    g_ptr_array_add(mail->defect_names, g_strdup(mail_defect_name(bit)));
    for (guint i = 0; i + 1 < mail->duplicates->len; i++)
	g_ptr_array_add(mail->defect_names, g_strdup_printf("duplicate_header:%s",
				   (char *) g_ptr_array_index(mail->duplicates, i)));
    g_ptr_array_add(mail->defect_names, NULL);
}

/* mail_parse_bytes_with - parse a message held in memory */

MAIL   *mail_parse_bytes_with(const char *data, size_t len, const MAIL_LIMITS *limits,
			              const MAIL_OPTIONS *options)
{
    MAIL   *mail = mail_new(limits, options);
    GMimeParserOptions *popts = g_mime_parser_options_new();
    GMimeMessage *msg;
    GByteArray *view;
    char   *lf_copy = NULL;
    char   *ct_copy = NULL;
    size_t  skip;

    /* Old Mac mail ends lines with CR alone; gmime knows LF and CRLF. */
    if (len > 0 && memchr(data, '\n', MIN(len, 65536)) == NULL
	&& memchr(data, '\r', MIN(len, 65536)) != NULL) {
	lf_copy = g_memdup2(data, len);
	for (size_t i = 0; i < len; i++)
	    if (lf_copy[i] == '\r')
		lf_copy[i] = '\n';
	data = lf_copy;
    }
    /* A byte order mark, a blank line or an mbox "From " line before
     * the header: gmime would find no message, or no header. The bytes
     * stored and digested stay the caller's, garbage included. */
    if ((skip = mail_skip_garbage(data, len)) > 0) {
	data += skip;
	len -= skip;
	mail->defects |= MAIL_DEFECT_LEADING_GARBAGE;
    }
    {
	char    hint[64];
	const char *fallback[4] = {"UTF-8", "windows-1252", NULL, NULL};

	if (mail_charset_hint(data, len, hint, sizeof(hint))) {
	    fallback[1] = hint;
	    fallback[2] = "windows-1252";
	}
	g_mime_parser_options_set_fallback_charsets(popts, fallback);
    }
    g_mime_parser_options_set_allow_addresses_without_domain(popts, TRUE);
    mail->popts = popts;
    msg = mail_construct(data, len, popts, &view);
    if (msg != NULL) {
	header_duplicates(mail, msg);
	/* A second Content-Type on top: gmime built the entity the last
	 * one describes; parse again, with the later ones renamed. */
	if ((ct_copy = header_neutralize(msg, data, len)) != NULL) {
	    GByteArray *view2;
	    GMimeMessage *again = mail_construct(ct_copy, len, popts, &view2);

	    if (again != NULL) {
		mail_release(msg, view, data);
		msg = again;
		view = view2;
		data = ct_copy;
	    } else
		mail_release(NULL, view2, ct_copy);
	}
    }
    if (msg != NULL) {
	mail_headers(mail, msg);
	mail->subject_normalized = subject_normalize(mail->subject,
						     mail->options.tag_format);
	mail->ticket_tag = subject_ticket_tag(mail->subject, mail->options.tag_format);
	mime_walk(mail, msg);
	bounce_detect(mail, msg);
	loop_collect(mail, GMIME_OBJECT(msg));
    } else {
	mail->defects |= MAIL_DEFECT_NO_MESSAGE;
	mail->subject_normalized = g_strdup("");
	mail->text = g_strdup("");
    }
    mail->reply_text = reply_strip(mail->text, mail->options.reply_marker);
    mail_release(msg, view, data);
    mail_finish_defects(mail);
    /* Options are borrowed for the parse only. */
    mail->options.tag_format = NULL;
    mail->options.reply_marker = NULL;
    mail->options.spam_header = NULL;
    mail->popts = NULL;
    g_mime_parser_options_free(popts);
    g_free(ct_copy);
    g_free(lf_copy);
    return (mail);
}

/* mail_parse_bytes - parse a message held in memory, default options */

MAIL   *mail_parse_bytes(const char *data, size_t len, const MAIL_LIMITS *limits)
{
    return (mail_parse_bytes_with(data, len, limits, NULL));
}

/* mail_parse_fd_with - parse a message read from a descriptor */

MAIL   *mail_parse_fd_with(int fd, const MAIL_LIMITS *limits, const MAIL_OPTIONS *options)
{
    GByteArray *buf;
    char    chunk[65536];
    ssize_t n;
    MAIL   *mail;
    struct stat st;
    off_t   off;

    /* A spool or temp file is mapped, not copied: the daemon's messages
     * may be large, and gmime keeps its own copy of what it needs. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
	&& (off = lseek(fd, 0, SEEK_CUR)) >= 0 && st.st_size > off) {
	void   *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (map != MAP_FAILED) {
	    mail = mail_parse_bytes_with((const char *) map + off, st.st_size - off,
					 limits, options);
	    munmap(map, st.st_size);
	    return (mail);
	}
    }
    buf = g_byte_array_new();
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
	g_byte_array_append(buf, (guint8 *) chunk, (guint) n);
    mail = mail_parse_bytes_with((const char *) buf->data, buf->len, limits, options);
    g_byte_array_free(buf, TRUE);
    return (mail);
}

/* mail_parse_fd - parse a message read from a descriptor, default options */

MAIL   *mail_parse_fd(int fd, const MAIL_LIMITS *limits)
{
    return (mail_parse_fd_with(fd, limits, NULL));
}

/* mail_free - release a MAIL */

void    mail_free(MAIL *mail)
{
    if (mail == NULL)
	return;
    g_free(mail->message_id);
    g_free(mail->subject);
    g_free(mail->subject_normalized);
    g_free(mail->ticket_tag);
    g_free(mail->in_reply_to);
    g_ptr_array_free(mail->references, TRUE);
    g_free(mail->thread_index);
    g_free(mail->language);
    g_free(mail->date_text);
    for (int f = 0; f < MAIL_ADDR_FIELD_COUNT; f++)
	address_free(mail->addresses[f]);
    g_ptr_array_free(mail->loop_strings, TRUE);
    g_ptr_array_free(mail->bounce_strings, TRUE);
    if (mail->plain)
	g_string_free(mail->plain, TRUE);
    g_free(mail->html);
    g_free(mail->text);
    g_free(mail->reply_text);
    g_ptr_array_free(mail->attachments, TRUE);
    g_ptr_array_free(mail->duplicates, TRUE);
    g_ptr_array_free(mail->defect_names, TRUE);
    g_free(mail);
}

/* mail_message_id - Message-ID without <>, or NULL */

const char *mail_message_id(const MAIL *mail)
{
    return (mail->message_id);
}

/* mail_subject - decoded subject, "" when none */

const char *mail_subject(const MAIL *mail)
{
    return (mail->subject);
}

/* mail_from_address - the first From address, or NULL */

const char *mail_from_address(const MAIL *mail)
{
    GArray *a = mail->addresses[MAIL_ADDR_FROM];

    return (a->len ? g_array_index(a, MAIL_ADDRESS, 0).address : NULL);
}

/* mail_from_name - the display name of the first From address, or NULL */

const char *mail_from_name(const MAIL *mail)
{
    GArray *a = mail->addresses[MAIL_ADDR_FROM];

    return (a->len ? g_array_index(a, MAIL_ADDRESS, 0).name : NULL);
}

/* mail_addresses - the mailboxes of one address header */

size_t  mail_addresses(const MAIL *mail, MAIL_ADDR_FIELD field, const MAIL_ADDRESS **vec)
{
    GArray *a = mail->addresses[field];

    *vec = (const MAIL_ADDRESS *) a->data;
    return (a->len);
}

/* mail_in_reply_to - the first In-Reply-To id, or NULL */

const char *mail_in_reply_to(const MAIL *mail)
{
    return (mail->in_reply_to);
}

/* mail_references - the References ids, NULL-terminated */

const char *const *mail_references(const MAIL *mail, size_t *count)
{
    if (count)
	*count = mail->references->len - 1;
    return ((const char *const *) mail->references->pdata);
}

/* mail_language - the sender's language by Content-Language or
 * Accept-Language, or NULL */

const char *mail_language(const MAIL *mail)
{
    return (mail->language);
}

/* mail_thread_index - Outlook's Thread-Index, or NULL */

const char *mail_thread_index(const MAIL *mail)
{
    return (mail->thread_index);
}

/* mail_date - Date as epoch seconds and zone, or -1 */

long long mail_date(const MAIL *mail, int *tz_minutes)
{
    if (tz_minutes)
	*tz_minutes = mail->date_tz;
    return (mail->date);
}

/* mail_date_text - Date as ISO 8601 with the sender's zone, or NULL */

const char *mail_date_text(const MAIL *mail)
{
    return (mail->date_text);
}

/* mail_subject_normalized - subject without prefixes and tags */

const char *mail_subject_normalized(const MAIL *mail)
{
    return (mail->subject_normalized);
}

/* mail_ticket_tag - digits of the subject's ticket tag, or NULL */

const char *mail_ticket_tag(const MAIL *mail)
{
    return (mail->ticket_tag);
}

/* mail_loop - the mail-loop facts */

const MAIL_LOOP *mail_loop(const MAIL *mail)
{
    return (&mail->loop);
}

/* mail_bounce - the delivery status facts */

const MAIL_BOUNCE *mail_bounce(const MAIL *mail)
{
    return (&mail->bounce);
}

/* mail_text - the full text of the body */

const char *mail_text(const MAIL *mail)
{
    return (mail->text);
}

/* mail_reply_text - the text without quoted history and signature */

const char *mail_reply_text(const MAIL *mail)
{
    return (mail->reply_text);
}

/* mail_html - the HTML body in UTF-8, or NULL */

const char *mail_html(const MAIL *mail)
{
    return (mail->html);
}

/* mail_text_source - "plain", "html" or "none" */

const char *mail_text_source(const MAIL *mail)
{
    return (mail->text_source);
}

/* mail_attachment_count - number of attachments */

size_t  mail_attachment_count(const MAIL *mail)
{
    return (mail->attachments->len);
}

/* mail_attachment - one attachment, or NULL past the end */

const MAIL_ATTACHMENT *mail_attachment(const MAIL *mail, size_t i)
{
    return (i < mail->attachments->len ? g_ptr_array_index(mail->attachments, i) : NULL);
}

/* mail_bounds_hit - the MAIL_BOUND_* bits reached */

unsigned mail_bounds_hit(const MAIL *mail)
{
    return (mail->bounds);
}

/* mail_defects - the MAIL_DEFECT_* bits of repaired input */

unsigned mail_defects(const MAIL *mail)
{
    return (mail->defects);
}

/* mail_duplicate_headers - the singleton fields that came twice */

const char *const *mail_duplicate_headers(const MAIL *mail, size_t *count)
{
    if (count)
	*count = mail->duplicates->len - 1;
    return ((const char *const *) mail->duplicates->pdata);
}

/* mail_defect_names - the defects by name, with the duplicated fields */

const char *const *mail_defect_names(const MAIL *mail, size_t *count)
{
    if (count)
	*count = mail->defect_names->len - 1;
    return ((const char *const *) mail->defect_names->pdata);
}

/* mail_defect_name - the name of one MAIL_DEFECT_* bit */

const char *mail_defect_name(unsigned bit)
{
    switch (bit) {
    case MAIL_DEFECT_NO_MESSAGE:
	return ("no_message");
    case MAIL_DEFECT_CHARSET:
	return ("charset");
    case MAIL_DEFECT_INVALID_BYTES:
	return ("invalid_bytes");
    case MAIL_DEFECT_NUL:
	return ("nul");
    case MAIL_DEFECT_8BIT_HEADER:
	return ("8bit_header");
    case MAIL_DEFECT_TNEF:
	return ("tnef");
    case MAIL_DEFECT_DUPLICATE_HEADER:
	return ("duplicate_header");
    case MAIL_DEFECT_FROM_UNBRACKETED:
	return ("from_unbracketed");
    case MAIL_DEFECT_LEADING_GARBAGE:
	return ("leading_garbage");
    default:
	return (NULL);
    }
}

/* mail_bound_name - the name of one MAIL_BOUND_* bit */

const char *mail_bound_name(unsigned bit)
{
    switch (bit) {
    case MAIL_BOUND_DEPTH:
	return ("depth");
    case MAIL_BOUND_PARTS:
	return ("parts");
    case MAIL_BOUND_HEADERS:
	return ("headers");
    case MAIL_BOUND_HEADER_BYTES:
	return ("header_bytes");
    case MAIL_BOUND_DECODED:
	return ("decoded_bytes");
    case MAIL_BOUND_TNEF:
	return ("tnef_bytes");
    default:
	return (NULL);
    }
}
