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
/*	automatic answers too.
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
	    && (value[n] == 0 || value[n] == ';' || g_ascii_isspace(value[n])))
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

/* loop_collect - copy the loop headers and derive the flags */

void    loop_collect(MAIL *mail, GMimeObject *top)
{
    static const char *const bulk[] = {"bulk", "list", "junk", "auto_reply", NULL};
    static const char *const no[] = {"no", NULL};
    static const char *const yes[] = {"yes", NULL};
    MAIL_LOOP *lp = &mail->loop;

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
    lp->is_spam = loop_word_is(lp->x_spam_flag, yes);
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
}
