#ifndef MILTER_COMPOSE_H
#define MILTER_COMPOSE_H

/*++
/* NAME
/*	compose 3h
/* SUMMARY
/*	build an outgoing mail (confirmation, notification, notice, closed) with gmime
/* SYNOPSIS
/*	#include <milter/core/compose.h>
/*
/*	int	compose_mail(const char *mail_json, const char *tag_format,
/*			     COMPOSED *mail, TM_ERROR *err)
/*
/*	void	compose_free(COMPOSED *mail)
/*
/*	char	*compose_tag(const char *tag_format, const char *number)
/*
/*	const char *compose_member(JsonObject *obj, const char *name)
/* DESCRIPTION
/*	compose_mail() takes what the SQL function outbox_mail() returns
/*	and renders its template into a complete RFC 5322 message with
/*	CRLF line ends, ready for SMTP: text/plain, or
/*	multipart/alternative when the template has HTML.
/*
/*	A confirmation, a notice and a closed mail (the customer's news
/*	that the ticket was closed) come From the queue address with the
/*	queue's name, a notification from "Customer via Queue" at the
/*	ticket's reply address; all have Reply-To the reply address, the ticket
/*	tag (tag_format, NUMBER replaced) in the Subject, In-Reply-To and
/*	References of the message they answer with their own Message-ID
/*	listed in References too (so replies thread even when a relay
/*	rewrites Message-ID), and the RFC 3834 marks: Auto-Submitted
/*	(auto-replied for an answer to a message, else auto-generated),
/*	X-Auto-Response-Suppress: All, and X-Loop with the queue address,
/*	by which the daemon knows its own mail if it comes back.
/*
/*	mail receives the message (data, len), its envelope sender (the
/*	queue address: bounces come back to the help desk, which notes
/*	addresses that bounce), and what the ticket shows of it: Subject,
/*	From and the plain text. compose_free() releases them.
/*
/*	compose_tag() is the ticket tag: tag_format with NUMBER replaced
/*	(g_free it). compose_member() reads a string member of the
/*	database's JSON answer, "" when absent or null.
/* DIAGNOSTICS
/*	-1 with the reason in err: the JSON lacks what it needs, or
/*	no template was found for the mail (the reason says how to add
/*	one and send the mail again).
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct COMPOSED {
    char   *data;			/* the message, CRLF line ends */
    size_t  len;
    char   *envelope_from;		/* the queue address */
    char   *subject;			/* as in the message, decoded */
    char   *from_address;
    char   *from_name;
    char   *text;			/* the text/plain part */
} COMPOSED;

extern int compose_mail(const char *, const char *, COMPOSED *, TM_ERROR *);
extern void compose_free(COMPOSED *);
extern char *compose_tag(const char *, const char *);
extern const char *compose_member(JsonObject *, const char *);

#endif
