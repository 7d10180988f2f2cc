/*++
/* NAME
/*	msglog 3
/* SUMMARY
/*	the one log line per support message
/* DESCRIPTION
/*	See msglog.h. Values that come from the client (addresses, the
/*	Message-ID) are logged as received; msg_info() writes a control
/*	character in them escaped (log.h), so the line stays one line.
/*--*/

/* Global library. */
#include <milter/core/config.h>

/* Application-specific. */
#include <milter/daemon/msglog.h>

/* append_ms - " key=N.N", or " key=-" for a step that did not run */

static void append_ms(GString *line, const char *key, gint64 usec)
{
    if (usec > 0)
	g_string_append_printf(line, " %s=%.1f", key, usec / 1000.0);
    else
	g_string_append_printf(line, " %s=-", key);
}

/* append_auth - " spf=R dkim=D:R,... dmarc=R" */

static void append_auth(GString *line, const AUTH_RESULTS *auth)
{
    if (auth == NULL) {
	g_string_append(line, " spf=- dkim=- dmarc=-");
	return;
    }
    g_string_append_printf(line, " spf=%s dkim=", auth_result_name(auth->spf.result));
    if (auth->dkim->len == 0)
	g_string_append(line, "none");
    for (guint i = 0; i < auth->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(auth->dkim, i);

	g_string_append_printf(line, "%s%s:%s", i ? "," : "", sig->domain ? sig->domain : "-",
			       auth_result_name(sig->result));
    }
    g_string_append_printf(line, " dmarc=%s", auth_result_name(auth->dmarc.result));
}

/* msglog_format - the line for one message */

char   *msglog_format(const char *queue_id, const SESSION *session, const MSGLOG *log)
{
    GString *line = g_string_sized_new(256);
    const char *msgid = log->mail ? mail_message_id(log->mail) : NULL;
    guint   i, n = session->recipients->len;

    g_string_append_printf(line, "%s: ticket %s: %s (%s), from=<%s> to=", queue_id,
			   log->ticket ? log->ticket : "-", log->decision, log->rule,
			   session->sender ? session->sender : "");
    for (i = 0; i < n && i < MSGLOG_RCPTS; i++)
	g_string_append_printf(line, "%s<%s>", i ? "," : "",
			       (char *) g_ptr_array_index(session->recipients, i));
    if (n > MSGLOG_RCPTS)
	g_string_append_printf(line, ",+%u", n - MSGLOG_RCPTS);
    g_string_append_printf(line, " queue=%s size=%zu message-id=<%s>",
			   session->support_queues->len ?
			   (char *) g_ptr_array_index(session->support_queues, 0) : "-",
			   log->size, msgid ? msgid : "");
    append_auth(line, log->auth);
    g_string_append_printf(line, " confirmation=%s notified=%s",
			   log->confirmation ? log->confirmation : "-",
			   log->notified ? log->notified : "-");
    if (log->mail && mail_loop(log->mail)->spam_header)
	g_string_append_printf(line, " spam=%s",
			       mail_spam_verdict_name(mail_loop(log->mail)->spam_verdict));
    append_ms(line, "parse_ms", log->parse_us);
    append_ms(line, "auth_ms", log->auth_us);
    append_ms(line, "db_ms", log->db_us);
    return (g_string_free(line, FALSE));
}

/* msglog_line - log the line for one message */

void    msglog_line(const char *queue_id, const SESSION *session, const MSGLOG *log)
{
    char   *line = msglog_format(queue_id, session, log);

    msg_info("%s", line);
    g_free(line);
}

/* msglog_action - what an On-*Error action does to the message */

const char *msglog_action(int action)
{
    switch (action) {
    case ACTION_ACCEPT:
	return ("ignored");
    case ACTION_REJECT:
	return ("rejected");
    default:
	return ("tempfailed");
    }
}

/* msglog_since - microseconds since *start; restart the clock */

gint64  msglog_since(gint64 *start)
{
    gint64  now = g_get_monotonic_time();
    gint64  spent = now - *start;

    *start = now;
    /* A step never shows as "did not run", however fast. */
    return (spent > 0 ? spent : 1);
}
