/*++
/* NAME
/*	ctl_webhook 3
/* SUMMARY
/*	ticketctl webhook: the webhooks of a queue and their deliveries
/* SYNOPSIS
/*	ticketctl webhook add URL --queue QUEUE --events EVENT,...
/*
/*	ticketctl webhook list [--json]
/*
/*	ticketctl webhook deliveries [--failed] [--json]
/*
/*	ticketctl webhook retry ID
/*
/*	ticketctl webhook remove ID
/* DESCRIPTION
/*	add makes a webhook: ticket-milter's senders POST the queue's
/*	events of the kinds named (ticket.created, message.received,
/*	ticket.updated) to URL, an http or https URL and nothing else,
/*	signed with a random secret that add prints once. The secret is
/*	stored as it is, since the senders sign with it (SECURITY.md).
/*	A webhook lives in its queue's region (ctl_region.c).
/*
/*	list prints the webhooks (never a secret) with their waiting and
/*	failed deliveries; deliveries prints the newest 200 deliveries,
/*	--failed only those given up on. --json prints arrays of
/*	{id, url, queue, events, created_at, pending, failed} and
/*	{id, delivery, webhook, event, ticket, state, attempts,
/*	last_status, last_error, next_attempt, created_at, delivered_at}.
/*
/*	retry sends a failed (or waiting) delivery again now; remove
/*	deletes a webhook with its deliveries: what was not sent yet is
/*	never sent.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/apikey.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define WEBHOOK_USAGE "webhook add URL --queue QUEUE --events EVENT,...\n" \
		      "       ticketctl webhook list [--json]\n" \
		      "       ticketctl webhook deliveries [--failed] [--json]\n" \
		      "       ticketctl webhook retry ID\n" \
		      "       ticketctl webhook remove ID"

static const char *const webhook_events[] = {"ticket.created", "message.received",
"ticket.updated", 0};

/* webhook_url_ok - an http(s) URL with a host, no white space or control */

static int webhook_url_ok(const char *url)
{
    const char *rest = g_str_has_prefix(url, "http://") ? url + 7
    : g_str_has_prefix(url, "https://") ? url + 8 : NULL;

    if (rest == NULL || strlen(url) > 2048 || strchr("/?#", *rest) || *rest == 0)
	return (0);
    for (const char *p = url; *p; p++)
	if ((unsigned char) *p <= ' ' || *p == 0x7f)
	    return (0);
    return (1);
}

/* webhook_event_list - EVENT,... as a text[] literal, or NULL after saying
 * which one is unknown */

static char *webhook_event_list(const char *value)
{
    char  **names = g_strsplit(value, ",", -1);
    GString *array = g_string_new("{");
    int     i, known;

    for (i = 0; names[i]; i++) {
	known = 0;
	for (int k = 0; webhook_events[k]; k++)
	    known |= strcmp(names[i], webhook_events[k]) == 0;
	if (!known) {
	    ctl_fail("unknown event \"%s\": use ticket.created, message.received,"
		     " ticket.updated", names[i]);
	    g_strfreev(names);
	    g_string_free(array, TRUE);
	    return (NULL);
	}
	g_string_append_printf(array, "%s%s", i ? "," : "", names[i]);
    }
    g_strfreev(names);
    g_string_append_c(array, '}');
    return (g_string_free(array, FALSE));
}

/* webhook_add - make a webhook; print its secret once */

static int webhook_add(PGconn *conn, int argc, char **argv)
{
    const char *queue = ctl_option(&argc, argv, "--queue");
    const char *events = ctl_option(&argc, argv, "--events");
    char    secret[APIKEY_TOKEN_SIZE];
    char   *list;
    PGresult *res;
    int     status;

    if (argc != 3 || queue == NULL || events == NULL)
	return (ctl_usage("webhook add URL --queue QUEUE --events EVENT,..."));
    if (!webhook_url_ok(argv[2]))
	return (ctl_fail("\"%s\" is not an http:// or https:// URL with a host", argv[2]));
    if ((list = webhook_event_list(events)) == NULL)
	return (1);
    if (apikey_token_new(secret) < 0) {
	g_free(list);
	return (ctl_fail("no random bytes for a secret"));
    }
    const char *params[4] = {argv[2], queue, list, secret};

    res = ctl_query(conn, "INSERT INTO webhooks (url, queue_id, events, secret)"
		    " SELECT $1, q.id, ARRAY(SELECT e FROM unnest($3::text[]) WITH ORDINALITY u(e, n)"
		    "  GROUP BY e ORDER BY min(n)), $4"
		    " FROM queues q WHERE q.address = lower($2) RETURNING id", 4, params);
    status = PQntuples(res) == 1 ? 0 : ctl_fail("no queue %s (see ticketctl queue list)", queue);
    if (status == 0) {
	/* The only time the secret is shown. */
	printf("%s\n", secret);
	fprintf(stderr, "webhook %s: keep this secret now to check the signatures;"
		" it is not shown again\n", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    g_free(list);
    return (status);
}

/* webhook_print - the JSON (column 0) or the text (column 1, or empty) */

static void webhook_print(PGresult *res, int json, const char *empty)
{
    if (json)
	ctl_print_json(res);
    else
	puts(PQgetisnull(res, 0, 1) ? empty : PQgetvalue(res, 0, 1));
    PQclear(res);
}

/* webhook_list - the webhooks, never a secret */

static int webhook_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("webhook list [--json]"));
    res = ctl_query(conn, "SELECT coalesce(json_agg(json_build_object('id', w.id, 'url', w.url,"
		    "  'queue', q.address, 'events', w.events, 'created_at', w.created_at,"
		    "  'pending', n.pending, 'failed', n.failed) ORDER BY w.id), '[]'),"
		    " string_agg(format('%-4s %-28s %s %s (%s waiting, %s failed)', w.id, q.address,"
		    "  w.url, array_to_string(w.events, ','), n.pending, n.failed), E'\\n' ORDER BY w.id)"
		    " FROM webhooks w JOIN queues q ON q.id = w.queue_id,"
		    " LATERAL (SELECT count(*) FILTER (WHERE d.state = 'pending') AS pending,"
		    "  count(*) FILTER (WHERE d.state = 'failed') AS failed"
		    "  FROM webhook_deliveries d WHERE d.webhook_id = w.id) n", 0, 0);
    webhook_print(res, json, "no webhooks");
    return (0);
}

