/*++
/* NAME
/*	api_search 3
/* SUMMARY
/*	ticket-api: full-text search over every region
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_search(API_REQUEST *req)
/* DESCRIPTION
/*	api_search() is GET /v1/search?q=&limit=&after=: the tickets of
/*	the key's queues whose messages' subjects and texts match q, read
/*	as PostgreSQL's websearch_to_tsquery() reads it ("quoted phrases",
/*	or, -not), best first. Each message is indexed in the text search
/*	configuration of its language (the parser's Content-Language, the
/*	queue's for what the API stores; 'simple' when none is known: the
/*	GIN index messages_search of sql/032_api_write.sql); q is read in
/*	each of those configurations at once, so that it matches a German
/*	text by German stems and an English one by English stems. A
/*	ticket's rank is ts_rank() of its best message, which the hit
/*	names. Pages of limit (1 to 100, default 20) by a cursor of the
/*	last hit's rank and number; each region gives limit + 1 hits past
/*	it and the merge keeps the first limit (api_page(3)), as the
/*	ticket list does.
/* DIAGNOSTICS
/*	-1 with the reply set: 422 for q empty, blank or past 256 bytes,
/*	an unknown parameter, a limit or cursor that is not valid; 503.
/*--*/

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include <api/api.h>

#define SEARCH_DEFAULT	20
#define SEARCH_MAX	100
#define SEARCH_Q_MAX	256

/* The text search configuration of a message's language: this exact
 * expression is the index's (sql/032_api_write.sql). Only the first
 * 64 Ki characters are searched: a tsvector holds at most 1 MiB, and
 * an index on the whole text refused (so tempfailed) a long message. */
#define SEARCH_VECTOR \
    "to_tsvector(CASE split_part(lower(m.language), '-', 1)" \
    " WHEN 'en' THEN 'english'::regconfig WHEN 'de' THEN 'german'::regconfig" \
    " WHEN 'fr' THEN 'french'::regconfig WHEN 'es' THEN 'spanish'::regconfig" \
    " WHEN 'pt' THEN 'portuguese'::regconfig WHEN 'it' THEN 'italian'::regconfig" \
    " WHEN 'nl' THEN 'dutch'::regconfig ELSE 'simple'::regconfig END," \
    " left(coalesce(m.subject, '') || ' ' || coalesce(m.body_text, ''), 65536))"

/* q in every configuration the index may hold: an expression of $1
 * alone, so that the index condition is one value for the whole scan. */
#define SEARCH_QUERY \
    "(websearch_to_tsquery('simple', $1) || websearch_to_tsquery('english', $1)" \
    " || websearch_to_tsquery('german', $1) || websearch_to_tsquery('french', $1)" \
    " || websearch_to_tsquery('spanish', $1) || websearch_to_tsquery('portuguese', $1)" \
    " || websearch_to_tsquery('italian', $1) || websearch_to_tsquery('dutch', $1))"

/* One region's hits past the cursor ($1 q, $2 the key's queues, $3 $4
 * the cursor's rank and number, $5 the rows, $6 the region's name). */
static const char search_sql[] =
"SELECT h.rank::text, t.number, json_build_object('number', t.number, 'subject', t.subject,"
" 'status', t.status, 'queue', q.address, 'region', $6::text, 'customer', c.address,"
" 'assignee', t.assignee, 'created', t.created_at, 'updated', t.updated_at,"
" 'rank', h.rank, 'message', $6::text || '.' || h.msg)::text"
" FROM (SELECT DISTINCT ON (m.ticket_id) m.ticket_id, m.id AS msg,"
"       ts_rank(" SEARCH_VECTOR ", " SEARCH_QUERY ") AS rank"
"       FROM messages m WHERE " SEARCH_VECTOR " @@ " SEARCH_QUERY
"       ORDER BY m.ticket_id, rank DESC, m.id) h"
" JOIN tickets t ON t.id = h.ticket_id JOIN queues q ON q.id = t.queue_id"
" LEFT JOIN contacts c ON c.id = t.customer_id"
" WHERE ($2::text[] IS NULL OR q.address = ANY($2::text[])) AND t.erased_at IS NULL"
"  AND ($3::real IS NULL OR (h.rank, t.number COLLATE \"C\") < ($3::real, $4::text COLLATE \"C\"))"
" ORDER BY h.rank DESC, t.number COLLATE \"C\" DESC LIMIT $5::integer";

