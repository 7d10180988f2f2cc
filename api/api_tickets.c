/*++
/* NAME
/*	api_tickets 3
/* SUMMARY
/*	ticket-api: queues and tickets, over every region
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_queues_get(API_REQUEST *req)
/*
/*	int	api_tickets_list(API_REQUEST *req)
/*
/*	int	api_ticket_get(API_REQUEST *req, const char *number)
/* DESCRIPTION
/*	Each answer covers every region the key's queues lie in: the
/*	regions are asked one after the other and their rows merged.
/*	PostgreSQL builds each object (json_build_object), as ticketctl's
/*	--json does; these handlers only join them.
/*
/*	api_queues_get() lists the key's queues that take mail.
/*
/*	api_tickets_list() lists tickets newest first, with the filters
/*	queue, status, assignee, customer, updated_since (RFC 3339) and
/*	limit (1 to 100, default 50), by keyset pagination: "next" is the
/*	cursor of the last ticket given (its creation time in microseconds
/*	and its number, which break a tie), for the parameter after. Each
/*	region gives at most limit + 1 rows after the cursor; the merge
/*	(api_page(3)) keeps the first limit, and there is a next page when
/*	any is left.
/*
/*	api_ticket_get() is one ticket with its messages (their ids
/*	"REGION.ID", see api_content.c), participants and events. Ticket
/*	numbers are unique across regions; a ticket of a queue the key
/*	does not have is 404, as one that does not exist.
/* DIAGNOSTICS
/*	-1 with the reply set: 422 for a parameter that is unknown or not
/*	valid, 404, 503 (api_db_query()).
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Global library. */
#include <milter/core/ticket_status.h>

/* Application-specific. */
#include <api/api.h>

#define LIST_DEFAULT	50
#define LIST_MAX	100

/* The ticket object of a list (t tickets, q queues, c contacts; $R the region). */
#define TICKET_OBJECT(R) \
    "'number', t.number, 'subject', t.subject, 'status', t.status, 'queue', q.address," \
    " 'region', " R "::text, 'customer', c.address, 'assignee', t.assignee," \
    " 'created', t.created_at, 'updated', t.updated_at," \
    " 'message_count', (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)"

#define TICKET_FROM \
    " FROM tickets t JOIN queues q ON q.id = t.queue_id LEFT JOIN contacts c ON c.id = t.customer_id"

/* The key may see the queue q ($K: its queues, NULL all). */
#define KEY_SEES(K) " (" K "::text[] IS NULL OR q.address = ANY(" K "::text[]))"

/* api_join_rows - append the rows' column col, comma-separated, until
 * count reaches limit */

static void api_join_rows(GString *out, PGresult *res, int col, int limit, int *count)
{
    for (int i = 0; i < PQntuples(res) && *count < limit; i++, (*count)++)
	g_string_append_printf(out, "%s%s", *count ? "," : "", PQgetvalue(res, i, col));
}

/* api_queues_get - GET /v1/queues */

int     api_queues_get(API_REQUEST *req)
{
    GString *out = g_string_new("{\"queues\":[");
    PGresult *res;
    int     count = 0;

    for (int r = 0; r < req->api->config->region_count; r++) {
	const char *params[2] = {req->key.queues, req->api->config->regions[r].name};

	if (api_db_query(req, r, "SELECT json_build_object('address', q.address, 'name', q.name,"
			 " 'region', $2::text)::text FROM queues q"
			 " WHERE q.retired_at IS NULL AND" KEY_SEES("$1")
			 " ORDER BY q.address", 2, params, &res) < 0) {
	    g_string_free(out, TRUE);
	    return (-1);
	}
	api_join_rows(out, res, 0, INT32_MAX, &count);
	PQclear(res);
    }
    g_string_append(out, "]}");
    return (api_json(req, 200, g_string_free(out, FALSE)));
}

/* The list's parameters, as the query's. */
typedef struct LIST_ARGS {
    const char *p[7];			/* queue status assignee customer updated_since after_us after_number */
    int     limit;
    char   *cursor;			/* decoded after: "US.NUMBER" */
} LIST_ARGS;

static const char *const list_names[] = {"queue", "status", "assignee", "customer",
"updated_since", "limit", "after", 0};

/* list_unknown - an iterator: count the parameters the list does not know */

static enum MHD_Result list_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
				            const char *value)
{
    int     known = 0;

    for (int i = 0; list_names[i]; i++)
	known |= strcmp(key, list_names[i]) == 0;
    *(int *) cls += !known;
    return (MHD_YES);
}

/* list_cursor - decode an after cursor into args; -1 if it is none */

