#ifndef MILTER_MSGLOG_H
#define MILTER_MSGLOG_H

/*++
/* NAME
/*	msglog 3h
/* SUMMARY
/*	the one log line per support message
/* SYNOPSIS
/*	#include <milter/daemon/msglog.h>
/*
/*	void	msglog_line(const char *queue_id, const SESSION *session,
/*			    const MSGLOG *log)
/*
/*	char	*msglog_format(const char *queue_id, const SESSION *session,
/*			       const MSGLOG *log)
/*
/*	const char *msglog_action(int action)
/*
/*	gint64	msglog_since(gint64 *start)
/* DESCRIPTION
/*	Every support message the milter answers at end of message gets
/*	one line at level info, whatever became of it, so that an admin
/*	can grep for a queue id, a sender or a ticket:
/*
/*	QUEUEID: ticket NUMBER: DECISION (RULE), from=<SENDER>
/*	to=<RCPT>,... queue=ADDRESS size=BYTES message-id=<ID> spf=RESULT
/*	dkim=RESULT dmarc=RESULT confirmation=WHAT notified=WHAT
/*	[spam=VERDICT] parse_ms=N auth_ms=N db_ms=N
/*
/*	DECISION is new, follow-up or duplicate (stored; RULE is the
/*	threading rule), or rejected, tempfailed or ignored (not stored;
/*	RULE says why: too-big, internal-error, database-error, auth;
/*	ignored is what On-*Error accept does: the MTA delivers the
/*	message, unstored). NUMBER is "-" without a ticket; dkim lists
/*	DOMAIN:RESULT per signature, or none; a check or a step that did
/*	not run shows "-". confirmation is sent, or why none was sent
/*	(autoreply_refusal() in SQL: follow-up, sender-not-authenticated,
/*	rate-limit-address-hour, auto-submitted, ...); notified is how
/*	many agents were told, or why none were (notify_refusal()).
/*	spam is there with SpamHeader: what that header said (spam, clean,
/*	absent, or doubtful when it was there more than once).
/*	At most MSGLOG_RCPTS recipients are listed,
/*	then "+N".
/*
/*	msglog_format() returns the line (g_free it); msglog_line() logs it.
/*
/*	msglog_action() names what an On-*Error action does to a message:
/*	tempfailed, ignored or rejected.
/*
/*	msglog_since() returns the microseconds since *start and sets
/*	*start to now, for timing consecutive steps.
/*--*/

/* External libraries. */
#include <glib.h>

/* Parser library. */
#include <parser/mail.h>

/* Global library. */
#include <milter/core/auth.h>

/* Application-specific. */
#include <milter/daemon/session.h>

#define MSGLOG_RCPTS	10

typedef struct MSGLOG {
    const char *decision;		/* new, follow-up, ..., tempfailed */
    const char *rule;			/* threading rule, or why not stored */
    const char *ticket;			/* ticket number, or NULL */
    const MAIL *mail;			/* the parsed message, or NULL */
    const AUTH_RESULTS *auth;		/* the checks, or NULL */
    size_t  size;			/* bytes received */
    gint64  parse_us;			/* time in the parser, or 0: not run */
    gint64  auth_us;			/* time in SPF/DKIM/DMARC, or 0 */
    gint64  db_us;			/* time storing, or 0 */
    const char *confirmation;		/* sent, why not, or NULL: not stored */
    const char *notified;		/* agents told, why none, or NULL */
} MSGLOG;

extern void msglog_line(const char *, const SESSION *, const MSGLOG *);
extern char *msglog_format(const char *, const SESSION *, const MSGLOG *);
extern const char *msglog_action(int);
extern gint64 msglog_since(gint64 *);

#endif