/* The search's parameters. */
typedef struct SEARCH_ARGS {
    const char *q;
    int     limit;
    char   *cursor;			/* decoded after: "RANK NUMBER" */
    const char *rank;			/* in cursor */
    const char *number;
} SEARCH_ARGS;

/* search_unknown - an iterator: count the parameters the search does not know */

static enum MHD_Result search_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
				              const char *value)
{
    *(int *) cls += strcmp(key, "q") != 0 && strcmp(key, "limit") != 0 && strcmp(key, "after") != 0;
    return (MHD_YES);
}

/* search_cursor - decode an after cursor; -1 if it is none */

static int search_cursor(SEARCH_ARGS *args, const char *after)
{
    gsize   len;
    guchar *raw;
    char   *space, *end;

    if (strlen(after) > 128 || strspn(after, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789+/=") != strlen(after))
	return (-1);
    raw = g_base64_decode(after, &len);
    args->cursor = g_strndup((char *) raw, len);
    g_free(raw);
    if ((space = strchr(args->cursor, ' ')) == NULL || space == args->cursor || space[1] == 0
	|| strspn(space + 1, "0123456789") != strlen(space + 1) || strlen(space + 1) > 64)
	return (-1);
    *space = 0;
    (void) strtod(args->cursor, &end);
    if (*end != 0 || strspn(args->cursor, "0123456789.e+-") != strlen(args->cursor))
	return (-1);
    args->rank = args->cursor;
    args->number = space + 1;
    return (0);
}

/* search_args - read and check the parameters; -1 with the reply set */

static int search_args(API_REQUEST *req, SEARCH_ARGS *args)
{
    const char *value;
    int     unknown = 0;
    char   *end;

    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, search_unknown, &unknown);
    if (unknown)
	return (api_problem(req, 422, "unknown parameter: the search takes q, limit and after"));
    args->q = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "q");
    if (args->q == NULL || strspn(args->q, " \t\r\n") == strlen(args->q))
	return (api_problem(req, 422, "q: required: the words to search for"));
    if (strlen(args->q) > SEARCH_Q_MAX || !g_utf8_validate(args->q, -1, NULL))
	return (api_problem(req, 422, "q: at most %d bytes of UTF-8 text", SEARCH_Q_MAX));
    args->limit = SEARCH_DEFAULT;
    if ((value = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "limit")) != NULL) {
	args->limit = (int) strtol(value, &end, 10);
	if (*value == 0 || *end != 0 || args->limit < 1 || args->limit > SEARCH_MAX)
	    return (api_problem(req, 422, "limit: a number from 1 to %d", SEARCH_MAX));
    }
    if ((value = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "after")) != NULL
	&& search_cursor(args, value) < 0)
	return (api_problem(req, 422, "after: not a cursor this API gave (\"next\" of a page)"));
    return (0);
}

/* api_search - GET /v1/search */

int     api_search(API_REQUEST *req)
{
    SEARCH_ARGS args = {0};
    char    rows[16];
    int     ret = -1;

    if (search_args(req, &args) == 0) {
	const char *params[6] = {args.q, req->key.queues, args.rank, args.number, rows, NULL};

	snprintf(rows, sizeof(rows), "%d", args.limit + 1);
	ret = api_page(req, search_sql, 6, params, args.limit, "results", ' ');
    }
    g_free(args.cursor);
    return (ret);
}