static int list_cursor(LIST_ARGS *args, const char *after)
{
    gsize   len;
    guchar *raw;
    char   *dot;

    if (strlen(after) > 128 || strspn(after, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
	!= strlen(after))
	return (-1);
    raw = g_base64_decode(after, &len);
    args->cursor = g_strndup((char *) raw, len);
    g_free(raw);
    if ((dot = strchr(args->cursor, '.')) == NULL || dot == args->cursor || dot[1] == 0
	|| strspn(args->cursor, "0123456789") != (size_t) (dot - args->cursor)
	|| strspn(dot + 1, "0123456789") != strlen(dot + 1) || dot - args->cursor > 18)
	return (-1);
    *dot = 0;
    args->p[5] = args->cursor;
    args->p[6] = dot + 1;
    return (0);
}

/* list_args - read and check the list's parameters; -1 with the reply set */

static int list_args(API_REQUEST *req, LIST_ARGS *args)
{
    const char *value;
    int     unknown = 0;
    GDateTime *since;
    char   *end;

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, list_unknown, &unknown);
    if (unknown)
	return (api_problem(req, 422, "unknown parameter: the list takes queue, status, assignee,"
			    " customer, updated_since, limit and after"));
    for (int i = 0; i < 5; i++)
	args->p[i] = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, list_names[i]);
    for (int i = 0; i < 5; i++)
	if (args->p[i] && (!g_utf8_validate(args->p[i], -1, NULL) || strlen(args->p[i]) > 320))
	    return (api_problem(req, 422, "%s: not a valid value", list_names[i]));
    if (args->p[1] && !ticket_status_known(args->p[1]))
	return (api_problem(req, 422, "status: use new, open, pending, solved, closed or spam"));
    if (args->p[4]) {
	if ((since = g_date_time_new_from_iso8601(args->p[4], NULL)) == NULL)
	    return (api_problem(req, 422, "updated_since: not an RFC 3339 time such as 2026-12-01T00:00:00Z"));
	g_date_time_unref(since);
    }
    args->limit = LIST_DEFAULT;
    if ((value = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "limit")) != NULL) {
	args->limit = (int) strtol(value, &end, 10);
	if (*value == 0 || *end != 0 || args->limit < 1 || args->limit > LIST_MAX)
	    return (api_problem(req, 422, "limit: a number from 1 to %d", LIST_MAX));
    }
    if ((value = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "after")) != NULL
	&& list_cursor(args, value) < 0)
	return (api_problem(req, 422, "after: not a cursor this API gave (\"next\" of a page)"));
    return (0);
}

/* The rows of one region: sort key (the creation time in microseconds
 * since the epoch, exact), number, the ticket object. The order is
 * tickets_created_number's (sql/031_api_keys.sql), so a page reads that
 * index from the cursor on and stops after limit + 1 matching rows. */
static const char list_sql[] =
"SELECT (extract(epoch FROM t.created_at) * 1000000)::bigint, t.number,"
" json_build_object(" TICKET_OBJECT("$11") ")::text"
TICKET_FROM
" WHERE" KEY_SEES("$1")
"  AND ($2::text IS NULL OR q.address = lower($2))"
"  AND ($3::text IS NULL OR t.status = $3)"
"  AND ($4::text IS NULL OR lower(t.assignee) = lower($4))"
"  AND ($5::text IS NULL OR c.address = lower($5))"
"  AND ($6::timestamptz IS NULL OR t.updated_at >= $6::timestamptz)"
"  AND ($7::bigint IS NULL OR (t.created_at, t.number COLLATE \"C\")"
"       < ('epoch'::timestamptz + $7::bigint * interval '1 microsecond', $8::text COLLATE \"C\"))"
" ORDER BY t.created_at DESC, t.number COLLATE \"C\" DESC LIMIT $9::int + $10::int";

/* api_tickets_list - GET /v1/tickets */

int     api_tickets_list(API_REQUEST *req)
{
    LIST_ARGS args = {{0}, 0, NULL};
    char    limit[16];
    int     ret = -1;

    if (list_args(req, &args) == 0) {
	const char *params[11] = {req->key.queues, args.p[0], args.p[1], args.p[2], args.p[3],
	args.p[4], args.p[5], args.p[6], limit, "1", NULL};

	snprintf(limit, sizeof(limit), "%d", args.limit);
	ret = api_page(req, list_sql, 11, params, args.limit, "tickets", '.');
    }
    g_free(args.cursor);
    return (ret);
}

/* One ticket with its thread ($1 number, $2 the key's queues, $3 the region). */
static const char ticket_sql[] =
"SELECT json_build_object(" TICKET_OBJECT("$3") ","
" 'participants', (SELECT coalesce(json_agg(json_build_object('address', pc.address,"
"    'name', pc.name, 'role', p.role) ORDER BY p.role DESC, pc.address), '[]')"
"    FROM ticket_participants p JOIN contacts pc ON pc.id = p.contact_id WHERE p.ticket_id = t.id),"
" 'events', (SELECT coalesce(json_agg(json_build_object('at', e.at, 'actor', e.actor,"
"    'action', e.action, 'detail', e.detail) ORDER BY e.id), '[]') FROM events e WHERE e.ticket_id = t.id),"
" 'messages', (SELECT coalesce(json_agg(" API_MESSAGE_OBJECT("$3") " ORDER BY m.received_at, m.id), '[]')"
"    FROM messages m WHERE m.ticket_id = t.id))::text"
TICKET_FROM " WHERE t.number = $1 AND" KEY_SEES("$2");

/* api_ticket_get - GET /v1/tickets/{number} */

int     api_ticket_get(API_REQUEST *req, const char *number)
{
    PGresult *res;

    for (int r = 0; r < req->api->config->region_count; r++) {
	const char *params[3] = {number, req->key.queues, req->api->config->regions[r].name};

	if (api_db_query(req, r, ticket_sql, 3, params, &res) < 0)
	    return (-1);
	if (PQntuples(res) == 1) {
	    api_json(req, 200, g_strdup(PQgetvalue(res, 0, 0)));
	    PQclear(res);
	    return (0);
	}
	PQclear(res);
    }
    return (api_problem(req, 404, "there is no ticket %s that this key may see", number));
}