/* webhook_deliveries - the newest deliveries, or the failed ones */

static int webhook_deliveries(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    int     failed = ctl_flag(&argc, argv, "--failed");
    const char *params[1] = {failed ? "failed" : NULL};
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("webhook deliveries [--failed] [--json]"));
    res = ctl_query(conn, "SELECT coalesce(json_agg(json_build_object('id', d.id, 'delivery', d.delivery,"
		    "  'webhook', d.webhook_id, 'event', d.event, 'ticket', d.ticket_number,"
		    "  'state', d.state, 'attempts', d.attempts, 'last_status', d.last_status,"
		    "  'last_error', d.last_error, 'next_attempt', d.next_attempt,"
		    "  'created_at', d.created_at, 'delivered_at', d.delivered_at) ORDER BY d.id), '[]'),"
		    " string_agg(format('%-6s %-4s %-16s %-10s %-9s %s attempt(s)%s', d.id, d.webhook_id,"
		    "  d.event, d.ticket_number, d.state, d.attempts,"
		    "  coalesce(': ' || d.last_error, '')), E'\\n' ORDER BY d.id)"
		    " FROM (SELECT * FROM webhook_deliveries WHERE $1::text IS NULL OR state = $1"
		    "  ORDER BY id DESC LIMIT 200) d", 1, params);
    webhook_print(res, json, failed ? "no failed deliveries" : "no deliveries");
    return (0);
}

/* webhook_by_id - retry or remove ID: run sql ($1 the id); 0 if a row */

static int webhook_by_id(PGconn *conn, int argc, char **argv, const char *sql,
			         const char *what, const char *done)
{
    PGresult *res;
    int     status;

    if (argc != 3)
	return (ctl_usage(strcmp(argv[1], "retry") == 0 ? "webhook retry ID" : "webhook remove ID"));
    if (strspn(argv[2], "0123456789") != strlen(argv[2]) || strlen(argv[2]) > 18 || !*argv[2])
	return (ctl_fail("\"%s\" is not a %s id", argv[2], what));
    const char *params[1] = {argv[2]};

    res = ctl_query(conn, sql, 1, params);
    if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
	printf("%s %s %s\n", what, argv[2], done);
	status = 0;
    } else {
	status = ctl_fail("no %s %s here (see ticketctl webhook %s)", what, argv[2],
			  strcmp(what, "webhook") == 0 ? "list" : "deliveries");
    }
    PQclear(res);
    return (status);
}

const char ctl_webhook_usage[] = WEBHOOK_USAGE;

/* ctl_webhook - dispatch "webhook" subcommands */

int     ctl_webhook(PGconn *conn, int argc, char **argv)
{
    const char *sub = argc >= 2 ? argv[1] : "";

    if (strcmp(sub, "add") == 0)
	return (webhook_add(conn, argc, argv));
    if (strcmp(sub, "list") == 0)
	return (webhook_list(conn, argc, argv));
    if (strcmp(sub, "deliveries") == 0)
	return (webhook_deliveries(conn, argc, argv));
    if (strcmp(sub, "retry") == 0)
	return (webhook_by_id(conn, argc, argv, "SELECT webhook_retry($1::bigint)",
			      "delivery", "will be sent again now"));
    if (strcmp(sub, "remove") == 0)
	return (webhook_by_id(conn, argc, argv,
			      "WITH gone AS (DELETE FROM webhooks WHERE id = $1::bigint RETURNING 1)"
			      " SELECT EXISTS (SELECT 1 FROM gone)", "webhook",
			      "removed, with its deliveries"));
    return (ctl_usage(WEBHOOK_USAGE));
}
