#ifndef MILTER_STORE_INGEST_H
#define MILTER_STORE_INGEST_H

/*++
/* NAME
/*	store_ingest 3h
/* SUMMARY
/*	the ingest query: one message and its ticket in one transaction
/* SYNOPSIS
/*	#include <milter/core/store_ingest.h>
/*
/*	GByteArray *store_bytes_join(const STORE_BYTES *pieces, size_t count)
/*
/*	int	store_ingest(STORE *store, const STORE_MESSAGE *msg,
/*			     STORE_HELD *held, char **result_json, TM_ERROR *err)
/*	int	store_held_end(STORE_HELD *held, int commit, TM_ERROR *err)
/* DESCRIPTION
/*	store_bytes_join() copies pieces into one array, in order.
/*
/*	store_ingest() calls the SQL function ingest_message(meta, raw,
/*	blobs), meta with msg's texts added (STORE_META_SQL), which
/*	threads and stores the message, its ticket changes and its
/*	attachments (the blobs, concatenated in order) in one
/*	transaction, and returns its JSON result (g_free it). It takes a
/*	connection of the pool store, and ends within its timeout,
/*	waiting for the connection included (query(3)).
/*
/*	A small message goes in one round trip, as a statement prepared
/*	on each new pooled connection. Behind a proxy that pools
/*	transactions the server connections are shared, and the statement
/*	is missing or there already: then the query is sent in full, from
/*	then on, with one warning logged. Past STORE_STREAM_BYTES the raw
/*	message and the blobs are streamed with COPY into a row of
/*	ingest_upload in the same transaction, a piece at a time, so that
/*	libpq never holds them whole: the daemon's memory does not grow
/*	with the size of the messages it stores.
/*	With held NULL the transaction is committed before store_ingest()
/*	returns. Otherwise it is left open on a connection of the pool,
/*	recorded in held, until store_held_end() commits it (commit
/*	nonzero) or rolls it back, and returns the connection: a message
/*	for several regions is committed in each only once every region
/*	has stored it (a COMMIT that fails, or whose answer is lost, has
/*	an unknown outcome: the client's retry is recognised as stored).
/* DIAGNOSTICS
/*	-1, with the reason in err; nothing was stored.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/store.h>

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

extern GByteArray *store_bytes_join(const STORE_BYTES *, size_t);
/* A transaction left open by store_ingest(), until store_held_end(). */
typedef struct STORE_HELD {
    STORE  *store;
    PGconn *conn;
    long long deadline;			/* the ingest's: the COMMIT's too */
} STORE_HELD;

extern int store_ingest(STORE *, const STORE_MESSAGE *, STORE_HELD *, char **, TM_ERROR *);
extern int store_held_end(STORE_HELD *, int, TM_ERROR *);

#endif
