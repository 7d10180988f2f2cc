/*++
/* NAME
/*	worker 3
/* SUMMARY
/*	a background thread of the daemon that can be told to stop
/* DESCRIPTION
/*	See worker.h. The stop request is a byte on a pipe, so that one
/*	poll() waits for it and for the database socket together.
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/query.h>
#include <milter/core/store.h>
#include <milter/core/worker.h>

/* worker_start - start the thread */

void    worker_start(WORKER *worker, const char *name, void *(*main) (void *), void *arg)
{
    int     ret;

    worker->name = name;
    if (pipe(worker->stop_pipe) < 0)
	msg_fatal("%s: pipe: %m", name);
    if ((ret = pthread_create(&worker->thread, NULL, main, arg)) != 0)
	msg_fatal("%s: cannot start thread: %s", name, g_strerror(ret));
    worker->started = 1;
}

/* worker_connect - a connection LISTENing on channel, or NULL */

PGconn *worker_connect(WORKER *worker, const char *conninfo, int timeout, const char *channel)
{
    TM_ERROR err;
    PGconn *conn = store_connect(conninfo, timeout, &err);
    PGresult *res;
    char   *listen;

    if (conn == NULL) {
	if (!worker->warned++)
	    msg_warn("%s: %s; retrying", worker->name, err.text);
	return (NULL);
    }
    listen = g_strdup_printf("LISTEN %s", channel);
    res = worker_query(worker, conn, timeout, "listening for changes", listen, 0, 0, 0, 0);
    g_free(listen);
    if (res == NULL) {
	PQfinish(conn);
	return (NULL);
    }
    PQclear(res);
    worker->warned = 0;
    return (conn);
}

/* worker_query - one query by the DatabaseTimeout; NULL, logged, on failure */

PGresult *worker_query(WORKER *worker, PGconn *conn, int timeout, const char *what,
		               const char *sql, int nparams, const char *const *values,
		               const int *lengths, const int *formats)
{
    TM_ERROR err;
    int     broken = 0;
    PGresult *res;

    res = query_exec(conn, query_deadline(timeout), sql, nparams, values, lengths, formats,
		     &broken, &err);
    if (res == NULL && strcmp(err.code, QUERY_TIMED_OUT) == 0)
	msg_warn("%s: %s: %s (%d s), cancelled; will retry", worker->name, what, err.text, timeout);
    else if (res == NULL)
	msg_warn("%s: %s: %s", worker->name, what, err.text);
    return (res);
}

/* worker_exec - worker_query() without lengths and formats; 0, or -1
 * logged; the result in *result, or cleared when result is NULL */

int     worker_exec(WORKER *worker, PGconn *conn, int timeout, const char *what,
		            const char *sql, int nparams, const char *const *values,
		            PGresult **result)
{
    PGresult *res = worker_query(worker, conn, timeout, what, sql, nparams, values, 0, 0);

    if (res == NULL)
	return (-1);
    if (result)
	*result = res;
    else
	PQclear(res);
    return (0);
}

/* worker_rollback - end the transaction, unless conn is still busy */

void    worker_rollback(WORKER *worker, PGconn *conn, int timeout)
{
    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_ACTIVE)
	worker_exec(worker, conn, timeout, "rolling back", "ROLLBACK", 0, 0, NULL);
}

/* worker_seconds - the whole seconds sql answers (NULL: limit), from 1 to
 * limit; -1, logged, on failure */

int     worker_seconds(WORKER *worker, PGconn *conn, int timeout, const char *what,
		               const char *sql, int limit)
{
    PGresult *res;
    int     seconds = limit;

    if (worker_exec(worker, conn, timeout, what, sql, 0, 0, &res) < 0)
	return (-1);
    if (!PQgetisnull(res, 0, 0))
	seconds = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return (seconds < 1 ? 1 : seconds > limit ? limit : seconds);
}

/* worker_wait - sleep until a notification, the time, or stop; 1 = stop */

int     worker_wait(WORKER *worker, PGconn *conn, int seconds)
{
    return (query_wait_notify(worker->stop_pipe[0], conn, seconds));
}

/* worker_stop - ask the thread to end and wait for it */

void    worker_stop(WORKER *worker)
{
    if (!worker->started)
	return;
    if (write(worker->stop_pipe[1], "x", 1) < 0)
	msg_warn("%s: cannot signal stop: %m", worker->name);
    pthread_join(worker->thread, NULL);
    close(worker->stop_pipe[0]);
    close(worker->stop_pipe[1]);
    worker->started = 0;
}
