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
/*	int	compose_mail(const char *mail_json,
/*			     const COMPOSE_SETTINGS *settings,
/*			     COMPOSED *mail, TM_ERROR *err)
/*
/*	void	compose_free(COMPOSED *mail)
/*
/*	char	*compose_tag(const char *tag_format, const char *number)
/*
/*	const char *compose_member(JsonObject *obj, const char *name)
/*
/*	GMimeObject *compose_text_part(const char *subtype, const char *text)
/*
/*	GMimePart *compose_attachment(const char *content_type,
/*			const char *filename, const char *content_id,
/*			int is_inline, GMimeStream *bytes)
/* DESCRIPTION
/*	compose_mail() takes what the SQL function outbox_mail() returns
/*	and renders its template into a complete RFC 5322 message with
/*	CRLF line ends, ready for SMTP: text/plain, or
/*	multipart/alternative when the template has HTML. A notification
/*	(and an agent's copy of a note) carries the message it tells of
/*	as it came: when it had HTML, the HTML alternative is that
/*	sanitized HTML framed by the text template's lines before and
/*	after {{customer_text}} (then the template's own HTML is not
/*	used); its inline images and attachments come along, byte for
/*	byte, as far as settings->attachment_limit allows; the others
/*	are listed in {{attachments}} with how to fetch them
/*	(notify_parts.h). settings->fetch reads an attachment's bytes.
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
/*	An answer (kind answer: an agent's answer posted to ticket-api)
/*	comes From "Agent via Queue" at the queue address, as relay(3)
/*	sends a mailed one: the agent's text (and HTML) as the template
/*	{{customer_text}} gives it, every attachment, Subject "Re: " and
/*	the tag when it answers a message, threaded after the customer's
/*	message, and no RFC 3834 marks: a person wrote it.
/*
/*	mail receives the message (data, len), its envelope sender (the
/*	queue address: bounces come back to the help desk, which notes
/*	addresses that bounce), and what the ticket shows of it: Subject,
/*	From and the plain text; record is the message to record in the
/*	database, its attachments emptied (their bytes are stored with
/*	the customer's message). compose_free() releases them.
/*
/*	compose_tag() is the ticket tag: tag_format with NUMBER replaced
/*	(g_free it). compose_member() reads a string member of the
/*	database's JSON answer, "" when absent or null.
/*
/*	compose_text_part() makes a UTF-8 text part (plain, html) with
/*	the best transfer encoding for it.
/*	compose_attachment() makes a base64 part of the bytes (the part
/*	takes its own reference to the stream), with the content type
/*	(message/ and multipart/ ones go as application/octet-stream,
/*	"message.eml" when nameless: base64 is not allowed for them),
/*	file name (may be null), Content-ID (may be null) and the
/*	disposition inline or attachment.
/* DIAGNOSTICS
/*	-1 with the reason in err: the JSON lacks what it needs, or
/*	no template was found for the mail (the reason says how to add
/*	one and send the mail again), or an attachment could not be read.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/notify_parts.h>

typedef struct COMPOSED {
    char   *data;			/* the message, CRLF line ends */
    size_t  len;
    char   *record;			/* the same without attachment bytes */
    size_t  record_len;
    char   *envelope_from;		/* the queue address */
    char   *subject;			/* as in the message, decoded */
    char   *from_address;
    char   *from_name;
    char   *text;			/* the text/plain part */
} COMPOSED;

/* How to compose; fetch gives an attachment's bytes by SHA-256. */
typedef struct COMPOSE_SETTINGS {
    const char *tag_format;		/* TicketTagFormat */
    size_t  attachment_limit;		/* NotifyAttachmentLimit */
    NOTIFY_FETCH *fetch;
    void   *fetch_context;
} COMPOSE_SETTINGS;

extern int compose_mail(const char *, const COMPOSE_SETTINGS *, COMPOSED *, TM_ERROR *);
extern void compose_free(COMPOSED *);
extern char *compose_tag(const char *, const char *);
extern GMimeObject *compose_text_part(const char *, const char *);
extern GMimePart *compose_attachment(const char *, const char *, const char *, int, GMimeStream *);
extern const char *compose_member(JsonObject *, const char *);

#endif
