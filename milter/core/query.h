#ifndef MILTER_QUERY_H
#define MILTER_QUERY_H

/*++
/* NAME
/*	query 3h
/* SUMMARY
/*	deadline-bound PostgreSQL queries on any connection
/* SYNOPSIS
/*	#include <milter/core/query.h>
/*
/*	long long query_deadline(int seconds)
/*
/*	long long query_now_ms(void)
/*
/*	PGresult *query_exec(PGconn *conn, long long deadline,
/*			     const char *sql, int nparams,
/*			     const char *const *values, const int *lengths,
/*			     const int *formats, int *broken, TM_ERROR *err)
/*
/*	PGresult *query_sent(PGconn *conn, int sent, long long deadline,
/*			     int *broken, TM_ERROR *err)
/*
/*	PGresult *query_result(PGconn *conn, long long deadline,
/*			       int *broken, TM_ERROR *err)
/*
/*	int	query_copy_begin(PGconn *conn, long long deadline,
/*				 const char *sql, TM_ERROR *err)
/*
/*	int	query_copy_put(PGconn *conn, long long deadline,
/*			       const void *data, size_t len)
/*
/*	int	query_copy_end(PGconn *conn, long long deadline)
/*
/*	int	query_wait_notify(int stop_fd, PGconn *conn, int seconds)
/*
/*	int	query_notified(PGconn *conn)
/*
/*	const char *query_error_line(PGconn *conn)
/* DESCRIPTION
/*	A query must not hold a thread past its deadline, whatever the
/*	database does: a held lock, a hung server, a lost network. The
/*	queries are sent with libpq's asynchronous calls and waited for
/*	with poll() until the deadline, a monotonic time in milliseconds
/*	(query_deadline() is seconds from now, query_now_ms() now).
/*
/*	query_exec() sends one parameterized query (the arguments of
/*	PQexecParams(), text results) and returns its last result, or
/*	NULL with the reason in err. Past the deadline the query is
/*	cancelled on the server, and err says the database did not answer
/*	within the DatabaseTimeout, with err->code QUERY_TIMED_OUT.
/*	Refusals of SQLSTATE class TM (the project's own, for the SMTP
/*	client) come with their primary text only; other failures say
/*	"database query failed" and carry the SQLSTATE in err->code.
/*	*broken is set when the connection cannot be used again: timed
/*	out (a cancelled query may still be running), lost, a call that
/*	libpq refused, or a server that has become a read-only standby
/*	(a switchover: a new connection finds the new primary through
/*	target_session_attrs=read-write); the caller closes it, which
/*	rolls back its open transaction. *broken is left alone otherwise.
/*
/*	query_sent() does the same for a query already sent with another
/*	PQsend* call, sent being that call's answer; query_result() waits
/*	for the last result of what was sent (after a COPY, its own).
/*
/*	query_copy_begin() sends sql, a COPY FROM STDIN, and returns 0 when
/*	the server waits for data; query_copy_put() sends one piece of it
/*	(in chunks libpq sends at once, so that it never holds much) and
/*	query_copy_end() ends it; then query_result() reads the COPY's
/*	result. They put conn in non-blocking mode until query_copy_end().
/*
/*	query_wait_notify() waits, for a thread that LISTENs on conn (may
/*	be NULL), until a notification arrives (and consumes it), a byte
/*	can be read from stop_fd, or seconds pass. It returns 1 when
/*	stop_fd is readable: the thread is asked to stop. query_notified()
/*	drops the notifications libpq has read on conn (may be NULL) and
/*	returns 1 if there were any.
/*
/*	query_error_line() is libpq's last error for conn, on one line (a
/*	buffer of the calling thread, until its next call).
/* DIAGNOSTICS
/*	query_copy_begin(), query_copy_put() and query_copy_end() return
/*	-1 on failure or past the deadline; the connection is then broken.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

/* err->code of a query past its deadline: SQLSTATE query_canceled. */
#define QUERY_TIMED_OUT	"57014"

extern long long query_now_ms(void);
extern long long query_deadline(int);
extern PGresult *query_exec(PGconn *, long long, const char *, int, const char *const *,
			            const int *, const int *, int *, TM_ERROR *);
extern PGresult *query_sent(PGconn *, int, long long, int *, TM_ERROR *);
extern PGresult *query_result(PGconn *, long long, int *, TM_ERROR *);
extern int query_copy_begin(PGconn *, long long, const char *, TM_ERROR *);
extern int query_copy_put(PGconn *, long long, const void *, size_t);
extern int query_copy_end(PGconn *, long long);
extern int query_wait_notify(int, PGconn *, int);
extern int query_notified(PGconn *);
extern const char *query_error_line(PGconn *);

#endif
