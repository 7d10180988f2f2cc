/*++
/* NAME
/*	ctl_report 3
/* SUMMARY
/*	ticketctl stats and report: what the help desk did
/* SYNOPSIS
/*	ticketctl stats [--json]
/*	ticketctl report queues|agents [--since TIME] [--json | --csv]
/* DESCRIPTION
/*	stats counts, per queue, the tickets in each status and the
/*	messages in and out (each once: an agent's answer relayed to the
/*	customer is out), with the time of the last message, and lists
/*	the latest messages that hit a parser bound (MaximumMime*, ...).
/*	--json prints {queues: [{queue, retired_at, tickets: {new, open,
/*	pending, solved, closed}, messages_in, messages_out,
/*	last_message_at}], bounds_hit: {count, latest: [{message, ticket,
/*	received_at, bounds}]}}.
/*
/*	report reads the SQL function report_figures() (sql/functions/reports.sql,
/*	over the views report_tickets and report_messages), per queue or
/*	per agent, for the period from TIME until now: tickets created and
/*	solved (or closed), customer messages, agent replies, the median
/*	and 90th percentile of the time to the first response, and the
/*	open backlog by age (now). TIME is a duration back from now (30d,
/*	12h, 90m, 2w; default 30d) or a date (2026-11-01). A reply is an
/*	agent's answer that reached a customer, counted once. Per agent,
/*	tickets, customer messages and the backlog count for the tickets'
/*	assignee (unassigned tickets are one row, "(unassigned)"); replies
/*	and first responses for the agent who wrote them.
/*	--json prints an array of objects, --csv a header line and rows.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define STATS_USAGE	"stats [--json]"
#define REPORT_USAGE	"report queues|agents [--since TIME] [--json | --csv]"

/* ctl_stats - tickets and messages per queue and status */

