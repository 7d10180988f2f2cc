/*++
/* NAME
/*	ctl_queue 3
/* SUMMARY
/*	ticketctl queue: the support addresses
/* SYNOPSIS
/*	ticketctl queue add ADDRESS [--name NAME] [--confirm WHO] [--language LL]
/*	ticketctl queue set ADDRESS [--name NAME] [--confirm WHO] [--language LL]
/*		[--retention-days N|none]
/*	ticketctl queue list [--json]
/*	ticketctl queue remove ADDRESS [--keep-tickets]
/* DESCRIPTION
/*	A queue is one support address. Adding one takes effect in a
/*	running daemon at once (the queues table notifies it).
/*
/*	--confirm says who gets a confirmation of a new ticket:
/*	"authenticated" (the default: senders whose domain DMARC, or an
/*	aligned SPF or DKIM pass, proves), "always" or "never".
/*	--language is the queue's language for mail when the customer's
/*	is not known (default en). --retention-days N lets ticketctl
/*	purge delete the queue's tickets closed N days ago or longer;
/*	0 or none keeps them for ever, the default.
/*
/*	queue remove deletes a queue that has no tickets. It never
/*	deletes tickets: a queue with tickets is refused unless
/*	--keep-tickets, which retires it instead: the daemon stops taking
/*	mail for the address (and its reply addresses) at once, and the
/*	tickets stay. queue add takes a retired queue back into service.
/*
/*	queue list --json prints an array of objects with the members
/*	address, name, confirm, language, created_at (ISO 8601),
/*	retired_at (or null), retention_days (null: for ever) and
/*	tickets (how many).
/*--*/

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/queue_addr.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define QUEUE_OPTIONS "[--name NAME] [--confirm authenticated|always|never] [--language LL]"
#define RETENTION_OPTION "[--retention-days N|none]"
#define RETENTION_MAX	36500		/* days; a century */
#define QUEUE_USAGE "queue add ADDRESS " QUEUE_OPTIONS "\n" \
		    "       ticketctl queue set ADDRESS " QUEUE_OPTIONS " " RETENTION_OPTION "\n" \
		    "       ticketctl queue list [--json]\n" \
		    "       ticketctl queue remove ADDRESS [--keep-tickets]"

/* check_settings - valid --confirm and --language values; 0 or an exit status */

static int check_settings(const char *confirm, const char *language)
{
    if (confirm && strcmp(confirm, "authenticated") != 0 && strcmp(confirm, "always") != 0
	&& strcmp(confirm, "never") != 0)
	return (ctl_fail("--confirm %s: use authenticated, always or never", confirm));
    if (language && (strlen(language) < 2 || strlen(language) > 8
		     || strspn(language, "abcdefghijklmnopqrstuvwxyz-") != strlen(language)))
	return (ctl_fail("--language %s: use a language tag such as en or de", language));
    return (0);
}

/* check_retention - a valid --retention-days value; "0" for none, NULL if invalid */

static const char *check_retention(const char *days)
{
    char   *end;
    long    n;

    if (strcmp(days, "none") == 0)
	return ("0");
    n = strtol(days, &end, 10);
    if (*days < '0' || *days > '9' || *end != 0 || n < 0 || n > RETENTION_MAX)
	return (NULL);
    return (days);
}

/* queue_unretire - take a retired queue back; 1 if it was retired */

static int queue_unretire(PGconn *conn, const char *address)
{
    const char *params[1] = {address};
    PGresult *res = ctl_query(conn, "UPDATE queues SET retired_at = NULL"
			      " WHERE address = $1 AND retired_at IS NOT NULL", 1, params);
    int     was = strcmp(PQcmdTuples(res), "1") == 0;

    PQclear(res);
    if (was)
	printf("queue %s taken back into service\n", address);
    return (was);
}

/* queue_add - add one support address */

static int queue_add(PGconn *conn, int argc, char **argv)
{
    const char *name = ctl_option(&argc, argv, "--name");
    const char *confirm = ctl_option(&argc, argv, "--confirm");
    const char *language = ctl_option(&argc, argv, "--language");
    char   *address;
    PGresult *res;
    int     status;

    if (argc != 3)
	return (ctl_usage("queue add ADDRESS " QUEUE_OPTIONS));
    if ((status = check_settings(confirm, language)) != 0)
	return (status);
    if ((address = queue_addr_normalize(argv[2])) == NULL)
	return (ctl_fail("\"%s\" is not an address of the form local@domain", argv[2]));
    if (strchr(address, '+'))
	return (ctl_fail("\"%s\": a queue address cannot hold '+' (reply addresses use it)", address));
    if (queue_unretire(conn, address)) {
	g_free(address);
	return (0);
    }
    const char *params[4] = {address, name ? name : address, confirm, language};

    res = ctl_query(conn, "INSERT INTO queues (address, name, confirm, language)"
		    " VALUES ($1, $2, coalesce($3, 'authenticated'), coalesce($4, 'en'))"
		    " ON CONFLICT (address) DO NOTHING", 4, params);
    if (strcmp(PQcmdTuples(res), "0") == 0)
	printf("queue %s exists already\n", address);
    else
	printf("queue %s added\n", address);
    PQclear(res);
    g_free(address);
    return (0);
}

/* queue_set - change a queue's name, confirmation policy, language or retention */

