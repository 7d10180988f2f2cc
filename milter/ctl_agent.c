/*++
/* NAME
/*	ctl_agent 3
/* SUMMARY
/*	ticketctl agent: who answers the tickets of a queue
/* SYNOPSIS
/*	ticketctl agent add ADDRESS --queue QUEUE [--name NAME]
/*	ticketctl agent remove ADDRESS [--queue QUEUE]
/*	ticketctl agent list [--json]
/* DESCRIPTION
/*	An agent is an address that belongs to one or more queues: it is
/*	notified of their new tickets and customer replies. Adding an agent
/*	to a second queue is another "add". "remove" without --queue
/*	removes the agent from every queue. A running daemon picks the
/*	change up at once.
/*
/*	agent list --json prints an array of {address, name, queues}.
/*--*/

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <milter/ctl.h>
#include <milter/queue_addr.h>

#define AGENT_USAGE "agent add ADDRESS --queue QUEUE [--name NAME]\n" \
		    "       ticketctl agent remove ADDRESS [--queue QUEUE]\n" \
		    "       ticketctl agent list [--json]"

/* agent_address - the normalized address argument, or NULL after an error */

static char *agent_address(const char *arg)
{
    char   *address = queue_addr_normalize(arg);

    if (address == NULL)
	ctl_fail("\"%s\" is not an address of the form local@domain", arg);
    return (address);
}

/* agent_add - add an agent to a queue */

static int agent_add(PGconn *conn, int argc, char **argv)
{
    const char *queue = ctl_option(&argc, argv, "--queue");
    const char *name = ctl_option(&argc, argv, "--name");
    char   *address;
    PGresult *res;

    if (argc != 3 || queue == NULL)
	return (ctl_usage("agent add ADDRESS --queue QUEUE [--name NAME]"));
    if ((address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[3] = {address, name, queue};

    res = ctl_query(conn,
		    "WITH q AS (SELECT id FROM queues WHERE address = lower($3)),"
		    " a AS (INSERT INTO agents (address, name) SELECT $1, $2 FROM q"
		    "   ON CONFLICT (address) DO UPDATE SET name = coalesce(EXCLUDED.name, agents.name)"
		    "   RETURNING id)"
		    " INSERT INTO agent_queues SELECT a.id, q.id FROM a, q ON CONFLICT DO NOTHING"
		    " RETURNING 1", 3, params);
    if (PQntuples(res) == 0 && PQresultStatus(res) == PGRES_TUPLES_OK) {
	PGresult *check = ctl_query(conn, "SELECT 1 FROM queues WHERE address = lower($3)", 3, params);
	int     queue_exists = PQntuples(check) > 0;

	PQclear(check);
	PQclear(res);
	if (queue_exists)
	    printf("agent %s is in queue %s already\n", address, queue);
	g_free(address);
	return (queue_exists ? 0 : ctl_fail("no queue %s (see ticketctl queue list)", queue));
    }
    printf("agent %s added to queue %s\n", address, queue);
    PQclear(res);
    g_free(address);
    return (0);
}

/* agent_remove - take an agent out of one queue, or out of all */

static int agent_remove(PGconn *conn, int argc, char **argv)
{
    const char *queue = ctl_option(&argc, argv, "--queue");
    char   *address;
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("agent remove ADDRESS [--queue QUEUE]"));
    if ((address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[2] = {address, queue};

    if (queue)
	res = ctl_query(conn, "DELETE FROM agent_queues aq USING agents a, queues q"
			" WHERE aq.agent_id = a.id AND aq.queue_id = q.id"
			" AND a.address = $1 AND q.address = lower($2)", 2, params);
    else
	res = ctl_query(conn, "DELETE FROM agents WHERE address = $1", 1, params);
    if (strcmp(PQcmdTuples(res), "0") == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("no agent %s%s%s", argv[2], queue ? " in queue " : "", queue ? queue : ""));
    }
    printf("agent %s removed%s%s\n", address, queue ? " from queue " : "", queue ? queue : "");
    PQclear(res);
    g_free(address);
    return (0);
}

/* agent_list - the agents and their queues */

static int agent_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("agent list [--json]"));
    res = ctl_query(conn,
		    "WITH x AS (SELECT a.address, a.name, coalesce(array_agg(q.address ORDER BY q.address)"
		    "   FILTER (WHERE q.address IS NOT NULL), '{}') AS queues"
		    "  FROM agents a LEFT JOIN agent_queues aq ON aq.agent_id = a.id"
		    "  LEFT JOIN queues q ON q.id = aq.queue_id GROUP BY a.id)"
		    " SELECT coalesce(json_agg(json_build_object('address', address, 'name', name,"
		    "   'queues', queues) ORDER BY address), '[]'),"
		    " string_agg(format('%-32s %-24s %s', address, coalesce(name, '-'),"
		    "   array_to_string(queues, ', ')), E'\\n' ORDER BY address) FROM x", 0, 0);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no agents yet: add one with 'ticketctl agent add ADDRESS --queue QUEUE'");
    PQclear(res);
    return (0);
}

const char ctl_agent_usage[] = AGENT_USAGE;

/* ctl_agent - dispatch "agent" subcommands */

int     ctl_agent(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
	return (agent_add(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
	return (agent_remove(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (agent_list(conn, argc, argv));
    return (ctl_usage(AGENT_USAGE));
}
