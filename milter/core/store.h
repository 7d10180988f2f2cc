#ifndef MILTER_STORE_H
#define MILTER_STORE_H

/*++
/* NAME
/*	store 3h
/* SUMMARY
/*	PostgreSQL connections: connect one, or share a pool
/* SYNOPSIS
/*	#include <milter/core/store.h>
/*
/*	PGconn	*store_connect(const char *conninfo, int timeout, TM_ERROR *err)
/*
/*	STORE	*store_create(const char *conninfo, int pool_size, int timeout)
/*
/*	void	store_free(STORE *store)
/*
/*	int	store_timeout(const STORE *store)
/*
/*	PGconn	*store_acquire(STORE *store, long long deadline, int *fresh,
/*			       TM_ERROR *err)
/*
/*	void	store_release(STORE *store, PGconn *conn, int broken)
/* DESCRIPTION
/*	store_connect() opens one connection, within timeout seconds
/*	(ticketctl, the daemon's threads, the pool), shared among the
/*	hosts a multi-host conninfo lists, which libpq tries in turn
/*	(unless the conninfo sets connect_timeout, per host). Its error is libpq's,
/*	on one line; a TLS certificate that did not verify gets a hint.
/*
/*	A STORE is a pool of at most pool_size connections shared by the
/*	milter's threads, opened on demand; timeout is the DatabaseTimeout
/*	its users bound each operation with (store_timeout()), waiting for
/*	a free connection included, so that the milter can tempfail before
/*	the MTA gives up on it. The queries themselves are query(3)'s.
/*
/*	store_acquire() returns a live connection by the deadline (a
/*	query_deadline()), an idle one if there is one, else a new one if
/*	fewer than pool_size are open; *fresh is set to 1 for a new one
/*	(its user may prepare statements there) and to 0 otherwise.
/*	store_release() returns it to the pool; a broken one (broken
/*	nonzero, or closed, or still in a transaction) is closed instead.
/* DIAGNOSTICS
/*	NULL, with the reason in err: the database is unreachable, or all
/*	pool_size connections stayed busy until the deadline.
/*--*/

/* External libraries. */
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct STORE STORE;

extern PGconn *store_connect(const char *, int, TM_ERROR *);
extern STORE *store_create(const char *, int, int);
extern void store_free(STORE *);
extern int store_timeout(const STORE *);
extern PGconn *store_acquire(STORE *, long long, int *, TM_ERROR *);
extern void store_release(STORE *, PGconn *, int);

#endif