static int queue_set(PGconn *conn, int argc, char **argv)
{
    const char *name = ctl_option(&argc, argv, "--name");
    const char *confirm = ctl_option(&argc, argv, "--confirm");
    const char *language = ctl_option(&argc, argv, "--language");
    const char *retention = ctl_option(&argc, argv, "--retention-days");
    const char *days = 0;
    PGresult *res;
    int     status;

    if (argc != 3 || (!name && !confirm && !language && !retention))
	return (ctl_usage("queue set ADDRESS " QUEUE_OPTIONS " " RETENTION_OPTION));
    if ((status = check_settings(confirm, language)) != 0)
	return (status);
    if (retention && (days = check_retention(retention)) == NULL)
	return (ctl_fail("--retention-days %s: use a number of days up to %d, or 0 or none"
			 " to keep the tickets for ever", retention, RETENTION_MAX));
    const char *params[5] = {argv[2], name, confirm, language, days};

    res = ctl_query(conn, "UPDATE queues SET name = coalesce($2, name),"
		    " confirm = coalesce($3, confirm), language = coalesce($4, language),"
		    " retention_days = CASE WHEN $5::integer IS NULL THEN retention_days"
		    "  ELSE nullif($5::integer, 0) END"
		    " WHERE address = lower($1)", 5, params);
    if (strcmp(PQcmdTuples(res), "0") == 0) {
	PQclear(res);
	return (ctl_fail("no queue %s (see ticketctl queue list)", argv[2]));
    }
    printf("queue %s changed\n", argv[2]);
    PQclear(res);
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
		    "  'address', q.address, 'name', q.name, 'confirm', q.confirm,"
		    "  'language', q.language, 'created_at', q.created_at, 'retired_at', q.retired_at,"
		    "  'retention_days', q.retention_days,"
		    "  'tickets', (SELECT count(*) FROM tickets t WHERE t.queue_id = q.id))"
		    "  ORDER BY q.address), '[]'),"
		    " string_agg(format('%-32s %-24s confirm %-13s %-3s %s', q.address, q.name,"
		    "  q.confirm, q.language,"
		    "  (SELECT count(*) FROM tickets t WHERE t.queue_id = q.id) || ' ticket(s)'"
		    "  || CASE WHEN q.retention_days IS NOT NULL"
		    "   THEN ', purged ' || q.retention_days || ' days after closing' ELSE '' END"
		    "  || CASE WHEN q.retired_at IS NOT NULL THEN ', retired' ELSE '' END),"
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

/* queue_remove - delete a queue without tickets, or retire one */

static int queue_remove(PGconn *conn, int argc, char **argv)
{
    int     keep = ctl_flag(&argc, argv, "--keep-tickets");
    char   *address;
    const char *id, *tickets;
    PGresult *res, *done;
    int     status = 0;

    if (argc != 3)
	return (ctl_usage("queue remove ADDRESS [--keep-tickets]"));
    if ((address = queue_addr_normalize(argv[2])) == NULL)
	return (ctl_fail("\"%s\" is not an address of the form local@domain", argv[2]));
    const char *params[1] = {address};

    res = ctl_query(conn, "SELECT q.id, (SELECT count(*) FROM tickets t WHERE t.queue_id = q.id)"
		    " FROM queues q WHERE q.address = $1", 1, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	status = ctl_fail("no queue %s (see ticketctl queue list)", address);
	g_free(address);
	return (status);
    }
    id = PQgetvalue(res, 0, 0);
    tickets = PQgetvalue(res, 0, 1);
    if (keep) {
	const char *retire[1] = {id};

	PQclear(ctl_query(conn, "UPDATE queues SET retired_at = coalesce(retired_at, now())"
			  " WHERE id = $1", 1, retire));
	printf("queue %s retired: its %s ticket(s) stay; mail to it and to its reply"
	       " addresses is no longer taken ('ticketctl queue add %s' takes it back)\n",
	       address, tickets, address);
    } else if (strcmp(tickets, "0") != 0) {
	status = ctl_fail("queue %s has %s ticket(s), and ticketctl never deletes tickets;"
			  " to stop taking mail for it and keep them:"
			  " ticketctl queue remove %s --keep-tickets", address, tickets, address);
    } else {
	const char *remove[1] = {id};

	/* Not if a ticket came meanwhile; what else refers to it says so. */
	done = PQexecParams(conn, "DELETE FROM queues q WHERE q.id = $1"
			    " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.queue_id = q.id)",
			    1, 0, remove, 0, 0, 0);
	if (PQresultStatus(done) != PGRES_COMMAND_OK)
	    status = ctl_fail("queue %s not removed: %s (use --keep-tickets to retire it instead)",
			      address, PQresultErrorField(done, PG_DIAG_MESSAGE_DETAIL) ?
			      PQresultErrorField(done, PG_DIAG_MESSAGE_DETAIL) : PQresultErrorMessage(done));
	else if (strcmp(PQcmdTuples(done), "1") != 0)
	    status = ctl_fail("queue %s got a ticket meanwhile: not removed", address);
	else
	    printf("queue %s removed\n", address);
	PQclear(done);
    }
    PQclear(res);
    g_free(address);
    return (status);
}

const char ctl_queue_usage[] = QUEUE_USAGE;

/* ctl_queue - dispatch "queue" subcommands */

int     ctl_queue(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
	return (queue_add(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "set") == 0)
	return (queue_set(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (queue_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
	return (queue_remove(conn, argc, argv));
    return (ctl_usage(QUEUE_USAGE));
}
