#ifndef MILTER_INGEST_H
#define MILTER_INGEST_H

/*++
/* NAME
/*	ingest 3h
/* SUMMARY
/*	store one support message: what the database is told about it
/* SYNOPSIS
/*	#include <milter/core/ingest.h>
/*
/*	int	ingest_message(STORE *store, STORE_HELD *held,
/*			       const CONFIG *config,
/*			       const INGEST_ENVELOPE *envelope,
/*			       const MAIL *mail, const char *raw, size_t raw_len,
/*			       INGEST_RESULT *result, TM_ERROR *err)
/*
/*	void	ingest_result_clear(INGEST_RESULT *result)
/*
/*	char	*ingest_limits(const CONFIG *config)
/* DESCRIPTION
/*	ingest_message() describes the message (envelope, client, parsed
/*	content, threading evidence, attachments, loop and bounce facts,
/*	authentication results) as the JSON that the SQL function
/*	ingest_message() takes, and stores it with the exact raw bytes in
/*	one transaction, where the database threads it into a ticket
/*	(committed, or with held not NULL left open: store_ingest(3)). The
/*	message's part of that JSON is the parser's (mail_json_stored());
/*	ingest adds the envelope, the digest and the configured limits.
/*
/*	The envelope is what the MTA and the checks said of the message
/*	(sender, recipients, support queues, reply tokens, the queue
/*	addresses of the other regions, client,
/*	authentication results and proofs): the daemon builds it from its
/*	session (session_envelope()), ticketctl's replay from the stored
/*	row. Its strings and lists are borrowed for the call.
/*
/*	The message's texts (plain, the reply without its quote, and the
/*	sanitized HTML, and for a message that carries a proof of an
/*	agent the HTML of the answer without its quoted history and command
/*	lines, mail_html_reply()) go beside the JSON, not inside it
/*	(STORE_META_SQL); ingest_texts() makes them, as valid UTF-8, for
/*	ticketctl's replay too (which keeps the stored answer HTML).
/*
/*	The result says which ticket, by which rule, whether the ticket
/*	was created, and whether the message was a duplicate of one
/*	stored before (then nothing new was stored). For an agent's reply
/*	it holds what to relay to the customer (relay.h), or why nothing
/*	is relayed (a note, commands only, a command not understood).
/*	It also says whether the message's transaction put mail in the
/*	outbox (the daemon then wakes a sender), whether a confirmation
/*	was sent (or why not) and how many agents were notified (or why
/*	none were), for the log line.
/*
/*	ingest_limits() is the JSON object of the bounds on automatic mail
/*	(meta's "limits"), for ticketctl's closing of tickets, whose
/*	closed mails obey them too; g_free() it.
/* DIAGNOSTICS
/*	-1 with the reason in err; nothing was stored. err->code "TM001"
/*	is a refusal whose text is for the SMTP client (an agent answering
/*	a ticket of a queue they are not in).
/*--*/

/* External libraries. */
#include <glib.h>

/* Parser library. */
#include <parser/mail.h>

/* Global library. */
#include <milter/core/config.h>
#include <milter/core/store.h>
#include <milter/core/store_ingest.h>

/* What the MTA and the checks said of one message; all borrowed. */
typedef struct INGEST_ENVELOPE {
    const char *sender;			/* envelope sender, "" for <> */
    GPtrArray *recipients;		/* char *: each RCPT TO, normalized */
    GPtrArray *queues;			/* char *: the support queues' addresses */
    GPtrArray *tokens;			/* char *: reply tokens (+extensions) */
    GPtrArray *foreign_queues;		/* char *: other regions' queues, or NULL */
    const char *client_ip;		/* NULL when unknown */
    const char *client_name;		/* NULL when unknown */
    const char *helo;			/* NULL when unknown */
    const char *mta_queue_id;		/* NULL when unknown */
    const char *auth_json;		/* SPF/DKIM/DMARC results, JSON, or NULL */
    int     sender_authenticated;	/* policy_sender_authenticated() */
    int     agent_proof;		/* POLICY_PROOF_*: policy_agent_proof() */
    const char *sasl_login;		/* SMTP AUTH login, or NULL */
    int     duplicate_header;		/* a second From, To, Cc or singleton */
} INGEST_ENVELOPE;

typedef struct INGEST_RESULT {
    char   *ticket;			/* ticket number */
    char   *rule;			/* threading rule that decided */
    int     created;			/* a new ticket */
    int     duplicate;			/* stored before: nothing new */
    char   *relay;			/* an agent's reply to relay: JSON, or NULL */
    char   *discard;			/* why the MTA's copy goes nowhere, or NULL */
    char   *confirmation;		/* "sent", or why none was sent */
    char   *notified;			/* agents notified (a count), or why none */
    int     queued;			/* it put mail in the outbox */
} INGEST_RESULT;

extern int ingest_message(STORE *, STORE_HELD *, const CONFIG *, const INGEST_ENVELOPE *,
			          const MAIL *, const char *, size_t,
			          INGEST_RESULT *, TM_ERROR *);
extern void ingest_result_clear(INGEST_RESULT *);

/* Also for ticketctl message replay. */
extern char *ingest_meta(const CONFIG *, const INGEST_ENVELOPE *,
			         const MAIL *, const char *, size_t, GArray *);
/* The texts as sent: valid UTF-8 or NULL; ingest_texts_free() frees. */
typedef struct INGEST_TEXTS {
    const char *value[4];		/* text, reply text, HTML, reply HTML */
    char   *owned[4];			/* copies made valid UTF-8 */
    char   *html;			/* the sanitized HTML */
    char   *reply_html;			/* without quote and commands, or NULL */
} INGEST_TEXTS;

extern void ingest_texts(const MAIL *, int, INGEST_TEXTS *);
extern void ingest_texts_free(INGEST_TEXTS *);
/* For ticketctl ticket status and autoclose. */
extern char *ingest_limits(const CONFIG *);

#endif
