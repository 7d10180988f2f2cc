/*++
/* NAME
/*	loop 3
/* SUMMARY
/*	the headers that tell automated mail from people
/* SYNOPSIS
/*	#include <parser/mail_impl.h>
/*
/*	void	loop_collect(MAIL *mail, GMimeObject *top)
/* DESCRIPTION
/*	loop_collect() copies Auto-Submitted, Precedence, List-Id,
/*	List-Unsubscribe, X-Auto-Response-Suppress, X-Loop and X-Spam-Flag
/*	of the top-level header into mail->loop and derives what they say
/*	(RFC 3834 section 2, and the practice of Exchange and list
/*	managers, and out-of-office subjects of clients that send no
/*	Auto-Submitted). Call it after bounce_detect(): a bounce suppresses
/*	automatic answers too. With mail->options.spam_header it also reads
/*	the verdict of the site's content filter (mail.h, MAIL_SPAM).
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* loop_header - a cleaned copy of one header value, owned by mail */

static const char *loop_header(MAIL *mail, GMimeObject *top, const char *name)
{
    const char *raw = g_mime_object_get_header(top, name);
    char   *v;

    if (raw == NULL)
	return (NULL);
    v = charset_clean_utf8(raw, MIN(strlen(raw), mail->limits.max_header_bytes),
			   &mail->defects);
    g_strstrip(v);
    g_ptr_array_add(mail->loop_strings, v);
    return (v);
}

/* loop_word_is - does a header value start with one of the words */

static int loop_word_is(const char *value, const char *const *words)
{
    if (value == NULL)
	return (0);
    for (; *words; words++) {
	size_t  n = strlen(*words);

	if (g_ascii_strncasecmp(value, *words, n) == 0
	    && (value[n] == 0 || value[n] == ';' || value[n] == ','
		|| g_ascii_isspace(value[n])))
	    return (1);
    }
    return (0);
}

/*
 * Subjects of out-of-office answers that carry no Auto-Submitted (Outlook,
 * Apple Mail, webmailers), matched at the start, case-insensitively.
 */
static const char *const loop_autoreply_subjects[] = {
    "auto reply", "autoreply", "automatic reply", "auto-reply",
    "autosvar", "automatische antwort", "abwesenheitsnotiz",
    "réponse automatique", "respuesta automática", "risposta automatica",
    "resposta automática", "automatisch antwoord", "odpowiedź automatyczna",
    "автоответ", "out of office", "out of the office", "自動返信", "自动回复",
    NULL,
};

/* loop_autoreply_subject - does a subject announce an automatic answer */

static int loop_autoreply_subject(const char *subject)
{
    for (const char *const *sp = loop_autoreply_subjects; *sp; sp++)
	if (g_ascii_strncasecmp(subject, *sp, strlen(*sp)) == 0)
	    return (1);
    return (0);
}

/*
 * The content filters' verdict headers, and the values that mean spam:
 * SpamAssassin's X-Spam-Flag: YES and X-Spam-Status: Yes, score=...,
 * rspamd's X-Spam: Yes and X-Rspamd-Action (what it would have done).
 */
static const char *const loop_yes[] = {"yes", NULL};
static const char *const loop_rspamd_spam[] = {
    "add header", "rewrite subject", "soft reject", "reject", NULL,
};
static const struct {
    const char *name;
    const char *const *spam;
}       loop_filters[] = {
    {"X-Spam-Flag", loop_yes},
    {"X-Spam-Status", loop_yes},
    {"X-Spam", loop_yes},
    {"X-Rspamd-Action", loop_rspamd_spam},
    {NULL, NULL},
};

/* loop_filter - the index of a known verdict header, or -1 */

static int loop_filter(const char *name)
{
    for (int i = 0; name && loop_filters[i].name; i++)
	if (g_ascii_strcasecmp(name, loop_filters[i].name) == 0)
	    return (i);
    return (-1);
}

/* mail_spam_header_name - the canonical name of a known verdict header */

const char *mail_spam_header_name(const char *name)
{
    int     i = loop_filter(name);

    return (i < 0 ? NULL : loop_filters[i].name);
}

/* mail_spam_verdict_name - the word for a verdict */

const char *mail_spam_verdict_name(MAIL_SPAM verdict)
{
    static const char *const names[] = {"unchecked", "absent", "clean", "spam", "doubtful"};

    return (names[verdict]);
}

/* loop_spam_verdict - what the site's filter header says, read once */

static MAIL_SPAM loop_spam_verdict(GMimeObject *top, int filter)
{
    GMimeHeaderList *list = g_mime_object_get_header_list(top);
    int     count = g_mime_header_list_get_count(list), seen = 0;
    const char *value = NULL;

    for (int i = 0; i < count; i++) {
	GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

	if (g_ascii_strcasecmp(g_mime_header_get_name(h), loop_filters[filter].name) == 0
	    && seen++ == 0)
	    value = g_mime_header_get_value(h);
    }
    if (seen == 0)
	return (MAIL_SPAM_ABSENT);
    if (seen > 1)
	return (MAIL_SPAM_DOUBTFUL);
    value = value ? value + strspn(value, " \t") : "";
    return (loop_word_is(value, loop_filters[filter].spam) ? MAIL_SPAM_YES : MAIL_SPAM_CLEAN);
}

/* loop_collect - copy the loop headers and derive the flags */

void    loop_collect(MAIL *mail, GMimeObject *top)
{
    static const char *const bulk[] = {"bulk", "list", "junk", "auto_reply", NULL};
    static const char *const no[] = {"no", NULL};
    MAIL_LOOP *lp = &mail->loop;
    int     filter;

    lp->auto_submitted = loop_header(mail, top, "Auto-Submitted");
    lp->precedence = loop_header(mail, top, "Precedence");
    lp->list_id = loop_header(mail, top, "List-Id");
    lp->list_unsubscribe = loop_header(mail, top, "List-Unsubscribe");
    lp->x_auto_response_suppress = loop_header(mail, top, "X-Auto-Response-Suppress");
    lp->x_loop = loop_header(mail, top, "X-Loop");
    lp->x_spam_flag = loop_header(mail, top, "X-Spam-Flag");

    lp->is_auto_submitted = lp->auto_submitted != NULL
	&& *lp->auto_submitted && !loop_word_is(lp->auto_submitted, no);
    lp->is_bulk = loop_word_is(lp->precedence, bulk)
	|| lp->list_id != NULL || lp->list_unsubscribe != NULL;
    lp->is_spam = loop_word_is(lp->x_spam_flag, loop_yes);
    lp->is_auto_reply = g_mime_object_get_header(top, "X-Autoreply") != NULL
	|| g_mime_object_get_header(top, "X-Autorespond") != NULL
	|| loop_autoreply_subject(mail->subject);
    /* Exchange: "All", "OOF", "AutoReply" ask not to be answered. */
    lp->suppress_autoreply = lp->is_auto_submitted || lp->is_bulk
	|| lp->is_auto_reply
	|| lp->is_spam || lp->x_loop != NULL || mail->bounce.is_bounce
	|| (lp->x_auto_response_suppress != NULL
	    && (strcasestr(lp->x_auto_response_suppress, "all") != NULL
		|| strcasestr(lp->x_auto_response_suppress, "autoreply") != NULL
		|| strcasestr(lp->x_auto_response_suppress, "oof") != NULL));
    if ((filter = loop_filter(mail->options.spam_header)) >= 0) {
	lp->spam_header = loop_filters[filter].name;
	lp->spam_verdict = loop_spam_verdict(top, filter);
    }
}
