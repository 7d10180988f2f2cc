/*++
/* NAME
/*	query 3
/* SUMMARY
/*	deadline-bound PostgreSQL queries on any connection
/* DESCRIPTION
/*	See query.h. Queries are sent with libpq's asynchronous calls and
/*	waited for with poll(), so that a hung server, a held lock or a
/*	lost network cannot hold a thread past the deadline.
/*--*/

/* System library. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/query.h>

#define COPY_CHUNK	(256 * 1024)
#define READ_ONLY_TRANSACTION	"25006"	/* read_only_sql_transaction */

/* query_now_ms - a monotonic clock in milliseconds */

long long query_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* query_deadline - the time seconds from now */

long long query_deadline(int seconds)
{
    return (query_now_ms() + (long long) seconds * 1000);
}

/* query_error_line - libpq's last error on one line */

const char *query_error_line(PGconn *conn)
{
    static __thread char line[512];
    const char *text = conn ? PQerrorMessage(conn) : "out of memory";
    char   *nl;

    g_strlcpy(line, text, sizeof(line));
    while ((nl = strchr(line, '\n')) != NULL)
	*nl = *(nl + 1) ? ' ' : 0;
    return (line);
}

/* wait_socket - wait for the connection's socket until the deadline */

static int wait_socket(PGconn *conn, short events, long long deadline)
{
    struct pollfd pfd = {.fd = PQsocket(conn), .events = events};
    long long left;
    int     n;

    for (;;) {
	if ((left = deadline - query_now_ms()) <= 0)
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

/* timed_out - cancel the query past its deadline; -1 with the reason */

static int timed_out(PGconn *conn, TM_ERROR *err)
{
    cancel_query(conn);
    tm_error(err, "the database did not answer within the DatabaseTimeout");
    if (err)
	g_strlcpy(err->code, QUERY_TIMED_OUT, sizeof(err->code));
    return (-1);
}

/* flush_timed - send what libpq holds, by the deadline; 0 or -1 */

static int flush_timed(PGconn *conn, long long deadline)
{
    int     flushed;

    while ((flushed = PQflush(conn)) == 1) {
	if (wait_socket(conn, POLLOUT | POLLIN, deadline) <= 0 || !PQconsumeInput(conn))
	    return (-1);
    }
    return (flushed);
}

/* await_idle - read input until a result is ready; 0, or -1 with the reason */

static int await_idle(PGconn *conn, long long deadline, TM_ERROR *err)
{
    while (PQisBusy(conn)) {
	if (wait_socket(conn, POLLIN, deadline) <= 0)
	    return (timed_out(conn, err));
	if (!PQconsumeInput(conn))
	    return (tm_error(err, "lost the database connection: %s", query_error_line(conn)));
    }
    return (0);
}

/* failed_result - the reason a result failed, into err */

static void failed_result(PGconn *conn, PGresult *last, TM_ERROR *err)
{
    const char *state = last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL;

    /* Class TM: our own refusals, whose text is for the SMTP client. */
    if (state && strncmp(state, "TM", 2) == 0)
	tm_error(err, "%s", PQresultErrorField(last, PG_DIAG_MESSAGE_PRIMARY));
    else
	tm_error(err, "database query failed: %s",
		 last ? PQresultErrorMessage(last) : query_error_line(conn));
    if (err && state)
	g_strlcpy(err->code, state, sizeof(err->code));
}

/* read_only - the server is a standby now: a switchover demoted it */

static int read_only(const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    return (state && strcmp(state, READ_ONLY_TRANSACTION) == 0);
}

/* query_result - the last result of the query sent, by the deadline */

PGresult *query_result(PGconn *conn, long long deadline, int *broken, TM_ERROR *err)
{
    PGresult *res, *last = NULL;

    if (flush_timed(conn, deadline) < 0) {
	*broken = 1;
	if (PQstatus(conn) == CONNECTION_OK)
	    timed_out(conn, err);
	else
	    tm_error(err, "lost the database connection: %s", query_error_line(conn));
	return (NULL);
    }
    for (;;) {
	if (await_idle(conn, deadline, err) < 0) {
	    PQclear(last);
	    *broken = 1;
	    return (NULL);
	}
	if ((res = PQgetResult(conn)) == NULL)
	    break;
	PQclear(last);
	last = res;
    }
    if (PQresultStatus(last) != PGRES_TUPLES_OK && PQresultStatus(last) != PGRES_COMMAND_OK) {
	failed_result(conn, last, err);
	if (PQstatus(conn) != CONNECTION_OK || read_only(last))
	    *broken = 1;
	PQclear(last);
	return (NULL);
    }
    return (last);
}

/* query_sent - the result of what was sent (sent = libpq's answer), by the deadline */

PGresult *query_sent(PGconn *conn, int sent, long long deadline, int *broken, TM_ERROR *err)
{
    if (!sent) {
	*broken = 1;
	tm_error(err, "database query failed: %s", query_error_line(conn));
	return (NULL);
    }
    return (query_result(conn, deadline, broken, err));
}

/* query_exec - run one parameterized query by the deadline */

PGresult *query_exec(PGconn *conn, long long deadline, const char *sql, int nparams,
		             const char *const *values, const int *lengths,
		             const int *formats, int *broken, TM_ERROR *err)
{
    return (query_sent(conn, PQsendQueryParams(conn, sql, nparams, 0, values, lengths, formats, 0),
		       deadline, broken, err));
}

/* query_copy_begin - start COPY FROM STDIN; 0 when the server waits for data */

int     query_copy_begin(PGconn *conn, long long deadline, const char *sql, TM_ERROR *err)
{
    PGresult *res;
    int     ret;

    if (!PQsendQuery(conn, sql) || flush_timed(conn, deadline) < 0)
	return (tm_error(err, "database query failed: %s", query_error_line(conn)));
    if (await_idle(conn, deadline, err) < 0)
	return (-1);
    res = PQgetResult(conn);
    ret = PQresultStatus(res) == PGRES_COPY_IN ? 0
	: tm_error(err, "database COPY failed: %s",
		   res ? PQresultErrorMessage(res) : query_error_line(conn));
    PQclear(res);
    if (ret == 0 && PQsetnonblocking(conn, 1) != 0)
	ret = tm_error(err, "database COPY failed: %s", query_error_line(conn));
    return (ret);
}

/* query_copy_put - one piece of COPY data, in chunks that libpq sends at once */

int     query_copy_put(PGconn *conn, long long deadline, const void *data, size_t len)
{
    const char *cp = data;

    while (len > 0) {
	size_t  n = len < COPY_CHUNK ? len : COPY_CHUNK;

	if (PQputCopyData(conn, cp, (int) n) != 1 || flush_timed(conn, deadline) < 0)
	    return (-1);
	cp += n;
	len -= n;
    }
    return (0);
}

/* query_copy_end - end the COPY data; its result is query_result()'s */

int     query_copy_end(PGconn *conn, long long deadline)
{
    int     ret;

    ret = PQputCopyEnd(conn, NULL) == 1 && flush_timed(conn, deadline) == 0 ? 0 : -1;
    PQsetnonblocking(conn, 0);
    return (ret);
}

/* query_notified - drop the notifications read on conn; 1 if there were any */

int     query_notified(PGconn *conn)
{
    PGnotify *note;
    int     got = 0;

    while (conn && (note = PQnotifies(conn)) != NULL) {
	PQfreemem(note);
	got = 1;
    }
    return (got);
}

/* query_wait_notify - wait for a notification, the time, or stop; 1 = stop */

int     query_wait_notify(int stop_fd, PGconn *conn, int seconds)
{
    struct pollfd pfd[2] = {
	{.fd = stop_fd, .events = POLLIN},
	{.fd = conn ? PQsocket(conn) : -1, .events = POLLIN},
    };
    int     n;

    /* A notification read along with an earlier query's result waits here. */
    if (query_notified(conn))
	return (0);
    n = poll(pfd, conn ? 2 : 1, seconds * 1000);
    if (n > 0 && pfd[0].revents)
	return (1);
    if (conn && n > 0 && pfd[1].revents) {
	PQconsumeInput(conn);
	query_notified(conn);
    }
    return (0);
}
