#ifndef MILTER_MIGRATIONS_H
#define MILTER_MIGRATIONS_H

/*++
/* NAME
/*	migrations 3h
/* SUMMARY
/*	the schema: numbered migrations applied once each, then the
/*	current SQL functions
/* SYNOPSIS
/*	#include <milter/core/migrations.h>
/*
/*	extern const MIGRATION migrations[];
extern const char migrations_code[];
extern const char migrations_code_id[];
/*	extern const char migrations_code[], migrations_code_id[];
/*
/*	int	migrations_latest(void)
/*
/*	int	migrations_applied(PGconn *conn, int *version, TM_ERROR *err)
/*
/*	int	migrations_apply(PGconn *conn, int dry_run, FILE *out,
/*				 TM_ERROR *err)
/*
/*	int	migrations_check(PGconn *conn, int functions, TM_ERROR *err)
/*	int	migrations_code_apply(PGconn *conn, TM_ERROR *err)
/*
/*	int	migrations_ready(PGconn *conn, TM_ERROR *err)
/* DESCRIPTION
/*	The build compiles sql/NNN_name.sql into migrations[], in order
/*	and ending with a zero version. Applied versions are recorded in
/*	the table schema_migrations. The migrations hold tables, indexes
/*	and data changes; the functions, views and triggers have their
/*	current bodies in sql/functions/, which the build joins into
/*	migrations_code, named by its SHA-256 (migrations_code_id) in the
/*	table schema_code once applied.
/*
/*	migrations_latest() is the newest version this build knows.
/*	migrations_applied() reports the newest applied version (0 for an
/*	empty database).
/*
/*	migrations_apply() applies the pending migrations, each in its own
/*	transaction under an advisory lock (two concurrent runs apply each
/*	once), printing one line per migration to out; with dry_run it
/*	only prints what is pending. It returns the number applied.
/*
/*	migrations_check() fails unless the database is at the version
/*	this build needs; the daemon calls it before it serves.
/*
/*	migrations_ready() is the daemon's check, at start and each time
/*	its queue cache (re)connects (a database that was away at start,
/*	or restored from elsewhere): migrations_check(), then
/*	migrations_code_apply(). It returns 1 when it applied the
/*	functions, 0 when they were current.
/* DIAGNOSTICS
/*	-1 with the reason in err.
/*--*/

/* System library. */
#include <stdio.h>

/* External libraries. */
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

typedef struct MIGRATION {
    int     version;
    const char *name;
    const char *sql;
} MIGRATION;

extern const MIGRATION migrations[];
extern const char migrations_code[];
extern const char migrations_code_id[];

extern int migrations_latest(void);
extern int migrations_applied(PGconn *, int *, TM_ERROR *);
extern int migrations_apply(PGconn *, int, FILE *, TM_ERROR *);
extern int migrations_check(PGconn *, int, TM_ERROR *);
extern int migrations_code_apply(PGconn *, TM_ERROR *);
extern int migrations_ready(PGconn *, TM_ERROR *);

#endif
