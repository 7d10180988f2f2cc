/*++
/* NAME
/*	ctl_purge 3
/* SUMMARY
/*	ticketctl purge: delete closed tickets past their queue's retention
/* SYNOPSIS
/*	ticketctl purge [--dry-run]
/* DESCRIPTION
/*	purge deletes the tickets closed longer ago than their queue's
/*	retention (ticketctl queue set ADDRESS --retention-days N; a
/*	queue without one keeps its tickets for ever): their messages,
/*	attachments, events, participants and outgoing mail, the tickets
/*	merged into them, the attachment contents no other message has,
/*	and the contacts no ticket is left for. It prints per queue what
/*	it deleted. The package's daily timer runs it.
/*
/*	It deletes PURGE_BATCH tickets a transaction (purge_batch() in
/*	sql/functions/retention.sql), so the daemon, storing mail all the
/*	while, waits for no more than one batch; a ticket the daemon holds
/*	is left for the next run, and one that a reply reopened meanwhile
/*	stays.
/*
/*	--dry-run prints per queue what a purge would delete now and
/*	changes nothing.
/* DIAGNOSTICS
/*	Exit status 1 when the database fails a batch; the batches before
/*	it stay deleted.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define PURGE_USAGE	"purge [--dry-run]"
#define PURGE_BATCH	"100"		/* tickets a transaction */

/* purge_preview - print what a purge would delete now */

static int purge_preview(PGconn *conn)
{
    PGresult *res = ctl_query(conn, "SELECT queue, retention_days, tickets, messages, attachments"
			      " FROM purge_preview()", 0, 0);

    for (int r = 0; r < PQntuples(res); r++)
	printf("queue %s (closed %s days ago or longer): would delete %s ticket(s),"
	       " %s message(s), %s attachment(s)\n", PQgetvalue(res, r, 0),
	       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
	       PQgetvalue(res, r, 4));
    if (PQntuples(res) == 0)
	puts("no queue has a retention: every ticket is kept"
	     " (ticketctl queue set ADDRESS --retention-days N)");
    PQclear(res);
    return (0);
}

/* purge_report - print per queue what the batches (a JSON array) deleted */

static void purge_report(PGconn *conn, const char *batches)
{
    const char *params[1] = {batches};
    PGresult *res = ctl_query(conn,
			      "WITH b AS (SELECT value FROM jsonb_array_elements($1::jsonb)),"
			      " q AS (SELECT e.key, e.value FROM b, jsonb_each(b.value->'queues') e)"
			      " SELECT 1, key, format('queue %s: deleted %s ticket(s), %s message(s), %s attachment(s)',"
			      "  key, sum((value->>'tickets')::bigint),"
			      "  sum((value->>'messages')::bigint), sum((value->>'attachments')::bigint))"
			      " FROM q GROUP BY key"
			      " UNION ALL SELECT 2, '', format('deleted %s attachment content(s) and %s contact(s)"
			      " nothing refers to any more; %s ticket(s) in use left for the next run',"
			      "  coalesce(sum((value->>'blobs')::bigint), 0),"
			      "  coalesce(sum((value->>'contacts')::bigint), 0),"
			      "  coalesce(sum((value->>'skipped')::bigint), 0)) FROM b ORDER BY 1, 2",
			      1, params);

    for (int r = 0; r < PQntuples(res); r++)
	puts(PQgetvalue(res, r, 2));
    PQclear(res);
}

/* purge_run - delete batch after batch until no due ticket is left */

static int purge_run(PGconn *conn)
{
    GString *batches = g_string_new("[");
    char   *after = g_strdup("0");
    PGresult *res;
    int     status = 0;

    for (;;) {
	const char *params[2] = {after, PURGE_BATCH};

	res = PQexecParams(conn, "SELECT r, r->>'after' FROM purge_batch($1::bigint, $2::integer) r",
			   2, 0, params, 0, 0, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	    status = ctl_fail("purge stopped: %s", PQresultErrorMessage(res));
	    PQclear(res);
	    break;
	}
	if (PQgetisnull(res, 0, 1)) {
	    PQclear(res);
	    break;
	}
	g_string_append(batches, batches->len > 1 ? "," : "");
	g_string_append(batches, PQgetvalue(res, 0, 0));
	g_free(after);
	after = g_strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
    }
    g_string_append_c(batches, ']');
    if (strcmp(batches->str, "[]") == 0)
	puts("nothing to purge");
    else
	purge_report(conn, batches->str);
    g_string_free(batches, TRUE);
    g_free(after);
    return (status);
}

/* ctl_purge - delete, or with --dry-run count, the tickets past retention */

int     ctl_purge(PGconn *conn, int argc, char **argv)
{
    int     dry_run = ctl_flag(&argc, argv, "--dry-run");

    if (argc != 1)
	return (ctl_usage(PURGE_USAGE));
    return (dry_run ? purge_preview(conn) : purge_run(conn));
}

const char ctl_purge_usage[] = PURGE_USAGE;
