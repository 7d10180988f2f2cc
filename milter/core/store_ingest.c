/*++
/* NAME
/*	store_ingest 3
/* SUMMARY
/*	the ingest query: one message and its ticket in one transaction
/* DESCRIPTION
/*	See store_ingest.h. Every query is query(3)'s, bound by the pool's
/*	timeout from the moment store_ingest() is called.
/*--*/

/* System library. */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/query.h>
#include <milter/core/store.h>
#include <milter/core/store_ingest.h>

/*
 * The ingest query, prepared on each pooled connection: parsed and planned
 * once. Behind a proxy that pools transactions (pgbouncer before 1.21) a
 * server connection is shared: the statement is missing there (SQLSTATE
 * 26000) or there already (42P05), and the query is sent in full from
 * then on. The name changes with the parameters, so that a daemon of
 * another version there never runs this one's statement.
 */
#define INGEST_STATEMENT	"ticket_milter_ingest_reply_html"
#define INGEST_SQL		"SELECT ingest_message(" \
				STORE_META_SQL("$1", "$4", "$5", "$6", "$7") ", $2::bytea, $3::bytea)"
#define INGEST_PARAMS		7
#define NO_SUCH_STATEMENT	"26000"
#define STATEMENT_EXISTS	"42P05"

/* The server connections share or lose statements: the daemon has one pool. */
static atomic_int unprepared;

/* statements_lost - from now on, send the query in full; say so once */

static void statements_lost(void)
{
    if (!atomic_exchange(&unprepared, 1))
	msg_warn("the database connections share or lose prepared statements (a proxy "
		 "pooling transactions?): sending each query in full from now on");
}

/* prepare_ingest - prepare INGEST_STATEMENT on a new pooled connection */

static int prepare_ingest(PGconn *conn, long long deadline, int *broken, TM_ERROR *err)
{
    PGresult *res;

    if (atomic_load(&unprepared))
	return (0);
    res = query_sent(conn, PQsendPrepare(conn, INGEST_STATEMENT, INGEST_SQL, INGEST_PARAMS, 0),
		     deadline, broken, err);
    if (res == NULL && !*broken && err && strcmp(err->code, STATEMENT_EXISTS) == 0) {
	statements_lost();
	return (0);
    }
    PQclear(res);
    return (res ? 0 : -1);
}

/* blobs_size - the blobs' bytes in all */

static size_t blobs_size(const STORE_BYTES *blobs, size_t count)
{
    size_t  total = 0;

    for (size_t i = 0; i < count; i++)
	total += blobs[i].len;
    return (total);
}

/* store_bytes_join - the pieces, copied into one array */

GByteArray *store_bytes_join(const STORE_BYTES *pieces, size_t count)
{
    GByteArray *joined = g_byte_array_new();

    for (size_t i = 0; i < count; i++)
	g_byte_array_append(joined, (const guint8 *) pieces[i].data, (guint) pieces[i].len);
    return (joined);
}

/* ingest_at_once - ingest_message() in one query, every byte a parameter */

static PGresult *ingest_at_once(PGconn *conn, long long deadline, int prepared,
				        const STORE_MESSAGE *msg, int *broken, TM_ERROR *err)
{
    GByteArray *joined = store_bytes_join(msg->blobs, msg->blob_count);
    const char *values[INGEST_PARAMS] = {msg->meta_json, msg->raw, (const char *) joined->data,
	msg->texts[0], msg->texts[1], msg->texts[2], msg->texts[3]};
    int     lengths[INGEST_PARAMS] = {0, (int) msg->raw_len, (int) joined->len};
    int     formats[INGEST_PARAMS] = {0, 1, 1};
    PGresult *res;

    if (prepared)
	res = query_sent(conn, PQsendQueryPrepared(conn, INGEST_STATEMENT, INGEST_PARAMS, values,
						   lengths, formats, 0), deadline, broken, err);
    else
	res = query_exec(conn, deadline, INGEST_SQL, INGEST_PARAMS, values, lengths, formats,
			 broken, err);
    g_byte_array_free(joined, TRUE);
    return (res);
}

/* ingest_at_once_any - ingest_at_once(), prepared unless the server forgets */

static PGresult *ingest_at_once_any(PGconn *conn, long long deadline, const STORE_MESSAGE *msg,
				            int *broken, TM_ERROR *err)
{
    int     prepared = !atomic_load(&unprepared);
    PGresult *res = ingest_at_once(conn, deadline, prepared, msg, broken, err);

    if (res == NULL && prepared && !*broken && err && strcmp(err->code, NO_SUCH_STATEMENT) == 0) {
	statements_lost();
	res = ingest_at_once(conn, deadline, 0, msg, broken, err);
    }
    return (res);
}

/* copy_field_length - the 4-byte big-endian length before a field */

static int copy_field_length(PGconn *conn, long long deadline, size_t len)
{
    unsigned char be[4] = {len >> 24, len >> 16, len >> 8, len};

    return (query_copy_put(conn, deadline, be, sizeof(be)));
}

/* copy_upload - COPY one row (raw, blobs) into ingest_upload, in pieces */

