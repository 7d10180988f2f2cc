/*++
/* NAME
/*	ctl_template 3
/* SUMMARY
/*	ticketctl template: the texts of confirmations, notifications, notices
/* SYNOPSIS
/*	ticketctl template set QUEUE confirm|notify|notice|closed [--lang LL] --text FILE [--html FILE]
/*	ticketctl template show QUEUE confirm|notify|notice|closed [--lang LL]
/*	ticketctl template list [--json]
/* DESCRIPTION
/*	QUEUE is a queue address, or "default" for the template every
/*	queue falls back to. confirm is the customer's confirmation,
/*	notify the agents' notification, notice the short answer to an
/*	agent whose reply held a command not understood ({{event}} says
/*	what was wrong), closed the customer's news that the ticket was
/*	closed. A template is UTF-8 text with {{variable}}
/*	fields (template(3) lists them); one with an unknown variable or
/*	bad syntax is refused, naming the file, line and name. The HTML
/*	version, when given, makes the mail multipart/alternative.
/*
/*	The language of a mail is the customer's, when known, else the
/*	queue's; a template in that language for that queue is taken
/*	first, then the default one, then English. Built in are the
/*	default templates in English (en), German (de), French (fr),
/*	Spanish (es) and Portuguese (pt).
/*
/*	template list --json prints an array of {queue, kind, language,
/*	html, updated_at} (queue null for the defaults).
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/template.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define TEMPLATE_USAGE "template set QUEUE confirm|notify|notice|closed [--lang LL] --text FILE [--html FILE]\n" \
		       "       ticketctl template show QUEUE confirm|notify|notice|closed [--lang LL]\n" \
		       "       ticketctl template list [--json]"

/* The queue id of a QUEUE argument: NULL for "default". */
#define QUEUE_ID "(SELECT id FROM queues WHERE address = lower($1) AND $1 <> 'default')"

/* read_template - a template file, checked; NULL after an error */

static char *read_template(const char *path)
{
    char   *text = NULL;
    GError *error = NULL;
    TM_ERROR err;

    if (!g_file_get_contents(path, &text, NULL, &error)) {
	ctl_fail("%s", error->message);
	g_error_free(error);
	return (NULL);
    }
    if (!g_utf8_validate(text, -1, NULL)) {
	ctl_fail("%s: not UTF-8 text", path);
    } else if (template_check(text, &err) < 0) {
	ctl_fail("%s, %s", path, err.text);
    } else {
	return (text);
    }
    g_free(text);
    return (NULL);
}

/* check_target - QUEUE and kind arguments; 0, or an exit status */

static int check_target(PGconn *conn, const char *queue, const char *kind)
{
    const char *params[1] = {queue};
    PGresult *res;
    int     found;

    if (strcmp(kind, "confirm") != 0 && strcmp(kind, "notify") != 0
	&& strcmp(kind, "notice") != 0 && strcmp(kind, "closed") != 0)
	return (ctl_fail("unknown template kind \"%s\": use confirm, notify, notice or closed", kind));
    if (strcmp(queue, "default") == 0)
	return (0);
    res = ctl_query(conn, "SELECT 1 FROM queues WHERE address = lower($1)", 1, params);
    found = PQntuples(res) > 0;
    PQclear(res);
    return (found ? 0 : ctl_fail("no queue %s (see ticketctl queue list, or use \"default\")", queue));
}

/* template_set - store a checked template */

static int template_set(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    const char *text_path = ctl_option(&argc, argv, "--text");
    const char *html_path = ctl_option(&argc, argv, "--html");
    char   *text = NULL, *html = NULL;
    int     status;

    if (argc != 4 || text_path == NULL)
	return (ctl_usage("template set QUEUE confirm|notify|notice|closed [--lang LL] --text FILE [--html FILE]"));
    if ((status = check_target(conn, argv[2], argv[3])) != 0)
	return (status);
    if ((text = read_template(text_path)) == NULL
	|| (html_path && (html = read_template(html_path)) == NULL)) {
	g_free(text);
	return (1);
    }
    const char *params[5] = {argv[2], argv[3], lang ? lang : "en", text, html};

    PQclear(ctl_query(conn,
		      "INSERT INTO templates (queue_id, kind, language, text_body, html_body)"
		      " VALUES (" QUEUE_ID ", $2, lower($3), $4, $5)"
		      " ON CONFLICT ((coalesce(queue_id, 0)), kind, language) DO UPDATE"
		      " SET text_body = EXCLUDED.text_body, html_body = EXCLUDED.html_body,"
		      "     updated_at = now()", 5, params));
    printf("template %s %s (%s) set\n", argv[2], argv[3], params[2]);
    g_free(text);
    g_free(html);
    return (0);
}

/* template_show - print one template as stored */

static int template_show(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    PGresult *res;
    int     status;

    if (argc != 4)
	return (ctl_usage("template show QUEUE confirm|notify|notice|closed [--lang LL]"));
    if ((status = check_target(conn, argv[2], argv[3])) != 0)
	return (status);
    const char *params[3] = {argv[2], argv[3], lang ? lang : "en"};

    res = ctl_query(conn, "SELECT text_body, html_body FROM templates"
		    " WHERE coalesce(queue_id, 0) = coalesce(" QUEUE_ID ", 0)"
		    " AND kind = $2 AND language = lower($3)", 3, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (ctl_fail("no %s template for %s in language %s (see ticketctl template list)",
			 argv[3], argv[2], params[2]));
    }
    fputs(PQgetvalue(res, 0, 0), stdout);
    if (!PQgetisnull(res, 0, 1))
	printf("\n--- HTML ---\n%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* template_list - every template there is */

static int template_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("template list [--json]"));
    res = ctl_query(conn,
		    "SELECT coalesce(json_agg(json_build_object('queue', q.address, 'kind', t.kind,"
		    "   'language', t.language, 'html', t.html_body IS NOT NULL,"
		    "   'updated_at', t.updated_at) ORDER BY q.address NULLS FIRST, t.kind, t.language), '[]'),"
		    " string_agg(format('%-28s %-8s %-4s %s', coalesce(q.address, 'default'), t.kind,"
		    "   t.language, CASE WHEN t.html_body IS NULL THEN 'text' ELSE 'text+html' END),"
		    "   E'\\n' ORDER BY q.address NULLS FIRST, t.kind, t.language)"
		    " FROM templates t LEFT JOIN queues q ON q.id = t.queue_id", 0, 0);
    if (json)
	ctl_print_json(res);
    else
	puts(PQgetisnull(res, 0, 1) ? "no templates" : PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

const char ctl_template_usage[] = TEMPLATE_USAGE;

/* ctl_template - dispatch "template" subcommands */

int     ctl_template(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "set") == 0)
	return (template_set(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
	return (template_show(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (template_list(conn, argc, argv));
    return (ctl_usage(TEMPLATE_USAGE));
}
