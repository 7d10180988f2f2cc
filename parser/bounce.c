/*++
/* NAME
/*	bounce 3
/* SUMMARY
/*	recognize delivery status notifications and what they report
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	void	bounce_detect(MAIL *mail, GMimeMessage *msg)
/* DESCRIPTION
/*	bounce_detect() sets mail->bounce. A message is a DSN when its
/*	top level is multipart/report with report-type=delivery-status
/*	(RFC 3464). It is a bounce by its looks when it comes from
/*	MAILER-DAEMON or postmaster, carries X-Failed-Recipients (Exim),
/*	or starts its subject like MTAs without DSN support do while it
/*	answers nothing (no In-Reply-To) and shows traces of a mail
/*	system: an SMTP reply or status code, Received: or Message-ID:
/*	lines, the returned message's headers, or a returned message part.
/*
/*	For a bounce, the failed recipient comes from the DSN's
/*	Final-Recipient (else Original-Recipient), from X-Failed-Recipients,
/*	from the "<user@domain>:" line that Postfix and qmail write, or
/*	from the first address a few lines below "the following
/*	recipients", "was not delivered to" and similar phrases;
/*	the original Message-ID from the returned message/rfc822 or
/*	text/rfc822-headers part, else from a "Message-ID:" line in the
/*	text. Call it after mime_walk(), which provides mail->text.
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

#define BOUNCE_MAX_DEPTH	4	/* DSN parts sit near the top */

/* Subjects of bounces from MTAs that send no multipart/report. */
static const char *const bounce_subjects[] = {
    "undeliverable", "undelivered mail", "delivery status notification",
    "mail delivery failed", "returned mail", "failure notice",
    "delivery failure", "delivery notification", "mail system error",
    "non remis", "unzustellbar", "nondeliverable", "message not delivered",
    "delivery has failed", "could not be delivered",
    NULL,
};

/* Phrases after which the failed recipients are listed. */
static const char *const bounce_recipient_intro[] = {
    "following recipient", "following address", "following list of recipients",
    "not delivered to", "could not be delivered to", "delivery errors",
    "delivery has failed to these recipients", "did not reach the following",
    "permanent fatal errors", "undeliverable to", "failed recipient",
    "delivering your mail to", "delivery to the following",
    NULL,
};

#define BOUNCE_INTRO_LINES	6	/* look this far below an intro */

/* bounce_find_address - the first user@domain in a line, or NULL */

static char *bounce_find_address(const char *line)
{
    const char *at = strchr(line, '@');
    const char *l, *r;
    char   *raw, *addr;

    while (at != NULL) {
	for (l = at; l > line && (g_ascii_isalnum(l[-1]) || strchr("._%+-=", l[-1])); l--)
	     /* void */ ;
	for (r = at + 1; g_ascii_isalnum(*r) || *r == '.' || *r == '-'; r++)
	     /* void */ ;
	while (r > at + 1 && r[-1] == '.')
	    r--;
	if (l < at && r > at + 1 && memchr(at + 1, '.', r - at - 1)) {
	    raw = g_strndup(l, r - l);
	    addr = address_normalize(raw);
	    g_free(raw);
	    return (addr);
	}
	at = strchr(at + 1, '@');
    }
    return (NULL);
}

/* bounce_keep - remember a string owned by the bounce facts */

static const char *bounce_keep(MAIL *mail, char *s)
{
    if (s != NULL)
	g_ptr_array_add(mail->bounce_strings, s);
    return (s);
}

/* bounce_field_value - the value after "Name:" at the start of a line */

static char *bounce_field_value(const char *line, const char *name)
{
    size_t  n = strlen(name);
    const char *v;

    if (g_ascii_strncasecmp(line, name, n) != 0 || line[n] != ':')
	return (NULL);
    v = line + n + 1;
    return (g_strstrip(g_strdup(v)));
}

/* bounce_address_of - the address of "rfc822; user@domain" */

static char *bounce_address_of(char *value)
{
    char   *semi = strchr(value, ';');
    char   *addr = address_normalize(semi ? semi + 1 : value);

    g_free(value);
    return (addr);
}

/* bounce_scan_text - pick recipient, status and Message-ID from text */

