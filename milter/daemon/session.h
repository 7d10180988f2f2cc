#ifndef MILTER_SESSION_H
#define MILTER_SESSION_H

/*++
/* NAME
/*	session 3h
/* SUMMARY
/*	what the milter knows of one SMTP connection and its message
/* SYNOPSIS
/*	#include <milter/daemon/session.h>
/*
/*	SESSION	*session_create(void)
/*
/*	void	session_reset_message(SESSION *session)
/*
/*	void	session_free(SESSION *session)
/*
/*	INGEST_ENVELOPE *session_envelope(const SESSION *session,
/*			        const char *mta_queue_id, INGEST_ENVELOPE *envelope)
/*
/*	char	*session_header_value(const SESSION *session, const char *value)
/* DESCRIPTION
/*	libmilter runs one thread per connection; a SESSION lives in that
/*	connection's private pointer and is touched by that thread only.
/*	session_reset_message() forgets the current message (new MAIL
/*	FROM, abort) and keeps what belongs to the connection.
/*	session_free() also drops the session's configuration reference.
/*
/*	session_envelope() fills envelope with what the session knows of
/*	the current message, for ingest_message(), and returns it; it
/*	borrows the session's strings and lists.
/*
/*	session_header_value() is a header value as this MTA wants it
/*	from smfi_addheader(), smfi_insheader() and smfi_chgheader(): with
/*	SMFIP_HDR_LEADSPC negotiated it takes the value as is, so the space
/*	after the colon is ours to give (g_free the result).
/*--*/

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/msgbuf.h>

/* Global library. */
#include <milter/core/config.h>
#include <milter/core/ingest.h>

/* Fields that must appear once, as the MTA shows the header. */
#define SESSION_FIELD_FROM	(1U<<0)
#define SESSION_FIELD_TO	(1U<<1)
#define SESSION_FIELD_CC	(1U<<2)

typedef struct SESSION {
    /* The connection. */
    const CONFIG *config;		/* a reference, taken when it opened */
    unsigned long protocol;		/* SMFIP_* flags negotiated */
    char   *client_ip;			/* NULL when unknown */
    char   *client_name;
    char   *helo;
    /* The current message. */
    char   *sender;			/* envelope sender, "" for <> */
    char   *auth_authen;		/* SASL login, or NULL */
    GPtrArray *recipients;		/* char *: each RCPT TO, normalized */
    GPtrArray *support_rcpts;		/* char *: support RCPT TO as given */
    GPtrArray *support_queues;		/* char *: their queue addresses */
    GArray *queue_regions;		/* int: each support queue's region */
    GPtrArray *reply_tokens;		/* char *: their +extensions, if any */
    GArray *token_regions;		/* int: each token's queue's region */
    int     queues_unknown;		/* a recipient not classified: no queue list */
    MSGBUF *message;			/* header and body, from DATA on */
    char   *auth_json;			/* SPF/DKIM/DMARC results, JSON, or NULL */
    int     sender_authenticated;	/* policy_sender_authenticated() */
    int     agent_proof;		/* policy_agent_proof() for From */
    unsigned seen_fields;		/* SESSION_FIELD_*: seen once */
    unsigned twice_fields;		/* SESSION_FIELD_*: seen again */
    int     duplicate_header;		/* a second From, To or Cc (or another
					 * singleton, by the parser) */
    guint   ar_count;			/* Authentication-Results fields seen */
    GArray *ar_forged;			/* guint: ordinals of forged ones */
    int     too_big;			/* past MaximumMessageSize */
    int     failed;			/* a temporary file error */
    int     in_flight;			/* counted by inflight_begin() */
} SESSION;

extern SESSION *session_create(void);
extern void session_reset_message(SESSION *);
extern void session_free(SESSION *);
extern INGEST_ENVELOPE *session_envelope(const SESSION *, const char *, INGEST_ENVELOPE *);
extern char *session_header_value(const SESSION *, const char *);

#endif
