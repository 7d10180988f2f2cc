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

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include <milter/store.h>

struct STORE {
    char   *conninfo;
    int     timeout;			/* seconds, per operation */
    int     pool_size;			/* connections at most */
    int     open_count;			/* connections open now */
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
    int     n = poll(pfd, conn ? 2 : 1, seconds * 1000);

    if (n > 0 && pfd[0].revents)
	return (1);
    if (conn && n > 0 && pfd[1].revents) {
	PQconsumeInput(conn);
	while ((note = PQnotifies(conn)) != NULL)
	    PQfreemem(note);
    }
    return (0);
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
    if ((conn = store_connect(store->conninfo, store->timeout, err)) == NULL) {
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

/* exec_timed - run one parameterized query by the deadline */

static PGresult *exec_timed(PGconn *conn, long long deadline, const char *sql,
			            int nparams, const char *const *values,
			            const int *lengths, const int *formats,
			            int *broken, TM_ERROR *err)
{
    PGresult *res, *last = NULL;
    int     flushed, ready;

    if (!PQsendQueryParams(conn, sql, nparams, 0, values, lengths, formats, 0)) {
	*broken = 1;
	tm_error(err, "database query failed: %s", server_error(conn));
	return (NULL);
    }
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
    {
	PGcancel *cancel = PQgetCancel(conn);
	char    buf[256];

	if (cancel) {
	    PQcancel(cancel, buf, sizeof(buf));
	    PQfreeCancel(cancel);
	}
    }
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

/* store_ingest - store one message and its ticket in one transaction */

int     store_ingest(STORE *store, const char *meta_json, const char *raw,
		             size_t raw_len, const char *blobs, size_t blobs_len,
		             char **result_json, TM_ERROR *err)
{
    long long deadline = now_ms() + (long long) store->timeout * 1000;
    const char *values[3] = {meta_json, raw, blobs};
    int     lengths[3] = {0, (int) raw_len, (int) blobs_len};
    int     formats[3] = {0, 1, 1};
    int     broken = 0;
    PGconn *conn;
    PGresult *res;

    if (raw_len > INT32_MAX || blobs_len > INT32_MAX)
	return (tm_error(err, "message too large for the database"));
    if ((conn = store_acquire(store, deadline, err)) == NULL)
	return (-1);
    res = exec_timed(conn, deadline, "SELECT ingest_message($1::jsonb, $2::bytea, $3::bytea)",
		     3, values, lengths, formats, &broken, err);
    store_release(store, conn, broken);
    if (res == NULL)
	return (-1);
    *result_json = g_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return (0);
}
