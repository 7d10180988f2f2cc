#ifndef MILTER_STORE_H
#define MILTER_STORE_H

/*++
/* NAME
/*	store 3h
/* SUMMARY
/*	PostgreSQL connections: connect, pool, bounded-time queries, ingest
/* SYNOPSIS
/*	#include <milter/core/store.h>
/*
/*	PGconn	*store_connect(const char *conninfo, int timeout, TM_ERROR *err)
/*
/*	STORE	*store_create(const char *conninfo, int pool_size, int timeout)
/*
/*	void	store_free(STORE *store)
/*
/*	int	store_wait_notify(int stop_fd, PGconn *conn, int seconds)
/*
/*	GByteArray *store_bytes_join(const STORE_BYTES *pieces, size_t count)
/*
/*	int	store_ingest(STORE *store, const STORE_MESSAGE *msg,
/*			     char **result_json, TM_ERROR *err)
/* DESCRIPTION
/*	store_connect() opens one connection (ticketctl, the queue cache).
/*
/*	A STORE is a pool of at most pool_size connections shared by the
/*	milter's threads, opened on demand. Every query through the pool
/*	ends within timeout seconds, waiting for a free connection
/*	included: a query past its deadline is cancelled and fails, so the
/*	milter can tempfail before the MTA gives up on it.
/*
/*	store_wait_notify() waits, for a thread that LISTENs on conn (may
/*	be NULL), until a notification arrives (and consumes it), a byte
/*	can be read from stop_fd, or seconds pass. It returns 1 when
/*	stop_fd is readable: the thread is asked to stop.
/*
/*	store_bytes_join() copies pieces into one array, in order.
/*
/*	store_ingest() calls the SQL function ingest_message(meta, raw,
/*	blobs), meta with msg's texts added (STORE_META_SQL), which
/*	threads and stores the message, its ticket changes and its
/*	attachments (the blobs, concatenated in order) in one
/*	transaction, and returns its JSON result (g_free it). A small
/*	message goes in one round trip, as a statement prepared on each
/*	pooled connection. Behind a proxy that pools transactions the
/*	server connections are shared, and the statement is missing or
/*	there already: then the query is sent in full, from then on, with
/*	one warning logged. Past STORE_STREAM_BYTES the raw
/*	message and the blobs are streamed with COPY into a row of
/*	ingest_upload in the same transaction, a piece at a time, so that
/*	libpq never holds them whole: the daemon's memory does not grow
/*	with the size of the messages it stores.
/* DIAGNOSTICS
/*	NULL or -1, with the reason in err.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <glib.h>
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct STORE STORE;

typedef struct STORE_BYTES {
    const char *data;
    size_t  len;
} STORE_BYTES;

#define STORE_STREAM_BYTES	(1024 * 1024)

/*
 * SQL: the JSON description with the texts added, from the parameters
 * named. They come beside it, not inside it: PostgreSQL 15 reads an
 * escaped JSON string one byte at a time; adding a text to jsonb copies
 * it whole.
 */
#define STORE_META_SQL(meta, text, reply_text, html, reply_html) \
	"(" meta "::jsonb || jsonb_build_object('text', " text "::text, 'reply_text', " \
	reply_text "::text, 'html', " html "::text, 'reply_html', " reply_html "::text))"

/* What store_ingest() stores. */
typedef struct STORE_MESSAGE {
    const char *meta_json;		/* the JSON description */
    const char *texts[4];		/* text, reply text, HTML, an answer's
					 * HTML without its quote: UTF-8 or NULL */
    const char *raw;			/* the message as received */
    size_t  raw_len;
    const STORE_BYTES *blobs;		/* the attachments' bytes, in order */
    size_t  blob_count;
} STORE_MESSAGE;

extern PGconn *store_connect(const char *, int, TM_ERROR *);
extern STORE *store_create(const char *, int, int);
extern void store_free(STORE *);
extern int store_wait_notify(int, PGconn *, int);
extern GByteArray *store_bytes_join(const STORE_BYTES *, size_t);
extern int store_ingest(STORE *, const STORE_MESSAGE *, char **, TM_ERROR *);

#endif
