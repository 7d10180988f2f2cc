/*++
/* NAME
/*	ctl_digest 3
/* SUMMARY
/*	ticketctl digest: the agents' daily list of their open tickets
/* SYNOPSIS
/*	ticketctl digest send
/* DESCRIPTION
/*	digest send queues, for each agent set to --digest daily (ticketctl
/*	agent set), the list a #list mail to the queue address answers
/*	with: the agent's open tickets and the unassigned ones of the
/*	agent's queues, newest first, at most DIGEST_LIMIT of them. It
/*	comes from the agent's first queue, through the outbox, and wakes
/*	the daemons' senders. An agent who got one in the last 20 hours
/*	gets none now, so a timer that runs twice sends one a day. The
/*	package's daily timer runs it; it prints one line per agent.
/*
/*	The list is agent_ticket_list(), sent by digest_send() in
/*	sql/functions/queue_mail.sql.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define DIGEST_USAGE	"digest send"
#define DIGEST_LIMIT	"30"		/* tickets listed; then "and N more" */

/* ctl_digest - queue the daily digests that are due */

int     ctl_digest(PGconn *conn, int argc, char **argv)
{
    const char *params[2] = {ctl_config()->recipient_delimiter, DIGEST_LIMIT};
    PGresult *res;

    if (argc != 2 || strcmp(argv[1], "send") != 0)
	return (ctl_usage(DIGEST_USAGE));
    res = ctl_query(conn, "SELECT digest_send($1, $2::integer)", 2, params);
    for (int r = 0; r < PQntuples(res); r++)
	printf("digest queued for %s\n", PQgetvalue(res, r, 0));
    if (PQntuples(res) == 0)
	puts("no digest due (agents set to --digest daily get one a day)");
    PQclear(res);
    return (0);
}

const char ctl_digest_usage[] = DIGEST_USAGE;
