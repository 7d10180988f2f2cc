/*++
/* NAME
/*	ctl_audit 3
/* SUMMARY
/*	ticketctl audit: who read or changed personal data
/* SYNOPSIS
/*	ticketctl audit list [--since TIME] [--json]
/*
/*	void	ctl_audit_session(PGconn *conn)
/*
/*	void	ctl_audit(PGconn *conn, const char *command,
/*			  const char *kind, const char *id,
/*			  const char *detail_json)
/*
/*	void	ctl_audit_address(PGconn *conn, const char *command,
/*				  const char *address)
/* DESCRIPTION
/*	audit list prints the audit log since TIME (a duration back from
/*	now, 30d, 12h, or a date; default 30d), oldest first; --json an
/*	array of {at, os_user, db_user, command, object, detail}.
/*
/*	ctl_audit_session() names the OS user running ticketctl (its
/*	login name, or its uid when it has none) to the database session
/*	as tm.os_user, once after connecting; audit_record() (SQL) reads it.
/*
/*	ctl_audit() records one reading or change of personal data through
/*	audit_record(); the object is KIND:ID (ticket:NUMBER, message:ID,
/*	address-hash:HEX). On an error ticketctl exits before it prints
/*	the data (no record, no data). DETAIL_JSON may be NULL.
/*
/*	ctl_audit_address() records a reading about a person: the object
/*	is the keyed hash of the address, never the address.
/*--*/

/* System library. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define AUDIT_USAGE "audit list [--since TIME] [--json]"

/* ctl_audit_session - tell the session which OS user runs ticketctl */

void    ctl_audit_session(PGconn *conn)
{
    struct passwd *pw = getpwuid(getuid());
    char    uid[32];
    const char *params[1];

    snprintf(uid, sizeof(uid), "uid %lu", (unsigned long) getuid());
    params[0] = pw && pw->pw_name ? pw->pw_name : uid;
    PQclear(ctl_query(conn, "SELECT set_config('tm.os_user', $1, false)", 1, params));
}

/* ctl_audit - record one reading or change of personal data */

void    ctl_audit(PGconn *conn, const char *command, const char *kind, const char *id,
		          const char *detail_json)
{
    const char *params[4] = {command, kind, id, detail_json};

    PQclear(ctl_query(conn, "SELECT audit_record($1, $2 || ':' || $3, $4::jsonb)", 4, params));
}

/* ctl_audit_address - record a reading about a person, named by the
 * keyed hash of the address only */

void    ctl_audit_address(PGconn *conn, const char *command, const char *address)
{
    const char *params[1] = {address};
    PGresult *res = ctl_query(conn, "SELECT privacy_hash($1)", 1, params);

    ctl_audit(conn, command, "address-hash", PQgetvalue(res, 0, 0), NULL);
    PQclear(res);
}

/* audit_list - the audit log since a time */

static int audit_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    const char *since_arg = ctl_option(&argc, argv, "--since");
    char   *interval = NULL, *date = NULL;
    PGresult *res;

    if (argc != 2)
	return (ctl_usage(AUDIT_USAGE));
    if (ctl_since_value(since_arg ? since_arg : "30d", &interval, &date) < 0)
	return (ctl_fail("--since %s: use a duration back from now (30d, 12h, 90m, 2w) or a date (2026-11-01)",
			 since_arg));
    const char *params[2] = {interval, date};

    res = ctl_query(conn,
		    "WITH r AS (SELECT * FROM audit_log"
		    "  WHERE at >= coalesce(now() - $1::interval, $2::timestamptz))"
		    " SELECT (SELECT coalesce(json_agg(json_build_object('at', at, 'os_user', os_user,"
		    "   'db_user', db_user, 'command', command, 'object', object, 'detail', detail)"
		    "   ORDER BY id), '[]') FROM r),"
		    " (SELECT coalesce(string_agg(format('%s  %-10s %-10s %-24s %s%s', date_trunc('second', at),"
		    "   os_user, db_user, command, coalesce(object, '-'),"
		    "   CASE WHEN detail = '{}' THEN '' ELSE '  ' || detail::text END), E'\\n' ORDER BY id),"
		    "   '(no records)') FROM r)", 2, params);
    if (json)
	ctl_print_json(res);
    else
	puts(PQgetvalue(res, 0, 1));
    PQclear(res);
    g_free(interval);
    g_free(date);
    return (0);
}

const char ctl_audit_usage[] = AUDIT_USAGE;

/* ctl_audit_command - dispatch "audit" subcommands */

int     ctl_audit_command(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (audit_list(conn, argc, argv));
    return (ctl_usage(AUDIT_USAGE));
}
