#ifndef MILTER_CTL_H
#define MILTER_CTL_H

/*++
/* NAME
/*	ctl 3h
/* SUMMARY
/*	what the ticketctl commands share
/* SYNOPSIS
/*	#include <milter/ctl.h>
/*
/*	typedef int CTL_COMMAND(PGconn *conn, int argc, char **argv);
/*
/*	PGresult *ctl_query(PGconn *conn, const char *sql, int nparams,
/*			    const char *const *params)
/*
/*	void	ctl_print_json(PGresult *res)
/*
/*	int	ctl_usage(const char *text)
/*
/*	int	ctl_fail(const char *fmt, ...)
/*
/*	int	ctl_flag(int *argc, char **argv, const char *flag)
/*
/*	const char *ctl_option(int *argc, char **argv, const char *name)
/* DESCRIPTION
/*	Each command module exports its run function and its usage text
/*	(ctl_queue and ctl_queue_usage, ...).
/*
/*	A command gets the connection and its own arguments (argv[0] is
/*	its name) and returns the exit status: 0 done, 1 failed, 2 wrong
/*	usage.
/*
/*	ctl_query() runs a parameterized query; on an error it prints the
/*	server's reason and exits with status 1.
/*
/*	ctl_print_json() prints the one JSON value that the query built
/*	(json_agg and friends), so that JSON output comes from one place.
/*
/*	ctl_usage() prints "usage: ticketctl TEXT" and returns 2;
/*	ctl_fail() prints "ticketctl: TEXT" and returns 1.
/*
/*	ctl_flag() removes a --flag from argv and says if it was there;
/*	ctl_option() removes "--name VALUE" and returns VALUE or NULL.
/*--*/

#include <libpq-fe.h>
#include <milter/log.h>

typedef int CTL_COMMAND(PGconn *, int, char **);

extern PGresult *ctl_query(PGconn *, const char *, int, const char *const *);
extern void ctl_print_json(PGresult *);
extern int ctl_usage(const char *);
extern int ctl_fail(const char *,...) TM_PRINTF(1, 2);
extern int ctl_flag(int *, char **, const char *);
extern const char *ctl_option(int *, char **, const char *);

extern CTL_COMMAND ctl_queue, ctl_ticket;
extern const char ctl_queue_usage[], ctl_ticket_usage[];

#endif
