/*++
/* NAME
/*	ctl_ticket 3
/* SUMMARY
/*	ticketctl ticket: list and show tickets
/* SYNOPSIS
/*	ticketctl ticket list [--json] [--queue ADDRESS] [--status STATUS]
/*	ticketctl ticket show NUMBER [--json]
/* DESCRIPTION
/*	ticket list --json prints an array of ticket objects, newest
/*	first: number, queue, subject, status, customer, created_at,
/*	updated_at, messages (a count).
/*
/*	ticket show --json prints one ticket object with the same members,
/*	where messages is an array of message objects: id, direction,
/*	message_id, from_address, from_name, subject, envelope_sender,
/*	envelope_recipients (array), client_ip, helo, mta_queue_id, size,
/*	received_at. Times are ISO 8601 with zone.
/*--*/

#include <stdio.h>
#include <string.h>

#include <milter/ctl.h>

#define TICKET_USAGE "ticket list [--json] [--queue ADDRESS] [--status STATUS]" \
		     " | ticket show NUMBER [--json]"

/* The ticket object, shared by list and show. */
#define TICKET_FIELDS \
    "'number', t.number, 'queue', q.address, 'subject', t.subject," \
    " 'status', t.status, 'customer', t.customer," \
    " 'created_at', t.created_at, 'updated_at', t.updated_at"

/* ticket_list - list tickets, newest first */

static int ticket_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    const char *params[2];
    PGresult *res;

    params[0] = ctl_option(&argc, argv, "--queue");
    params[1] = ctl_option(&argc, argv, "--status");
    if (argc != 2)
	return (ctl_usage("ticket list [--json] [--queue ADDRESS] [--status STATUS]"));
    res = ctl_query(conn,
		    "SELECT coalesce(json_agg(json_build_object(" TICKET_FIELDS ","
		    "   'messages', (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id))"
		    "  ORDER BY t.id DESC), '[]'),"
		    " string_agg(format('%-10s %-8s %-24s %-28s %s', t.number, t.status,"
		    "  q.address, coalesce(t.customer, '-'), t.subject), E'\\n' ORDER BY t.id DESC)"
		    " FROM tickets t JOIN queues q ON q.id = t.queue_id"
		    " WHERE ($1::text IS NULL OR q.address = lower($1))"
		    "   AND ($2::text IS NULL OR t.status = $2)", 2, params);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no tickets");
    PQclear(res);
    return (0);
}

/* ticket_show - one ticket with its messages */

static int ticket_show(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("ticket show NUMBER [--json]"));
    const char *params[1] = {argv[2]};

    res = ctl_query(conn,
		    "SELECT json_build_object(" TICKET_FIELDS ","
		    "  'messages', (SELECT coalesce(json_agg(json_build_object("
		    "     'id', m.id, 'direction', m.direction, 'message_id', m.message_id,"
		    "     'from_address', m.from_address, 'from_name', m.from_name,"
		    "     'subject', m.subject, 'envelope_sender', m.envelope_sender,"
		    "     'envelope_recipients', m.envelope_recipients,"
		    "     'client_ip', host(m.client_ip), 'helo', m.helo,"
		    "     'mta_queue_id', m.mta_queue_id, 'size', m.size,"
		    "     'received_at', m.received_at) ORDER BY m.id), '[]')"
		    "   FROM messages m WHERE m.ticket_id = t.id)),"
		    " format(E'Ticket %s  [%s]  %s\\nQueue:    %s\\nCustomer: %s\\nCreated:  %s\\n',"
		    "  t.number, t.status, t.subject, q.address, coalesce(t.customer, '-'),"
		    "  t.created_at),"
		    " (SELECT string_agg(format(E'\\n#%s %s from %s <%s>, %s bytes, Message-ID <%s>\\n  Subject: %s',"
		    "    m.id, m.received_at, coalesce(m.from_name, ''), coalesce(m.from_address, ''),"
		    "    m.size, coalesce(m.message_id, ''), coalesce(m.subject, '')), E'\\n' ORDER BY m.id)"
		    "  FROM messages m WHERE m.ticket_id = t.id)"
		    " FROM tickets t JOIN queues q ON q.id = t.queue_id WHERE t.number = $1",
		    1, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (ctl_fail("no ticket %s (see ticketctl ticket list)", argv[2]));
    }
    if (json) {
	ctl_print_json(res);
    } else {
	fputs(PQgetvalue(res, 0, 1), stdout);
	puts(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return (0);
}

const char ctl_ticket_usage[] = TICKET_USAGE;

/* ctl_ticket - dispatch "ticket" subcommands */

int     ctl_ticket(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (ticket_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
	return (ticket_show(conn, argc, argv));
    return (ctl_usage(TICKET_USAGE));
}
