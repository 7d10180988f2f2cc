/*++
/* NAME
/*	ctl_queue 3
/* SUMMARY
/*	ticketctl queue: the support addresses
/* SYNOPSIS
/*	ticketctl queue add ADDRESS [--name NAME]
/*	ticketctl queue list [--json]
/* DESCRIPTION
/*	A queue is one support address. Adding one takes effect in a
/*	running daemon at once (the queues table notifies it).
/*
/*	queue list --json prints an array of objects with the members
/*	address, name, created_at (ISO 8601) and tickets (how many).
/*--*/

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include <milter/ctl.h>
#include <milter/queue_addr.h>

#define QUEUE_USAGE "queue add ADDRESS [--name NAME] | queue list [--json]"

/* queue_add - add one support address */

static int queue_add(PGconn *conn, int argc, char **argv)
{
    const char *name = ctl_option(&argc, argv, "--name");
    char   *address;
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("queue add ADDRESS [--name NAME]"));
    if ((address = queue_addr_normalize(argv[2])) == NULL)
	return (ctl_fail("\"%s\" is not an address of the form local@domain", argv[2]));
    if (strchr(address, '+'))
	return (ctl_fail("\"%s\": a queue address cannot hold '+' (reply addresses use it)", address));
    const char *params[2] = {address, name ? name : address};

    res = ctl_query(conn, "INSERT INTO queues (address, name) VALUES ($1, $2)"
		    " ON CONFLICT (address) DO NOTHING", 2, params);
    if (strcmp(PQcmdTuples(res), "0") == 0)
	printf("queue %s exists already\n", address);
    else
	printf("queue %s added\n", address);
    PQclear(res);
    g_free(address);
    return (0);
}

/* queue_list - list the support addresses */

static int queue_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("queue list [--json]"));
    res = ctl_query(conn,
		    "SELECT coalesce(json_agg(json_build_object("
		    "  'address', q.address, 'name', q.name, 'created_at', q.created_at,"
		    "  'tickets', (SELECT count(*) FROM tickets t WHERE t.queue_id = q.id))"
		    "  ORDER BY q.address), '[]'),"
		    " string_agg(format('%-32s %-24s %s', q.address, q.name,"
		    "  (SELECT count(*) FROM tickets t WHERE t.queue_id = q.id) || ' ticket(s)'),"
		    "  E'\\n' ORDER BY q.address)"
		    " FROM queues q", 0, 0);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no queues yet: add one with 'ticketctl queue add ADDRESS'");
    PQclear(res);
    return (0);
}

const char ctl_queue_usage[] = QUEUE_USAGE;

/* ctl_queue - dispatch "queue" subcommands */

int     ctl_queue(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
	return (queue_add(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (queue_list(conn, argc, argv));
    return (ctl_usage(QUEUE_USAGE));
}
