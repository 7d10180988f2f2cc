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
/*
/*	This module also holds what templates and canned answers
/*	(ctl_canned(3)) share: ctl_template_read(), ctl_queue_or_default()
/*	and ctl_texts_set(), _show(), _list() (see ctl.h).
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

/* ctl_template_read - a template file, checked against names; NULL after an error */

char   *ctl_template_read(const char *path, const char *const *names)
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
    } else if (template_check_names(text, names, &err) < 0) {
	ctl_fail("%s, %s", path, err.text);
    } else {
	return (text);
    }
    g_free(text);
    return (NULL);
}

/* ctl_queue_or_default - 0 when QUEUE is a queue or "default", else an exit status */

int     ctl_queue_or_default(PGconn *conn, const char *queue)
{
    const char *params[1] = {queue};
    PGresult *res;
    int     found;

    if (strcmp(queue, "default") == 0)
	return (0);
    res = ctl_query(conn, "SELECT 1 FROM queues WHERE address = lower($1)", 1, params);
    found = PQntuples(res) > 0;
    PQclear(res);
    return (found ? 0 : ctl_fail("no queue %s (see ticketctl queue list, or use \"default\")", queue));
}

/* check_target - QUEUE and kind arguments; 0, or an exit status */

static int check_target(PGconn *conn, const char *queue, const char *kind)
{
    if (strcmp(kind, "confirm") != 0 && strcmp(kind, "notify") != 0
	&& strcmp(kind, "notice") != 0 && strcmp(kind, "closed") != 0)
	return (ctl_fail("unknown template kind \"%s\": use confirm, notify, notice or closed", kind));
    return (ctl_queue_or_default(conn, queue));
}

/* ctl_texts_set - store a checked text (and HTML) of a kind of texts */

int     ctl_texts_set(PGconn *conn, const CTL_TEXTS *kind, const char *queue, const char *key,
		              const char *lang, const char *text_path, const char *html_path)
{
    char   *text = NULL, *html = NULL, *sql;

    if ((text = ctl_template_read(text_path, kind->names)) == NULL
	|| (html_path && (html = ctl_template_read(html_path, kind->names)) == NULL)) {
	g_free(text);
	return (1);
    }
    const char *params[5] = {queue, key, lang ? lang : "en", text, html};

    sql = g_strdup_printf("INSERT INTO %s (queue_id, %s, language, text_body, html_body)"
			  " VALUES (" CTL_QUEUE_ID ", lower($2), lower($3), $4, $5)"
			  " ON CONFLICT ((coalesce(queue_id, 0)), %s, language) DO UPDATE"
			  " SET text_body = EXCLUDED.text_body, html_body = EXCLUDED.html_body,"
			  "     updated_at = now()", kind->table, kind->key, kind->key);
    PQclear(ctl_query(conn, sql, 5, params));
    printf("%s %s %s (%s) set\n", kind->what, queue, key, params[2]);
    g_free(sql);
    g_free(text);
    g_free(html);
    return (0);
}

/* ctl_texts_show - print one text as stored */

int     ctl_texts_show(PGconn *conn, const CTL_TEXTS *kind, const char *queue, const char *key,
		               const char *lang)
{
    const char *params[3] = {queue, key, lang ? lang : "en"};
    char   *sql = g_strdup_printf("SELECT text_body, html_body FROM %s"
				  " WHERE coalesce(queue_id, 0) = coalesce(" CTL_QUEUE_ID ", 0)"
				  " AND %s = lower($2) AND language = lower($3)", kind->table, kind->key);
    PGresult *res = ctl_query(conn, sql, 3, params);

    g_free(sql);
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (ctl_fail("no %s %s for %s in language %s (see ticketctl %s list)",
			 kind->what, key, queue, params[2], kind->command));
    }
    fputs(PQgetvalue(res, 0, 0), stdout);
    if (!PQgetisnull(res, 0, 1))
	printf("\n--- HTML ---\n%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* ctl_texts_list - every text of a kind there is */

int     ctl_texts_list(PGconn *conn, const CTL_TEXTS *kind, int json)
{
    char   *sql = g_strdup_printf(
		    "SELECT coalesce(json_agg(json_build_object('queue', q.address, '%s', t.%s,"
		    "   'language', t.language, 'html', t.html_body IS NOT NULL,"
		    "   'updated_at', t.updated_at) ORDER BY q.address NULLS FIRST, t.%s, t.language), '[]'),"
		    " string_agg(format('%%-28s %%-20s %%-4s %%s', coalesce(q.address, 'default'), t.%s,"
		    "   t.language, CASE WHEN t.html_body IS NULL THEN 'text' ELSE 'text+html' END),"
		    "   E'\\n' ORDER BY q.address NULLS FIRST, t.%s, t.language)"
		    " FROM %s t LEFT JOIN queues q ON q.id = t.queue_id",
		    kind->key, kind->key, kind->key, kind->key, kind->key, kind->table);
    PGresult *res = ctl_query(conn, sql, 0, 0);

    g_free(sql);
    if (json)
	ctl_print_json(res);
    else if (PQgetisnull(res, 0, 1))
	printf("no %ss\n", kind->what);
    else
	puts(PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* The templates, for ctl_texts_*(). */
static const CTL_TEXTS templates = {"templates", "kind", "template", "template", template_variables};

/* template_set - store a checked template */

static int template_set(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    const char *text_path = ctl_option(&argc, argv, "--text");
    const char *html_path = ctl_option(&argc, argv, "--html");
    int     status;

    if (argc != 4 || text_path == NULL)
	return (ctl_usage("template set QUEUE confirm|notify|notice|closed [--lang LL] --text FILE [--html FILE]"));
    if ((status = check_target(conn, argv[2], argv[3])) != 0)
	return (status);
    return (ctl_texts_set(conn, &templates, argv[2], argv[3], lang, text_path, html_path));
}

/* template_show - print one template as stored */

static int template_show(PGconn *conn, int argc, char **argv)
{
    const char *lang = ctl_option(&argc, argv, "--lang");
    int     status;

    if (argc != 4)
	return (ctl_usage("template show QUEUE confirm|notify|notice|closed [--lang LL]"));
    if ((status = check_target(conn, argv[2], argv[3])) != 0)
	return (status);
    return (ctl_texts_show(conn, &templates, argv[2], argv[3], lang));
}

/* template_list - every template there is */

static int template_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");

    if (argc != 2)
	return (ctl_usage("template list [--json]"));
    return (ctl_texts_list(conn, &templates, json));
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
