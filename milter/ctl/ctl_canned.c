/*++
/* NAME
/*	ctl_canned 3
/* SUMMARY
/*	ticketctl canned: the canned answers agents use with #canned NAME
/* SYNOPSIS
/*	ticketctl canned set QUEUE NAME [--lang LL] --text FILE [--html FILE]
/*	ticketctl canned show QUEUE NAME [--lang LL]
/*	ticketctl canned list [--json]
/*	ticketctl canned remove QUEUE NAME [--lang LL]
/* DESCRIPTION
/*	A canned answer is a text an agent puts in an answer with the
/*	command line "#canned NAME" (agent_commands() in
/*	sql/functions/agent_commands.sql): the line is replaced by the text,
/*	its {{fields}} filled in. QUEUE is a queue address, or "default"
/*	for an answer every queue may use; the queue's own comes first.
/*	NAME is 1 to 64 of a-z, 0-9, ".", "_" and "-" (matched without
/*	regard to case). The language is the customer's, when known, else
/*	the queue's, else English, as for templates.
/*
/*	The files are UTF-8 with the syntax of templates (template(3)),
/*	checked when set: a bad one is refused, naming the file, line and
/*	field. The fields are those canned_variables lists, filled by
/*	canned_values() in sql/functions/agent_commands.sql.
/*
/*	canned remove without --lang removes the answer in every language.
/*	canned list --json prints an array of {queue, name, language,
/*	html, updated_at} (queue null for the defaults).
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define CANNED_USAGE "canned set QUEUE NAME [--lang LL] --text FILE [--html FILE]\n" \
		     "       ticketctl canned show QUEUE NAME [--lang LL]\n" \
		     "       ticketctl canned list [--json]\n" \
		     "       ticketctl canned remove QUEUE NAME [--lang LL]"

/* The fields of a canned answer: the keys of canned_values() in SQL. */
static const char *const canned_variables[] = {
    "ticket_number", "ticket_subject", "customer_name", "customer_address",
    "agent_name", "agent_address", "queue_name", "queue_address", 0,
};

/* name_invalid - 0 for a canned answer's name, else 1 after saying why */

static int name_invalid(const char *name)
{
    size_t  len = strlen(name);

    if (len == 0 || len > 64 || !g_ascii_isalnum(*name))
	return (ctl_fail("\"%s\" is not a canned answer name: 1 to 64 of a-z, 0-9, \".\", \"_\", \"-\","
			 " starting with a letter or digit", name));
    for (const char *p = name; *p; p++)
	if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
	    return (ctl_fail("\"%s\" is not a canned answer name: 1 to 64 of a-z, 0-9, \".\", \"_\", \"-\"",
			     name));
    return (0);
}

/* The canned answers, for ctl_texts_*(). */
static const CTL_TEXTS canned = {"canned", "name", "canned answer", "canned", canned_variables};

/* canned_set - store a checked canned answer */

static int canned_set(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    const char *text_path = ctl_option(&argc, argv, "--text");
    const char *html_path = ctl_option(&argc, argv, "--html");
    int     status;

    if (argc != 4 || text_path == NULL)
	return (ctl_usage("canned set QUEUE NAME [--lang LL] --text FILE [--html FILE]"));
    if (name_invalid(argv[3]))
	return (1);
    if ((status = ctl_queue_or_default(conn, argv[2])) != 0)
	return (status);
    return (ctl_texts_set(conn, &canned, argv[2], argv[3], lang, text_path, html_path));
}

/* canned_show - print one canned answer as stored */

static int canned_show(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    int     status;

    if (argc != 4)
	return (ctl_usage("canned show QUEUE NAME [--lang LL]"));
    if ((status = ctl_queue_or_default(conn, argv[2])) != 0)
	return (status);
    return (ctl_texts_show(conn, &canned, argv[2], argv[3], lang));
}

/* canned_list - every canned answer there is */

static int canned_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");

    if (argc != 2)
	return (ctl_usage("canned list [--json]"));
    return (ctl_texts_list(conn, &canned, json));
}

/* canned_remove - remove a canned answer, in one language or in all */

static int canned_remove(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    PGresult *res;
    int     status;

    if (argc != 4)
	return (ctl_usage("canned remove QUEUE NAME [--lang LL]"));
    if ((status = ctl_queue_or_default(conn, argv[2])) != 0)
	return (status);
    const char *params[3] = {argv[2], argv[3], lang};

    res = ctl_query(conn, "DELETE FROM canned"
		    " WHERE coalesce(queue_id, 0) = coalesce(" CTL_QUEUE_ID ", 0)"
		    " AND name = lower($2) AND ($3::text IS NULL OR language = lower($3))", 3, params);
    status = strcmp(PQcmdTuples(res), "0") == 0;
    if (!status)
	printf("canned answer %s %s removed (%s)\n", argv[2], argv[3], PQcmdTuples(res));
    PQclear(res);
    return (status ? ctl_fail("no canned answer %s for %s%s%s (see ticketctl canned list)",
			      argv[3], argv[2], lang ? " in language " : "", lang ? lang : "") : 0);
}

const char ctl_canned_usage[] = CANNED_USAGE;

/* ctl_canned - dispatch "canned" subcommands */

int     ctl_canned(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "set") == 0)
	return (canned_set(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
	return (canned_show(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (canned_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
	return (canned_remove(conn, argc, argv));
    return (ctl_usage(CANNED_USAGE));
}
