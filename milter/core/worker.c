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
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
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
    char   *listen;

    if (conn == NULL) {
	if (!worker->warned++)
	    msg_warn("%s: %s; retrying", worker->name, err.text);
	return (NULL);
    }
    listen = g_strdup_printf("LISTEN %s", channel);
    PQclear(PQexec(conn, listen));
    g_free(listen);
    worker->warned = 0;
    return (conn);
}

/* worker_wait - sleep until a notification, the time, or stop; 1 = stop */

int     worker_wait(WORKER *worker, PGconn *conn, int seconds)
{
    return (store_wait_notify(worker->stop_pipe[0], conn, seconds));
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