static void bounce_scan_text(MAIL *mail, const char *text, int dsn_fields)
{
    MAIL_BOUNCE *b = &mail->bounce;
    char  **lines = text_lines(text);
    char   *v;
    int     intro = 0;			/* lines left below an intro phrase */

    for (char **lp = lines; *lp; lp++) {
	char   *line = g_strchomp(*lp);

	while (*line == ' ' || *line == '\t' || *line == '>')
	    line++;
	if (b->failed_recipient == NULL && intro > 0) {
	    intro--;
	    if ((v = bounce_find_address(line)) != NULL)
		b->failed_recipient = bounce_keep(mail, v);
	}
	for (const char *const *ip = bounce_recipient_intro; *ip; ip++) {
	    const char *hit = strcasestr(line, *ip);

	    if (hit == NULL || b->failed_recipient != NULL)
		continue;
	    /* The address may follow on the same line, or below. */
	    if ((v = bounce_find_address(hit + strlen(*ip))) != NULL)
		b->failed_recipient = bounce_keep(mail, v);
	    else
		intro = BOUNCE_INTRO_LINES;
	}
	if (dsn_fields) {
	    if (b->failed_recipient == NULL
		&& ((v = bounce_field_value(line, "Final-Recipient")) != NULL
		 || (v = bounce_field_value(line, "Original-Recipient")) != NULL))
		b->failed_recipient = bounce_keep(mail, bounce_address_of(v));
	    else if (b->action == NULL
		     && (v = bounce_field_value(line, "Action")) != NULL) {
		b->action = bounce_keep(mail, g_ascii_strdown(v, -1));
		g_free(v);
	    }
	    else if (b->status == NULL
		     && (v = bounce_field_value(line, "Status")) != NULL)
		b->status = bounce_keep(mail, v);
	}
	if (b->original_message_id == NULL
	    && (v = bounce_field_value(line, "Message-ID")) != NULL) {
	    b->original_message_id = bounce_keep(mail, msgid_first(v));
	    g_free(v);
	}
	/* Postfix and qmail: "<user@example.com>: host ... said: 550 ..." */
	if (b->failed_recipient == NULL && line[0] == '<') {
	    char   *close = strstr(line, ">:");

	    if (close && memchr(line, '@', close - line) && close - line < 256) {
		v = g_strndup(line, close - line + 1);
		b->failed_recipient = bounce_keep(mail, address_normalize(v));
		g_free(v);
	    }
	}
    }
    g_strfreev(lines);
}

/* bounce_part_text - decoded text of a leaf part */

static char *bounce_part_text(MAIL *mail, GMimeObject *obj)
{
    return (mime_text_of(mail, GMIME_PART(obj)));
}

/* bounce_walk - look at the report parts near the top */

