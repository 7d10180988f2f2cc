/*++
/* NAME
/*	ctl_outbox 3
/* SUMMARY
/*	ticketctl outbox: outgoing mail, waiting, sent and failed
/* SYNOPSIS
/*	ticketctl outbox [list] [--pending] [--failed] [--json]
/*	ticketctl outbox retry ID
/* DESCRIPTION
/*	outbox list shows the mail not yet sent: the mail waiting (to be
/*	sent or tried again) and the mail given up on, each with its
/*	status and last reason, after a line with the two counts.
/*	--pending or --failed shows only one of the two. --json prints
/*	an array of {id,
/*	ticket, kind, recipient, message_id, status, attempts,
/*	next_attempt_at, last_error, created_at, sent_at}.
/*
/*	outbox retry puts a failed (or waiting) mail back in line now.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define OUTBOX_USAGE "outbox [list] [--pending] [--failed] [--json]\n" \
		     "       ticketctl outbox retry ID"

/* outbox_list - waiting and failed outgoing mail, with counts */

static int outbox_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    int     failed = ctl_flag(&argc, argv, "--failed");
    int     pending = ctl_flag(&argc, argv, "--pending");
    const char *params[2] = {failed && !pending ? "failed" : "pending",
    pending && !failed ? "pending" : "failed"};
    PGresult *res;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "list") != 0))
	return (ctl_usage("outbox [list] [--pending] [--failed] [--json]"));
    res = ctl_query(conn,
		    "SELECT coalesce(json_agg(json_build_object('id', o.id, 'ticket', t.number,"
		    "   'kind', o.kind, 'recipient', o.recipient, 'message_id', o.message_id,"
		    "   'status', o.status, 'attempts', o.attempts, 'next_attempt_at', o.next_attempt_at,"
		    "   'last_error', o.last_error, 'created_at', o.created_at, 'sent_at', o.sent_at)"
		    "   ORDER BY o.id), '[]'),"
		    " string_agg(format('%-6s %-10s %-13s %-7s %-30s %s attempt(s)%s', o.id, coalesce(t.number, '-'),"
		    "   o.kind, o.status, o.recipient, o.attempts, coalesce(': ' || o.last_error, '')),"
		    "   E'\n' ORDER BY o.id),"
		    " (SELECT format('%s waiting, %s failed', count(*) FILTER (WHERE status = 'pending'),"
		    "   count(*) FILTER (WHERE status = 'failed')) FROM outbox WHERE status <> 'sent')"
		    " FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id"
		    " WHERE o.status IN ($1, $2)", 2, params);
    if (json)
	ctl_print_json(res);
    else if (PQgetisnull(res, 0, 1))
	puts(strcmp(params[0], params[1]) != 0 ? "the outbox is empty: nothing waiting, nothing failed"
	     : failed ? "no failed mail" : "no mail waiting");
    else
	printf("%s\n%s\n", PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* outbox_retry - send a failed or waiting mail again, now */

static int outbox_retry(PGconn *conn, int argc, char **argv)
{
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("outbox retry ID"));
    const char *params[1] = {argv[2]};

    if (strspn(argv[2], "0123456789") != strlen(argv[2]))
	return (ctl_fail("\"%s\" is not an outbox id (see ticketctl outbox list --failed)", argv[2]));
    res = ctl_query(conn, "UPDATE outbox SET status = 'pending', next_attempt_at = now(),"
		    " attempts = 0 WHERE id = $1::bigint AND status <> 'sent'", 1, params);
    if (strcmp(PQcmdTuples(res), "0") == 0) {
	PQclear(res);
	return (ctl_fail("no unsent outbox mail %s (see ticketctl outbox list --failed)", argv[2]));
    }
    printf("outbox mail %s will be sent again now\n", argv[2]);
    PQclear(res);
    return (0);
}

const char ctl_outbox_usage[] = OUTBOX_USAGE;

/* ctl_outbox - dispatch "outbox" subcommands */

int     ctl_outbox(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "retry") == 0)
	return (outbox_retry(conn, argc, argv));
    return (outbox_list(conn, argc, argv));
}
