#ifndef MILTER_WORKER_H
#define MILTER_WORKER_H

/*++
/* NAME
/*	worker 3h
/* SUMMARY
/*	a background thread of the daemon that can be told to stop
/* SYNOPSIS
/*	#include <milter/core/worker.h>
/*
/*	void	worker_start(WORKER *worker, const char *name,
/*			     void *(*main)(void *), void *arg)
/*
/*	PGconn	*worker_connect(WORKER *worker, const char *conninfo,
/*				int timeout, const char *channel)
/*
/*	PGresult *worker_query(WORKER *worker, PGconn *conn, int timeout,
/*			       const char *what, const char *sql, int nparams,
/*			       const char *const *values, const int *lengths,
/*			       const int *formats)
/*
/*	int	worker_exec(WORKER *worker, PGconn *conn, int timeout,
/*			    const char *what, const char *sql, int nparams,
/*			    const char *const *values, PGresult **result)
/*
/*	void	worker_rollback(WORKER *worker, PGconn *conn, int timeout)
/*
/*	int	worker_seconds(WORKER *worker, PGconn *conn, int timeout,
/*			       const char *what, const char *sql, int limit)
/*
/*	int	worker_wait(WORKER *worker, PGconn *conn, int seconds)
/*
/*	void	worker_stop(WORKER *worker)
/* DESCRIPTION
/*	The queue cache and the outbox sender are threads that LISTEN on
/*	a database connection and sleep between rounds. worker_start()
/*	starts one; inside it, worker_connect() opens a connection that
/*	LISTENs on channel (NULL on failure, logged once until it works
/*	again), worker_query() runs one query on it, and worker_wait()
/*	sleeps until a notification
/*	on conn (may be NULL), seconds pass, or worker_stop() asks it to
/*	end (then it returns 1). worker_stop() waits for the thread and
/*	does nothing for a worker never started.
/*
/*	A stalled database (a held lock, a hung server) must not hold
/*	the thread: worker_query() and the LISTEN of worker_connect() end
/*	within timeout seconds, the DatabaseTimeout (query(3)), the query
/*	cancelled past it. worker_query() takes the arguments of
/*	PQexecParams() and returns the result (PQclear() it); on failure
/*	it logs a warning naming the worker and what, a phrase saying
/*	what the query was for ("taking the next due mail"), and returns
/*	NULL. The thread should then close conn (which rolls back what it
/*	had begun) and try again later: a connection whose query timed
/*	out is still busy.
/*
/*	worker_exec() is worker_query() for text parameters: 0 with the
/*	result in *result (or cleared, result NULL), or -1. worker_rollback()
/*	ends the transaction unless conn is still busy with a query.
/*	worker_seconds() runs sql, whose one value is a number of seconds
/*	(or NULL: limit), and returns it within 1 to limit, or -1: how
/*	long a sender may sleep before something is due.
/* DIAGNOSTICS
/*	worker_start() exits the daemon when no thread can be started.
/*--*/

/* System library. */
#include <pthread.h>

/* External libraries. */
#include <libpq-fe.h>

typedef struct WORKER {
    const char *name;			/* for log lines */
    pthread_t thread;
    int     stop_pipe[2];		/* written to ask the thread to stop */
    int     started;
    int     warned;			/* a connect failure was logged */
} WORKER;

extern void worker_start(WORKER *, const char *, void *(*) (void *), void *);
extern PGconn *worker_connect(WORKER *, const char *, int, const char *);
extern PGresult *worker_query(WORKER *, PGconn *, int, const char *, const char *, int,
			             const char *const *, const int *, const int *);
extern int worker_exec(WORKER *, PGconn *, int, const char *, const char *, int,
		               const char *const *, PGresult **);
extern void worker_rollback(WORKER *, PGconn *, int);
extern int worker_seconds(WORKER *, PGconn *, int, const char *, const char *, int);
extern int worker_wait(WORKER *, PGconn *, int);
extern void worker_stop(WORKER *);

#endif