static void bounce_walk(MAIL *mail, GMimeObject *obj, int depth)
{
    MAIL_BOUNCE *b = &mail->bounce;
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    if (depth > BOUNCE_MAX_DEPTH || depth > mail->limits.max_depth)
	return;
    if (GMIME_IS_MULTIPART(obj)) {
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	int     n = MIN(g_mime_multipart_get_count(mp), mail->limits.max_parts);

	for (int i = 0; i < n; i++)
	    bounce_walk(mail, g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
	GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
	const char *id;

	if (inner && b->original_message_id == NULL
	    && (id = g_mime_message_get_message_id(inner)) != NULL)
	    b->original_message_id = bounce_keep(mail,
				      charset_clean_utf8(id, strlen(id), NULL));
    } else if (GMIME_IS_PART(obj)) {
	int     status = g_mime_content_type_is_type(ct, "message", "delivery-status")
	|| g_mime_content_type_is_type(ct, "message", "global-delivery-status");
	int     headers = g_mime_content_type_is_type(ct, "text", "rfc822-headers");

	if (status || headers) {
	    char   *text = bounce_part_text(mail, obj);

	    bounce_scan_text(mail, text, status);
	    g_free(text);
	}
    }
}

/* bounce_smtp_code - does a line carry an SMTP reply or status code */

static int bounce_smtp_code(const char *line)
{
    /* "550 5.1.1 ...", "550-5.7.26", or an enhanced code "5.1.1" anywhere */
    if ((line[0] == '4' || line[0] == '5') && g_ascii_isdigit(line[1])
	&& g_ascii_isdigit(line[2]) && (line[3] == ' ' || line[3] == '-'))
	return (1);
    for (const char *p = line; *p; p++) {
	const char *q = p + 2;

	if ((p[0] != '4' && p[0] != '5') || p[1] != '.' || (p > line && g_ascii_isalnum(p[-1])))
	    continue;
	if (!g_ascii_isdigit(*q))
	    continue;
	while (g_ascii_isdigit(*q))
	    q++;
	if (*q++ != '.' || !g_ascii_isdigit(*q))
	    continue;
	while (g_ascii_isdigit(*q))
	    q++;
	if (!g_ascii_isalnum(*q) && *q != '.')
	    return (1);
    }
    return (0);
}

/* bounce_text_evidence - traces of a mail system in the text or parts */

static int bounce_text_evidence(MAIL *mail)
{
    char  **lines;
    int     found = 0;
    int     original = 0;

    for (guint i = 0; i < mail->attachments->len; i++) {
	MAIL_ATTACHMENT *att = g_ptr_array_index(mail->attachments, i);

	if (strcmp(att->content_type, "message/rfc822") == 0
	    || strcmp(att->content_type, "text/rfc822-headers") == 0
	    || strcmp(att->content_type, "message/delivery-status") == 0)
	    return (1);
    }
    lines = text_lines(mail->text);
    for (char **lp = lines; *lp && !found; lp++) {
	const char *line = *lp;

	while (*line == ' ' || *line == '\t')
	    line++;
	if (bounce_smtp_code(line)
	    || g_ascii_strncasecmp(line, "Received:", 9) == 0
	    || g_ascii_strncasecmp(line, "Message-ID:", 11) == 0
	    || (original && g_ascii_strncasecmp(line, "Subject:", 8) == 0))
	    found = 1;
	/* "Original Message:", "Message headers follow", "copy of the message" */
	if (strcasestr(line, "original message") || strcasestr(line, "headers follow")
	    || strcasestr(line, "copy of the message"))
	    original = 1;
    }
    g_strfreev(lines);
    return (found);
}

/* bounce_looks_like - a non-standard bounce by sender or subject */

static int bounce_looks_like(MAIL *mail, GMimeMessage *msg)
{
    const char *from = mail_from_address(mail);
    const char *name = mail_from_name(mail);

    if (g_mime_object_get_header(GMIME_OBJECT(msg), "X-Failed-Recipients"))
	return (1);
    if (from && (g_ascii_strncasecmp(from, "mailer-daemon@", 14) == 0
		 || g_ascii_strncasecmp(from, "postmaster@", 11) == 0
		 || g_ascii_strncasecmp(from, "post_master@", 12) == 0
		 || g_ascii_strcasecmp(from, "mailer-daemon") == 0))
	return (1);
    if (name && (strcasestr(name, "mail delivery") != NULL
		 || strcasestr(name, "mailer-daemon") != NULL))
	return (1);
    /* A person may write "Undeliverable parcel": the subject counts only
     * at the start, in no reply, with traces of a mail system inside. */
    if (mail->in_reply_to != NULL)
	return (0);
    for (const char *const *sp = bounce_subjects; *sp; sp++)
	if (g_ascii_strncasecmp(mail->subject, *sp, strlen(*sp)) == 0)
	    return (bounce_text_evidence(mail));
    return (0);
}

/* bounce_detect - set the bounce facts of a parsed message */

void    bounce_detect(MAIL *mail, GMimeMessage *msg)
{
    MAIL_BOUNCE *b = &mail->bounce;
    GMimeObject *top = g_mime_message_get_mime_part(msg);
    GMimeContentType *ct;
    const char *failed;

    if (top == NULL)
	return;
    ct = g_mime_object_get_content_type(top);
    if (g_mime_content_type_is_type(ct, "multipart", "report")) {
	const char *rt = g_mime_content_type_get_parameter(ct, "report-type");

	if (rt && (g_ascii_strcasecmp(rt, "delivery-status") == 0
		   || g_ascii_strcasecmp(rt, "global-delivery-status") == 0))
	    b->is_dsn = 1;
    }
    b->is_bounce = b->is_dsn || bounce_looks_like(mail, msg);
    if (!b->is_bounce)
	return;
    bounce_walk(mail, top, 0);
    if (b->failed_recipient == NULL
	&& (failed = g_mime_object_get_header(GMIME_OBJECT(msg),
					      "X-Failed-Recipients")) != NULL) {
	char   *first = g_strdup(failed);
	char   *comma = strchr(first, ',');

	if (comma)
	    *comma = 0;
	b->failed_recipient = bounce_keep(mail, address_normalize(first));
	g_free(first);
    }
    if (b->failed_recipient == NULL || b->original_message_id == NULL)
	bounce_scan_text(mail, mail->text, 1);
    /* A bounce quoting our own Message-ID must not report it as original. */
    if (b->original_message_id && mail->message_id
	&& strcmp(b->original_message_id, mail->message_id) == 0)
	b->original_message_id = NULL;
}
