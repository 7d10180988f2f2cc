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
/*	int	ingest_message(STORE *store, const CONFIG *config,
/*			       const SESSION *session, const char *mta_queue_id,
/*			       const MAIL *mail, const char *raw, size_t raw_len,
/*			       INGEST_RESULT *result, TM_ERROR *err)
/*
/*	void	ingest_result_clear(INGEST_RESULT *result)
/* DESCRIPTION
/*	ingest_message() describes the message (envelope, client, parsed
/*	content, threading evidence, attachments, loop and bounce facts,
/*	authentication results) as the JSON that the SQL function
/*	ingest_message() takes, and stores it with the exact raw bytes in
/*	one transaction, where the database threads it into a ticket.
/*
/*	The message's texts (plain, the reply without its quote, and the
/*	sanitized HTML) go beside the JSON, not inside it (STORE_META_SQL);
/*	ingest_texts() makes them, as valid UTF-8, for ticketctl's replay
/*	too.
/*
/*	The result says which ticket, by which rule, whether the ticket
/*	was created, and whether the message was a duplicate of one
/*	stored before (then nothing new was stored). For an agent's reply
/*	it holds what to relay to the customer (relay.h), or why nothing
/*	is relayed (a note, commands only, a command not understood).
/* DIAGNOSTICS
/*	-1 with the reason in err; nothing was stored. err->code "TM001"
/*	is a refusal whose text is for the SMTP client (an agent answering
/*	a ticket of a queue they are not in).
/*--*/

#include <parser/mail.h>
#include <milter/core/config.h>
#include <milter/core/session.h>
#include <milter/core/store.h>

typedef struct INGEST_RESULT {
    char   *ticket;			/* ticket number */
    char   *rule;			/* threading rule that decided */
    int     created;			/* a new ticket */
    int     duplicate;			/* stored before: nothing new */
    char   *relay;			/* an agent's reply to relay: JSON, or NULL */
    char   *discard;			/* why the MTA's copy goes nowhere, or NULL */
    char   *confirmation;		/* "sent", or why none was sent */
    char   *notified;			/* agents notified (a count), or why none */
} INGEST_RESULT;

extern int ingest_message(STORE *, const CONFIG *, const SESSION *, const char *,
			          const MAIL *, const char *, size_t,
			          INGEST_RESULT *, TM_ERROR *);
extern void ingest_result_clear(INGEST_RESULT *);

/* Also for ticketctl message replay. */
extern char *ingest_meta(const CONFIG *, const SESSION *, const char *,
			         const MAIL *, const char *, size_t, GArray *);
/* The texts as sent: valid UTF-8 or NULL; ingest_texts_free() frees. */
typedef struct INGEST_TEXTS {
    const char *value[3];		/* text, reply text, HTML */
    char   *owned[3];			/* copies made valid UTF-8 */
    char   *html;			/* the sanitized HTML */
} INGEST_TEXTS;

extern void ingest_texts(const MAIL *, INGEST_TEXTS *);
extern void ingest_texts_free(INGEST_TEXTS *);
extern char *ingest_thread_root(const char *);

#endif