int     ctl_stats(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 1)
	return (ctl_usage(STATS_USAGE));
    res = ctl_query(conn,
		    "WITH tc AS (SELECT t.queue_id,"
		    "   count(*) FILTER (WHERE t.status = 'new') AS new,"
		    "   count(*) FILTER (WHERE t.status = 'open') AS open,"
		    "   count(*) FILTER (WHERE t.status = 'pending') AS pending,"
		    "   count(*) FILTER (WHERE t.status = 'solved') AS solved,"
		    "   count(*) FILTER (WHERE t.status = 'closed') AS closed,"
		    "   count(*) FILTER (WHERE t.status = 'spam') AS spam"
		    "  FROM tickets t GROUP BY t.queue_id),"
		    " mc AS (SELECT m.queue_id, count(*) FILTER (WHERE m.direction = 'in' AND NOT m.answer) AS messages_in,"
		    "   count(*) FILTER (WHERE m.direction = 'out') AS messages_out,"
		    "   max(m.received_at) AS last_message_at"
		    "  FROM report_messages m GROUP BY m.queue_id),"
		    " s AS (SELECT q.address AS queue, q.retired_at, coalesce(tc.new, 0) AS new,"
		    "   coalesce(tc.open, 0) AS open, coalesce(tc.pending, 0) AS pending,"
		    "   coalesce(tc.solved, 0) AS solved, coalesce(tc.closed, 0) AS closed,"
		    "   coalesce(tc.spam, 0) AS spam,"
		    "   coalesce(mc.messages_in, 0) AS messages_in, coalesce(mc.messages_out, 0) AS messages_out,"
		    "   mc.last_message_at"
		    "  FROM queues q LEFT JOIN tc ON tc.queue_id = q.id LEFT JOIN mc ON mc.queue_id = q.id),"
		    " b AS (SELECT m.id, t.number, m.received_at, m.facts->'bounds_hit' AS bounds"
		    "  FROM messages m JOIN tickets t ON t.id = m.ticket_id"
		    "  WHERE jsonb_array_length(coalesce(m.facts->'bounds_hit', '[]')) > 0)"
		    " SELECT json_build_object('queues', (SELECT coalesce(json_agg(json_build_object("
		    "    'queue', s.queue, 'retired_at', s.retired_at, 'tickets', json_build_object("
		    "    'new', s.new, 'open', s.open, 'pending', s.pending, 'solved', s.solved,"
		    "    'closed', s.closed, 'spam', s.spam), 'messages_in', s.messages_in, 'messages_out', s.messages_out,"
		    "    'last_message_at', s.last_message_at) ORDER BY s.queue), '[]') FROM s),"
		    "  'bounds_hit', json_build_object('count', (SELECT count(*) FROM b),"
		    "    'latest', (SELECT coalesce(json_agg(json_build_object('message', x.id,"
		    "     'ticket', x.number, 'received_at', x.received_at, 'bounds', x.bounds)"
		    "     ORDER BY x.id DESC), '[]') FROM (SELECT * FROM b ORDER BY id DESC LIMIT 5) x))),"
		    " format(E'%-32s %5s %5s %7s %6s %6s %5s %8s %8s  %s\\n', 'queue', 'new', 'open',"
		    "   'pending', 'solved', 'closed', 'spam', 'msgs in', 'msgs out', 'last message')"
		    " || coalesce((SELECT string_agg(format(E'%-32s %5s %5s %7s %6s %6s %5s %8s %8s  %s\\n',"
		    "     s.queue || CASE WHEN s.retired_at IS NOT NULL THEN ' (retired)' ELSE '' END,"
		    "     s.new, s.open, s.pending, s.solved, s.closed, s.spam, s.messages_in, s.messages_out,"
		    "     coalesce(date_trunc('second', s.last_message_at)::text, '-')), '' ORDER BY s.queue) FROM s), '')"
		    " || format(E'\\nmessages that hit a parser bound: %s', (SELECT count(*) FROM b))"
		    " || coalesce((SELECT string_agg(format(E'\\n  #%s (ticket %s, %s): %s', x.id, x.number,"
		    "     date_trunc('second', x.received_at), (SELECT string_agg(v, ', ')"
		    "     FROM jsonb_array_elements_text(x.bounds) v)), '' ORDER BY x.id DESC)"
		    "   FROM (SELECT * FROM b ORDER BY id DESC LIMIT 5) x), '')",
		    0, 0);
    if (json)
	ctl_print_json(res);
    else
	puts(PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* ctl_since_value - TIME as an interval back from now ("30 day") or a
 * date; -1 if it is neither */

int     ctl_since_value(const char *arg, char **interval, char **date)
{
    static const char *const units[] = {"s", "second", "m", "minute", "h", "hour",
    "d", "day", "w", "week", 0};
    size_t  digits = strspn(arg, "0123456789");

    if (digits > 0 && digits <= 6 && arg[digits]) {
	for (int i = 0; units[i]; i += 2)
	    if (strcmp(arg + digits, units[i]) == 0)
		return ((*interval = g_strdup_printf("%.*s %s", (int) digits, arg, units[i + 1])) ? 0 : -1);
    }
    /* A date: YYYY-MM-DD, the server reads it in its time zone. */
    if (strlen(arg) == 10 && g_ascii_isdigit(arg[0]) && arg[4] == '-' && arg[7] == '-'
	&& strspn(arg, "0123456789-") == 10)
	return ((*date = g_strdup(arg)) ? 0 : -1);
    return (-1);
}

/* csv_field - one CSV field, quoted when it needs to be (RFC 4180) */

static void csv_field(const char *value, int last)
{
    if (strpbrk(value, ",\"\r\n")) {
	putchar('"');
	for (const char *p = value; *p; p++) {
	    if (*p == '"')
		putchar('"');
	    putchar(*p);
	}
	putchar('"');
    } else {
	fputs(value, stdout);
    }
    putchar(last ? '\n' : ',');
}

/* ctl_report - figures per queue or per agent over a period */

int     ctl_report(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    int     csv = ctl_flag(&argc, argv, "--csv");
    const char *since_arg = ctl_option(&argc, argv, "--since");
    const char *group_by, *label;
    char   *interval = NULL, *date = NULL;
    PGresult *res;

    if (argc != 2 || (json && csv))
	return (ctl_usage(REPORT_USAGE));
    if (strcmp(argv[1], "queues") == 0) {
	group_by = "queue";
	label = "queue";
    } else if (strcmp(argv[1], "agents") == 0) {
	group_by = "assignee";
	label = "agent";
    } else {
	return (ctl_usage(REPORT_USAGE));
    }
    if (ctl_since_value(since_arg ? since_arg : "30d", &interval, &date) < 0) {
	ctl_fail("--since %s: use a duration back from now (30d, 12h, 90m, 2w) or a date (2026-11-01)",
		 since_arg);
	return (2);
    }
    const char *params[4] = {group_by, interval, label, date};

    /*
     * Queues: every queue, also one without tickets. Agents: every
     * assignee that has tickets; NULL is "(unassigned)".
     */
    res = ctl_query(conn,
		    "WITH p AS (SELECT date_trunc('second', coalesce(now() - $2::interval, $4::timestamptz)) AS since),"
		    " f AS (SELECT * FROM report_figures($1, (SELECT since FROM p))),"
		    " g AS (SELECT q.address AS grp FROM queues q WHERE $1 = 'queue'"
		    "       UNION SELECT f.grp FROM f WHERE $1 <> 'queue'),"
		    " r AS (SELECT coalesce(g.grp, '(unassigned)') AS name,"
		    "   coalesce(f.created, 0) AS created, coalesce(f.solved, 0) AS solved,"
		    "   coalesce(f.customer_messages, 0) AS customer_messages,"
		    "   coalesce(f.replies, 0) AS replies,"
		    "   round(f.first_response_median_s) AS first_response_median_s,"
		    "   round(f.first_response_p90_s) AS first_response_p90_s,"
		    "   coalesce(f.open, 0) AS open, coalesce(f.open_under_1d, 0) AS open_under_1d,"
		    "   coalesce(f.open_1d_to_7d, 0) AS open_1d_to_7d,"
		    "   coalesce(f.open_over_7d, 0) AS open_over_7d"
		    "   FROM g LEFT JOIN f ON f.grp IS NOT DISTINCT FROM g.grp)"
		    " SELECT r.name, (SELECT since FROM p), r.created, r.solved, r.customer_messages,"
		    "  r.replies, coalesce(r.first_response_median_s::text, ''),"
		    "  coalesce(r.first_response_p90_s::text, ''), r.open, r.open_under_1d,"
		    "  r.open_1d_to_7d, r.open_over_7d,"
		    "  coalesce(justify_interval(make_interval(secs => r.first_response_median_s))::text, '-'),"
		    "  coalesce(justify_interval(make_interval(secs => r.first_response_p90_s))::text, '-'),"
		    "  (SELECT coalesce(json_agg(json_build_object($3::text, CASE WHEN x.name = '(unassigned)'"
		    "     AND $1 <> 'queue' THEN NULL ELSE x.name END, 'since', (SELECT since FROM p),"
		    "   'created', x.created, 'solved', x.solved, 'customer_messages', x.customer_messages,"
		    "   'replies', x.replies, 'first_response_median_s', x.first_response_median_s,"
		    "   'first_response_p90_s', x.first_response_p90_s, 'open', x.open,"
		    "   'open_under_1d', x.open_under_1d, 'open_1d_to_7d', x.open_1d_to_7d,"
		    "   'open_over_7d', x.open_over_7d) ORDER BY x.name), '[]') FROM r x)"
		    " FROM r ORDER BY r.name", 4, params);
    g_free(interval);
    g_free(date);
    if (json) {
	ctl_print_json_text(PQntuples(res) == 0 ? "[]" : PQgetvalue(res, 0, 14));
    } else if (csv) {
	const char *const header[] = {label, "since", "created", "solved",
	    "customer_messages", "replies", "first_response_median_s",
	"first_response_p90_s", "open", "open_under_1d", "open_1d_to_7d", "open_over_7d"};
	/* Over several regions: one table, a region column first. */
	const char *region = ctl_region_name();

	if (ctl_region_first()) {
	    if (region)
		csv_field("region", 0);
	    for (int c = 0; c < 12; c++)
		csv_field(header[c], c == 11);
	}
	for (int r = 0; r < PQntuples(res); r++) {
	    if (region)
		csv_field(region, 0);
	    for (int c = 0; c < 12; c++)
		csv_field(PQgetvalue(res, r, c), c == 11);
	}
    } else {
	printf("%-32s %7s %6s %8s %7s %18s %18s %5s %5s %5s %5s\n", label, "created", "solved",
	       "messages", "replies", "first resp. median", "first resp. p90", "open", "<1d",
	       "1-7d", ">7d");
	for (int r = 0; r < PQntuples(res); r++)
	    printf("%-32s %7s %6s %8s %7s %18s %18s %5s %5s %5s %5s\n",
		   PQgetvalue(res, r, 0), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
		   PQgetvalue(res, r, 4), PQgetvalue(res, r, 5), PQgetvalue(res, r, 12),
		   PQgetvalue(res, r, 13), PQgetvalue(res, r, 8), PQgetvalue(res, r, 9),
		   PQgetvalue(res, r, 10), PQgetvalue(res, r, 11));
	if (PQntuples(res) > 0)
	    printf("(since %s%s)\n", PQgetvalue(res, 0, 1), strcmp(group_by, "assignee") == 0 ?
		   "; tickets count for their assignee, replies for the agent who wrote them" : "");
	else
	    puts("no tickets yet");
    }
    PQclear(res);
    return (0);
}

const char ctl_stats_usage[] = STATS_USAGE;
const char ctl_report_usage[] = REPORT_USAGE;
