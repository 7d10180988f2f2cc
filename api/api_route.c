/*++
/* NAME
/*	api_route 3
/* SUMMARY
/*	ticket-api: which handler a path and method go to
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_route(API_REQUEST *req)
/* DESCRIPTION
/*	api_route() matches the (decoded) path segment by segment against
/*	the routes below: "*" is one segment of the given characters (a
/*	ticket number: digits; an id: REGION.ID). Anything else is 404:
/*	an empty segment, a "." or "..", a trailing "/", a path past 1 KiB
/*	(so that no trick reaches a handler in another shape). A known
/*	path with another method is 405 with Allow (the methods it has).
/*--*/

/* System library. */
#include <string.h>

/* Application-specific. */
#include <api/api.h>

typedef int API_CALL0(API_REQUEST *);
typedef int API_CALL1(API_REQUEST *, const char *);

/* api_health - GET /v1/health: the daemon serves */

static int api_health(API_REQUEST *req)
{
    return (api_json(req, 200, g_strdup("{\"status\":\"ok\"}")));
}

#define ID_CHARS "abcdefghijklmnopqrstuvwxyz0123456789-."

static const struct API_ROUTE {
    const char *pattern;		/* segments; "*" one argument */
    const char *chars;			/* what the argument may hold */
    const char *method;			/* GET also answers HEAD */
    API_CALL0 *call0;			/* the handler without argument */
    API_CALL1 *call1;			/* or with one */
}       api_routes[] = {
    {"v1/health", NULL, "GET", api_health, NULL},
    {"v1/queues", NULL, "GET", api_queues_get, NULL},
    {"v1/tickets", NULL, "GET", api_tickets_list, NULL},
    {"v1/tickets", NULL, "POST", api_ticket_post, NULL},
    {"v1/tickets/*", "0123456789", "GET", NULL, api_ticket_get},
    {"v1/tickets/*", "0123456789", "PATCH", NULL, api_ticket_patch},
    {"v1/tickets/*/replies", "0123456789", "POST", NULL, api_reply_post},
    {"v1/tickets/*/notes", "0123456789", "POST", NULL, api_note_post},
    {"v1/search", NULL, "GET", api_search, NULL},
    {"v1/messages/*/raw", ID_CHARS, "GET", NULL, api_message_raw},
    {"v1/attachments/*", ID_CHARS, "GET", NULL, api_attachment_get},
    {0},
};

/* route_match - 1 if path matches the route; *arg is its argument */

static int route_match(const struct API_ROUTE *r, const char *path, char **arg)
{
    char  **want = g_strsplit(r->pattern, "/", -1), **got = g_strsplit(path, "/", -1);
    int     i, ok = 1;

    *arg = NULL;
    for (i = 0; ok && want[i] && got[i]; i++) {
	if (strcmp(want[i], "*") == 0) {
	    ok = *got[i] && strlen(got[i]) <= 64 && strspn(got[i], r->chars) == strlen(got[i]);
	    if (ok)
		*arg = g_strdup(got[i]);
	} else {
	    ok = strcmp(want[i], got[i]) == 0;
	}
    }
    ok = ok && want[i] == NULL && got[i] == NULL;
    if (!ok) {
	g_free(*arg);
	*arg = NULL;
    }
    g_strfreev(want);
    g_strfreev(got);
    return (ok);
}

/* route_method - the route answers the method */

static int route_method(const struct API_ROUTE *r, const char *method)
{
    return (strcmp(r->method, method) == 0
	    || (strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0));
}

/* api_route - run the handler of the request's path and method */

int     api_route(API_REQUEST *req)
{
    GString *allow = g_string_new(NULL);
    char   *arg;
    int     ret;

    if (req->url[0] != '/' || strlen(req->url) > 1024)
	return (api_problem(req, 404, "there is no such resource"));
    for (const struct API_ROUTE *r = api_routes; r->pattern; r++) {
	if (!route_match(r, req->url + 1, &arg))
	    continue;
	if (!route_method(r, req->method)) {
	    g_string_append_printf(allow, "%s%s", allow->len ? ", " : "",
				   strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method);
	    g_free(arg);
	    continue;
	}
	g_string_free(allow, TRUE);
	ret = arg ? r->call1(req, arg) : r->call0(req);
	g_free(arg);
	return (ret);
    }
    if (allow->len == 0) {
	g_string_free(allow, TRUE);
	return (api_problem(req, 404, "there is no such resource"));
    }
    req->allow_copy = g_string_free(allow, FALSE);
    req->allow = req->allow_copy;
    return (api_problem(req, 405, "%s is not a method of this resource; use %s",
			req->method, req->allow));
}