static int copy_upload(PGconn *conn, long long deadline, const STORE_MESSAGE *msg)
{
    /* COPY's binary format: signature, flags, no extension; 2 fields. */
    static const char header[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\2";
    static const char trailer[] = "\377\377";
    size_t  i;

    if (query_copy_put(conn, deadline, header, sizeof(header) - 1) < 0
	|| copy_field_length(conn, deadline, msg->raw_len) < 0
	|| query_copy_put(conn, deadline, msg->raw, msg->raw_len) < 0
	|| copy_field_length(conn, deadline, blobs_size(msg->blobs, msg->blob_count)) < 0)
	return (-1);
    for (i = 0; i < msg->blob_count; i++)
	if (query_copy_put(conn, deadline, msg->blobs[i].data, msg->blobs[i].len) < 0)
	    return (-1);
    if (query_copy_put(conn, deadline, trailer, 2) < 0)
	return (-1);
    return (query_copy_end(conn, deadline));
}

/* ingest_streamed - ingest_message() with raw and blobs sent by COPY */

static PGresult *ingest_streamed(PGconn *conn, long long deadline, const STORE_MESSAGE *msg,
				         int hold, int *broken, TM_ERROR *err)
{
    const char *values[5] = {msg->meta_json, msg->texts[0], msg->texts[1], msg->texts[2],
    msg->texts[3]};
    PGresult *res, *commit;

    /* A failure below leaves a transaction open: store_release() closes it. */
    if ((res = query_exec(conn, deadline, "BEGIN", 0, 0, 0, 0, broken, err)) == NULL)
	return (NULL);
    PQclear(res);
    if (query_copy_begin(conn, deadline,
		      "COPY ingest_upload (raw, blobs) FROM STDIN (FORMAT binary)", err) < 0)
	return (NULL);
    if (copy_upload(conn, deadline, msg) < 0) {
	*broken = 1;
	tm_error(err, "cannot send the message to the database: %s", query_error_line(conn));
	return (NULL);
    }
    /* The COPY's own result, then the ingest in the same transaction. */
    if ((res = query_result(conn, deadline, broken, err)) == NULL)
	return (NULL);
    PQclear(res);
    res = query_exec(conn, deadline,
		     "WITH u AS (DELETE FROM ingest_upload"
		     "  WHERE id = currval('ingest_upload_id_seq') RETURNING raw, blobs)"
		     " SELECT ingest_message(" STORE_META_SQL("$1", "$2", "$3", "$4", "$5")
		     ", u.raw, u.blobs) FROM u",
		     5, values, 0, 0, broken, err);
    if (res == NULL || hold)
	return (res);
    if ((commit = query_exec(conn, deadline, "COMMIT", 0, 0, 0, 0, broken, err)) == NULL) {
	PQclear(res);
	return (NULL);
    }
    PQclear(commit);
    return (res);
}

/* begin - open a transaction; 0, or -1 with the reason */

static int begin(PGconn *conn, long long deadline, int *broken, TM_ERROR *err)
{
    PGresult *res = query_exec(conn, deadline, "BEGIN", 0, 0, 0, 0, broken, err);

    PQclear(res);
    return (res ? 0 : -1);
}

/* store_ingest - store one message and its ticket in one transaction,
 * committed now, or held open for store_held_end() */

int     store_ingest(STORE *store, const STORE_MESSAGE *msg, STORE_HELD *held,
		             char **result_json, TM_ERROR *err)
{
    long long deadline = query_deadline(store_timeout(store));
    size_t  blobs_len = blobs_size(msg->blobs, msg->blob_count);
    int     broken = 0, fresh;
    PGconn *conn;
    PGresult *res = NULL;

    if (msg->raw_len > INT32_MAX || blobs_len > INT32_MAX)
	return (tm_error(err, "message too large for the database"));
    if ((conn = store_acquire(store, deadline, &fresh, err)) == NULL)
	return (-1);
    if (fresh && prepare_ingest(conn, deadline, &broken, err) < 0)
	broken = 1;
    else if (msg->raw_len + blobs_len > STORE_STREAM_BYTES)
	res = ingest_streamed(conn, deadline, msg, held != NULL, &broken, err);
    else if (held == NULL || begin(conn, deadline, &broken, err) == 0)
	res = ingest_at_once_any(conn, deadline, msg, &broken, err);
    if (res != NULL && held != NULL) {
	*held = (STORE_HELD) {store, conn, deadline};
    } else {
	/* A transaction left open is rolled back: the connection is closed. */
	store_release(store, conn, broken);
    }
    if (res == NULL)
	return (-1);
    *result_json = g_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return (0);
}

/* store_held_end - commit (or roll back) a held transaction; release */

int     store_held_end(STORE_HELD *held, int commit, TM_ERROR *err)
{
    int     broken = 0;
    PGresult *res = query_exec(held->conn, held->deadline, commit ? "COMMIT" : "ROLLBACK",
			       0, 0, 0, 0, &broken, err);

    store_release(held->store, held->conn, broken || res == NULL);
    held->conn = NULL;
    PQclear(res);
    return (res ? 0 : -1);
}
