/*++
/* NAME
/*	api_page 3
/* SUMMARY
/*	ticket-api: one page of rows merged over every region
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_page(API_REQUEST *req, const char *sql, int nparams,
/*			 const char **params, int limit, const char *member,
/*			 char sep)
/* DESCRIPTION
/*	api_page() runs sql in each region, params[nparams - 1] set to the
/*	region's name. Each row is a sort key (a number as text), a ticket
/*	number and a JSON object, at most limit + 1 rows past the cursor,
/*	in the query's order: the larger key first, then the larger number
/*	(COLLATE "C"). The merge keeps the first limit rows and replies
/*	{"MEMBER": [...], "next": CURSOR|null}: the cursor is base64 of
/*	the last row's "KEY" sep "NUMBER", which the caller decodes for the
/*	query's next page; null when no row is left.
/* DIAGNOSTICS
/*	-1 with the reply set (api_db_query()).
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Application-specific. */
#include <api/api.h>

/* One row of the merge. */
typedef struct PAGE_ROW {
    double  key;
    const char *key_text;
    const char *number;
    const char *json;
} PAGE_ROW;

/* page_row_cmp - the larger key first, then the higher number (as the SQL) */

static int page_row_cmp(gconstpointer a, gconstpointer b)
{
    const PAGE_ROW *x = a, *y = b;

    if (x->key != y->key)
	return (x->key > y->key ? -1 : 1);
    return (-strcmp(x->number, y->number));
}

/* page_reply - the first limit rows, sorted, and the cursor past them */

static int page_reply(API_REQUEST *req, GArray *rows, int limit, const char *member, char sep)
{
    GString *out = g_string_new(NULL);
    char   *cursor, *next;

    g_string_printf(out, "{\"%s\":[", member);
    g_array_sort(rows, page_row_cmp);
    for (guint i = 0; i < rows->len && i < (guint) limit; i++)
	g_string_append_printf(out, "%s%s", i ? "," : "", g_array_index(rows, PAGE_ROW, i).json);
    if (rows->len > (guint) limit) {
	PAGE_ROW *last = &g_array_index(rows, PAGE_ROW, limit - 1);

	cursor = g_strdup_printf("%s%c%s", last->key_text, sep, last->number);
	next = g_base64_encode((guchar *) cursor, strlen(cursor));
	g_string_append_printf(out, "],\"next\":\"%s\"}", next);
	g_free(cursor);
	g_free(next);
    } else {
	g_string_append(out, "],\"next\":null}");
    }
    return (api_json(req, 200, g_string_free(out, FALSE)));
}

/* api_page - query every region, merge, reply */

int     api_page(API_REQUEST *req, const char *sql, int nparams, const char **params,
		         int limit, const char *member, char sep)
{
    int     regions = req->api->config->region_count, ret = 0;
    PGresult **res = g_new0(PGresult *, regions);
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(PAGE_ROW));

    for (int r = 0; ret == 0 && r < regions; r++) {
	params[nparams - 1] = req->api->config->regions[r].name;
	if ((ret = api_db_query(req, r, sql, nparams, params, &res[r])) < 0)
	    break;
	for (int i = 0; i < PQntuples(res[r]); i++) {
	    PAGE_ROW row = {strtod(PQgetvalue(res[r], i, 0), NULL), PQgetvalue(res[r], i, 0),
	    PQgetvalue(res[r], i, 1), PQgetvalue(res[r], i, 2)};

	    g_array_append_val(rows, row);
	}
    }
    if (ret == 0)
	ret = page_reply(req, rows, limit, member, sep);
    for (int r = 0; r < regions; r++)
	PQclear(res[r]);
    g_free(res);
    g_array_free(rows, TRUE);
    return (ret);
}
