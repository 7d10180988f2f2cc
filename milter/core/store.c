/*++
/* NAME
/*	store 3
/* SUMMARY
/*	PostgreSQL connections: connect, pool, bounded-time queries, ingest
/* DESCRIPTION
/*	See store.h. Queries are sent with libpq's asynchronous calls and
/*	waited for with poll(), so that a hung server, a held lock or a
/*	lost network cannot hold a milter thread past the deadline.
/*--*/

/* System library. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/store.h>

/*
 * The ingest query, prepared on each pooled connection: parsed and planned
 * once. Behind a proxy that pools transactions (pgbouncer before 1.21) a
 * server connection is shared: the statement is missing there (SQLSTATE
 * 26000) or there already (42P05), and the pool sends the query in full
 * from then on. The name changes with the parameters, so that a daemon
 * of another version there never runs this one's statement.
 */
#define INGEST_STATEMENT	"ticket_milter_ingest_reply_html"
#define INGEST_SQL		"SELECT ingest_message(" \
				STORE_META_SQL("$1", "$4", "$5", "$6", "$7") ", $2::bytea, $3::bytea)"
#define INGEST_PARAMS		7
#define NO_SUCH_STATEMENT	"26000"
#define STATEMENT_EXISTS	"42P05"

struct STORE {
    char   *conninfo;
    int     timeout;			/* seconds, per operation */
    int     pool_size;			/* connections at most */
    int     open_count;			/* connections open now */
    atomic_int unprepared;		/* server connections share or lose statements */
    GPtrArray *idle;			/* PGconn *, ready for use */
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

/* now_ms - a monotonic clock in milliseconds */

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* server_error - libpq's last error on one line */

static const char *server_error(PGconn *conn)
{
    static __thread char line[256];
    const char *text = conn ? PQerrorMessage(conn) : "out of memory";
    char   *nl;

    g_strlcpy(line, text, sizeof(line));
    while ((nl = strchr(line, '\n')) != NULL)
	*nl = *(nl + 1) ? ' ' : 0;
    return (line);
}

/* store_connect - open one connection, bounded by timeout seconds */

PGconn *store_connect(const char *conninfo, int timeout, TM_ERROR *err)
{
    char    timeout_text[16];
    /* Defaults first: the admin's conninfo (expanded from dbname) wins. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", 0};
    const char *values[] = {timeout_text, "ticket-milter", conninfo, 0};
    PGconn *conn;

    snprintf(timeout_text, sizeof(timeout_text), "%d", timeout > 2 ? timeout : 2);
    conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	tm_error(err, "cannot connect to the database: %s", server_error(conn));
	PQfinish(conn);
	return (NULL);
    }
    return (conn);
}

/* store_create - a pool of connections, opened on demand */

STORE  *store_create(const char *conninfo, int pool_size, int timeout)
{
    STORE  *store = g_new0(STORE, 1);

    store->conninfo = g_strdup(conninfo);
    store->pool_size = pool_size;
    store->timeout = timeout;
    store->idle = g_ptr_array_new();
    atomic_init(&store->unprepared, 0);
    pthread_mutex_init(&store->lock, 0);
    pthread_cond_init(&store->freed, 0);
    return (store);
}

/* store_free - close every idle connection and release the pool */

void    store_free(STORE *store)
{
    if (store == NULL)
	return;
    for (guint i = 0; i < store->idle->len; i++)
	PQfinish(g_ptr_array_index(store->idle, i));
    g_ptr_array_free(store->idle, TRUE);
    pthread_mutex_destroy(&store->lock);
    pthread_cond_destroy(&store->freed);
    g_free(store->conninfo);
    g_free(store);
}

/* store_wait_notify - wait for a notification, the time, or stop; 1 = stop */

int     store_wait_notify(int stop_fd, PGconn *conn, int seconds)
{
    struct pollfd pfd[2] = {
	{.fd = stop_fd, .events = POLLIN},
	{.fd = conn ? PQsocket(conn) : -1, .events = POLLIN},
    };
    PGnotify *note;
    int     n;

    /* A notification read along with an earlier query's result waits here. */
    if (conn && (note = PQnotifies(conn)) != NULL) {
	do
	    PQfreemem(note);
	while ((note = PQnotifies(conn)) != NULL);
	return (0);
    }
    n = poll(pfd, conn ? 2 : 1, seconds * 1000);
    if (n > 0 && pfd[0].revents)
	return (1);
    if (conn && n > 0 && pfd[1].revents) {
	PQconsumeInput(conn);
	while ((note = PQnotifies(conn)) != NULL)
	    PQfreemem(note);
    }
    return (0);
}

/* wait_socket - wait for the connection's socket until the deadline */

static int wait_socket(PGconn *conn, short events, long long deadline)
{
    struct pollfd pfd = {.fd = PQsocket(conn), .events = events};
    long long left;
    int     n;

    for (;;) {
	if ((left = deadline - now_ms()) <= 0)
	    return (0);
	n = poll(&pfd, 1, (int) left);
	if (n > 0)
	    return (1);
	if (n < 0 && errno != EINTR)
	    return (-1);
    }
}

/* cancel_query - ask the server to stop the query running on conn */

static void cancel_query(PGconn *conn)
{
    PGcancel *cancel = PQgetCancel(conn);
    char    buf[256];

    if (cancel) {
	PQcancel(cancel, buf, sizeof(buf));
	PQfreeCancel(cancel);
    }
}

/* await_result - the last result of the query sent, by the deadline */

static PGresult *await_result(PGconn *conn, long long deadline, int *broken, TM_ERROR *err)
{
    PGresult *res, *last = NULL;
    int     flushed, ready;

    while ((flushed = PQflush(conn)) == 1) {
	if (wait_socket(conn, POLLOUT | POLLIN, deadline) <= 0)
	    goto timeout;
	if (!PQconsumeInput(conn))
	    break;
    }
    if (flushed < 0)
	goto lost;
    for (;;) {
	while (PQisBusy(conn)) {
	    if ((ready = wait_socket(conn, POLLIN, deadline)) <= 0)
		goto timeout;
	    if (!PQconsumeInput(conn))
		goto lost;
	}
	if ((res = PQgetResult(conn)) == NULL)
	    break;
	PQclear(last);
	last = res;
    }
    if (PQresultStatus(last) != PGRES_TUPLES_OK && PQresultStatus(last) != PGRES_COMMAND_OK) {
	const char *state = last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL;

	/* Class TM: our own refusals, whose text is for the SMTP client. */
	if (state && strncmp(state, "TM", 2) == 0)
	    tm_error(err, "%s", PQresultErrorField(last, PG_DIAG_MESSAGE_PRIMARY));
	else
	    tm_error(err, "database query failed: %s",
		     last ? PQresultErrorMessage(last) : server_error(conn));
	if (err && state)
	    g_strlcpy(err->code, state, sizeof(err->code));
	PQclear(last);
	*broken = PQstatus(conn) != CONNECTION_OK;
	return (NULL);
    }
    return (last);

timeout:
    cancel_query(conn);
    PQclear(last);
    *broken = 1;
    tm_error(err, "the database did not answer within the DatabaseTimeout");
    return (NULL);

lost:
    PQclear(last);
    *broken = 1;
    tm_error(err, "lost the database connection: %s", server_error(conn));
    return (NULL);
}

/* sent_result - the result of what was sent (sent = libpq's answer), by the deadline */

static PGresult *sent_result(PGconn *conn, int sent, long long deadline,
			             int *broken, TM_ERROR *err)
{
    if (!sent) {
	*broken = 1;
	tm_error(err, "database query failed: %s", server_error(conn));
	return (NULL);
    }
    return (await_result(conn, deadline, broken, err));
}

/* exec_timed - run one parameterized query by the deadline */

static PGresult *exec_timed(PGconn *conn, long long deadline, const char *sql,
			            int nparams, const char *const *values,
			            const int *lengths, const int *formats,
			            int *broken, TM_ERROR *err)
{
    return (sent_result(conn, PQsendQueryParams(conn, sql, nparams, 0, values, lengths, formats, 0),
			deadline, broken, err));
}

/* store_unprepared - the server does not keep our prepared statement */

static void store_unprepared(STORE *store)
{
    if (!atomic_exchange(&store->unprepared, 1))
	msg_warn("the database connections share or lose prepared statements (a proxy "
		 "pooling transactions?): sending each query in full from now on");
}

/* prepare_ingest - prepare INGEST_STATEMENT on a new pooled connection */

static int prepare_ingest(STORE *store, PGconn *conn, long long deadline, TM_ERROR *err)
{
    int     broken = 0;
    PGresult *res;

    if (atomic_load(&store->unprepared))
	return (0);
    res = sent_result(conn, PQsendPrepare(conn, INGEST_STATEMENT, INGEST_SQL, INGEST_PARAMS, 0),
		      deadline, &broken, err);
    if (res == NULL && !broken && err && strcmp(err->code, STATEMENT_EXISTS) == 0) {
	store_unprepared(store);
	return (0);
    }
    PQclear(res);
    return (res ? 0 : -1);
}

/* conn_alive - false if the server has closed an idle connection */

static int conn_alive(PGconn *conn)
{
    struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

    if (PQstatus(conn) != CONNECTION_OK || pfd.fd < 0)
	return (0);
    /* An idle connection has nothing to read unless the server hung up. */
    if (poll(&pfd, 1, 0) > 0) {
	if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
	    return (0);
    }
    return (1);
}

/* store_acquire - a live connection from the pool, by the deadline */

static PGconn *store_acquire(STORE *store, long long deadline, TM_ERROR *err)
{
    PGconn *conn = NULL;

    pthread_mutex_lock(&store->lock);
    for (;;) {
	while (store->idle->len > 0) {
	    conn = g_ptr_array_remove_index(store->idle, store->idle->len - 1);
	    if (conn_alive(conn)) {
		pthread_mutex_unlock(&store->lock);
		return (conn);
	    }
	    PQfinish(conn);
	    store->open_count--;
	}
	if (store->open_count < store->pool_size)
	    break;
	struct timespec ts;
	long long left = deadline - now_ms();

	if (left <= 0) {
	    pthread_mutex_unlock(&store->lock);
	    tm_error(err, "all %d database connections are busy", store->pool_size);
	    return (NULL);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
	    ts.tv_sec++;
	    ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&store->freed, &store->lock, &ts);
    }
    store->open_count++;
    pthread_mutex_unlock(&store->lock);
    if ((conn = store_connect(store->conninfo, store->timeout, err)) == NULL
	|| prepare_ingest(store, conn, deadline, err) < 0) {
	PQfinish(conn);
	conn = NULL;
	pthread_mutex_lock(&store->lock);
	store->open_count--;
	pthread_cond_signal(&store->freed);
	pthread_mutex_unlock(&store->lock);
    }
    return (conn);
}

/* store_release - return a connection; a broken one is closed */

static void store_release(STORE *store, PGconn *conn, int broken)
{
    PGnotify *note;

    /* Behind a proxy, a notification for another session can land here. */
    while ((note = PQnotifies(conn)) != NULL)
	PQfreemem(note);
    pthread_mutex_lock(&store->lock);
    if (broken || PQstatus(conn) != CONNECTION_OK
	|| PQtransactionStatus(conn) != PQTRANS_IDLE) {
	PQfinish(conn);
	store->open_count--;
    } else {
	g_ptr_array_add(store->idle, conn);
    }
    pthread_cond_signal(&store->freed);
    pthread_mutex_unlock(&store->lock);
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
	res = sent_result(conn, PQsendQueryPrepared(conn, INGEST_STATEMENT, INGEST_PARAMS, values,
						    lengths, formats, 0), deadline, broken, err);
    else
	res = exec_timed(conn, deadline, INGEST_SQL, INGEST_PARAMS, values, lengths, formats,
			 broken, err);
    g_byte_array_free(joined, TRUE);
    return (res);
}

/* ingest_at_once_any - ingest_at_once(), prepared unless the server forgets */

static PGresult *ingest_at_once_any(STORE *store, PGconn *conn, long long deadline,
				            const STORE_MESSAGE *msg, int *broken, TM_ERROR *err)
{
    int     prepared = !atomic_load(&store->unprepared);
    PGresult *res = ingest_at_once(conn, deadline, prepared, msg, broken, err);

    if (res == NULL && prepared && !*broken && err && strcmp(err->code, NO_SUCH_STATEMENT) == 0) {
	store_unprepared(store);
	res = ingest_at_once(conn, deadline, 0, msg, broken, err);
    }
    return (res);
}

/* flush_timed - send what libpq holds, by the deadline */

static int flush_timed(PGconn *conn, long long deadline)
{
    int     flushed;

    while ((flushed = PQflush(conn)) == 1) {
	if (wait_socket(conn, POLLOUT | POLLIN, deadline) <= 0 || !PQconsumeInput(conn))
	    return (-1);
    }
    return (flushed);
}

/* copy_put - one piece of COPY data, in chunks that libpq sends at once */

static int copy_put(PGconn *conn, long long deadline, const void *data, size_t len)
{
    const size_t chunk = 256 * 1024;
    const char *cp = data;

    while (len > 0) {
	size_t  n = len < chunk ? len : chunk;

	if (PQputCopyData(conn, cp, (int) n) != 1 || flush_timed(conn, deadline) < 0)
	    return (-1);
	cp += n;
	len -= n;
    }
    return (0);
}

/* copy_field_length - the 4-byte big-endian length before a field */

static int copy_field_length(PGconn *conn, long long deadline, size_t len)
{
    unsigned char be[4] = {len >> 24, len >> 16, len >> 8, len};

    return (copy_put(conn, deadline, be, sizeof(be)));
}

/* copy_upload - COPY one row (raw, blobs) into ingest_upload, in pieces */

static int copy_upload(PGconn *conn, long long deadline, const STORE_MESSAGE *msg)
{
    /* COPY's binary format: signature, flags, no extension; 2 fields. */
    static const char header[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\2";
    static const char trailer[] = "\377\377";
    int     ret = -1;

    if (PQsetnonblocking(conn, 1) != 0)
	return (-1);
    if (copy_put(conn, deadline, header, sizeof(header) - 1) == 0
	&& copy_field_length(conn, deadline, msg->raw_len) == 0
	&& copy_put(conn, deadline, msg->raw, msg->raw_len) == 0
	&& copy_field_length(conn, deadline, blobs_size(msg->blobs, msg->blob_count)) == 0) {
	size_t  i;

	for (i = 0; i < msg->blob_count; i++)
	    if (copy_put(conn, deadline, msg->blobs[i].data, msg->blobs[i].len) < 0)
		break;
	if (i == msg->blob_count && copy_put(conn, deadline, trailer, 2) == 0
	    && PQputCopyEnd(conn, NULL) == 1 && flush_timed(conn, deadline) == 0)
	    ret = 0;
    }
    PQsetnonblocking(conn, 0);
    return (ret);
}

/* copy_begin - start COPY FROM STDIN; 0 when the server waits for data */

static int copy_begin(PGconn *conn, long long deadline, const char *sql, TM_ERROR *err)
{
    PGresult *res;
    int     ret;

    if (!PQsendQuery(conn, sql) || flush_timed(conn, deadline) < 0)
	return (tm_error(err, "database query failed: %s", server_error(conn)));
    while (PQisBusy(conn)) {
	if (wait_socket(conn, POLLIN, deadline) <= 0) {
	    cancel_query(conn);
	    return (tm_error(err, "the database did not answer within the DatabaseTimeout"));
	}
	if (!PQconsumeInput(conn))
	    return (tm_error(err, "lost the database connection: %s", server_error(conn)));
    }
    res = PQgetResult(conn);
    ret = PQresultStatus(res) == PGRES_COPY_IN ? 0
	: tm_error(err, "database COPY failed: %s",
		   res ? PQresultErrorMessage(res) : server_error(conn));
    PQclear(res);
    return (ret);
}

/* ingest_streamed - ingest_message() with raw and blobs sent by COPY */

static PGresult *ingest_streamed(PGconn *conn, long long deadline, const STORE_MESSAGE *msg,
				         int *broken, TM_ERROR *err)
{
    const char *values[5] = {msg->meta_json, msg->texts[0], msg->texts[1], msg->texts[2],
    msg->texts[3]};
    PGresult *res, *commit;

    /* A failure below leaves a transaction open: store_release() closes it. */
    if ((res = exec_timed(conn, deadline, "BEGIN", 0, 0, 0, 0, broken, err)) == NULL)
	return (NULL);
    PQclear(res);
    if (copy_begin(conn, deadline, "COPY ingest_upload (raw, blobs) FROM STDIN (FORMAT binary)",
		   err) < 0)
	return (NULL);
    if (copy_upload(conn, deadline, msg) < 0) {
	tm_error(err, "cannot send the message to the database: %s", server_error(conn));
	return (NULL);
    }
    /* The COPY's own result, then the ingest in the same transaction. */
    if ((res = await_result(conn, deadline, broken, err)) == NULL)
	return (NULL);
    PQclear(res);
    res = exec_timed(conn, deadline,
		     "WITH u AS (DELETE FROM ingest_upload"
		     "  WHERE id = currval('ingest_upload_id_seq') RETURNING raw, blobs)"
		     " SELECT ingest_message(" STORE_META_SQL("$1", "$2", "$3", "$4", "$5")
		     ", u.raw, u.blobs) FROM u",
		     5, values, 0, 0, broken, err);
    if (res == NULL)
	return (NULL);
    if ((commit = exec_timed(conn, deadline, "COMMIT", 0, 0, 0, 0, broken, err)) == NULL) {
	PQclear(res);
	return (NULL);
    }
    PQclear(commit);
    return (res);
}

/* store_ingest - store one message and its ticket in one transaction */

int     store_ingest(STORE *store, const STORE_MESSAGE *msg, char **result_json, TM_ERROR *err)
{
    long long deadline = now_ms() + (long long) store->timeout * 1000;
    size_t  blobs_len = blobs_size(msg->blobs, msg->blob_count);
    int     broken = 0;
    PGconn *conn;
    PGresult *res;

    if (msg->raw_len > INT32_MAX || blobs_len > INT32_MAX)
	return (tm_error(err, "message too large for the database"));
    if ((conn = store_acquire(store, deadline, err)) == NULL)
	return (-1);
    if (msg->raw_len + blobs_len > STORE_STREAM_BYTES)
	res = ingest_streamed(conn, deadline, msg, &broken, err);
    else
	res = ingest_at_once_any(store, conn, deadline, msg, &broken, err);
    store_release(store, conn, broken);
    if (res == NULL)
	return (-1);
    *result_json = g_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return (0);
}
