/*++
/* NAME
/*	api_http 3
/* SUMMARY
/*	ticket-api's HTTP side: one request from its headers to its reply
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	enum MHD_Result api_http_access(void *cls,
/*			struct MHD_Connection *conn, const char *url,
/*			const char *method, const char *version,
/*			const char *upload, size_t *upload_size,
/*			void **state)
/*
/*	void	api_http_completed(void *cls, struct MHD_Connection *conn,
/*			void **state, enum MHD_RequestTerminationCode why)
/* DESCRIPTION
/*	api_http_access() is libmicrohttpd's access handler (cls the API).
/*	The first call, after the headers, refuses a Content-Length past
/*	ApiMaximumBody with 413 at once (libmicrohttpd then drops the body
/*	and the connection); the next ones keep the body up to that size
/*	(a chunked one past it is 413 too); the last one checks the path,
/*	the key and the route, and queues the reply. GET /v1/health needs
/*	no key and no database: {"status":"ok"} while the daemon serves. api_http_completed()
/*	frees the request's state however it ended.
/*
/*	The replies' bodies: JSON (application/json), a problem
/*	(application/problem+json, RFC 9457: type about:blank, a title per
/*	status, a detail in plain words) or content (a raw message, an
/*	attachment). A reply is never cached (Cache-Control: no-store):
/*	it holds customers' mail.
/*--*/

/* System library. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/query.h>

/* Application-specific. */
#include <api/api.h>
#include <api/api_http.h>

/* The titles of the problems, one per status (RFC 9110's names). */
static const struct {
    unsigned status;
    const char *title;
}       api_titles[] = {
    {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {409, "Conflict"}, {413, "Content Too Large"},
    {415, "Unsupported Media Type"}, {422, "Unprocessable Content"},
    {429, "Too Many Requests"}, {500, "Internal Server Error"},
    {503, "Service Unavailable"}, {0, "Error"},
};

/* api_title - the title of a status */

static const char *api_title(unsigned status)
{
    int     i;

    for (i = 0; api_titles[i].status && api_titles[i].status != status; i++)
	 /* void */ ;
    return (api_titles[i].title);
}

/* api_json - a JSON reply; takes body */

int     api_json(API_REQUEST *req, unsigned status, char *body)
{
    g_free(req->reply);
    req->status = status;
    req->reply = body;
    req->reply_len = strlen(body);
    req->reply_type = "application/json";
    return (status < 400 ? 0 : -1);
}

/* api_problem - an RFC 9457 problem reply */

int     api_problem(API_REQUEST *req, unsigned status, const char *fmt,...)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    va_list ap;
    char   *detail, *valid;

    va_start(ap, fmt);
    detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* A detail may quote what a client sent: never invalid JSON text. */
    valid = g_utf8_make_valid(detail, -1);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, "about:blank");
    json_builder_set_member_name(b, "title");
    json_builder_add_string_value(b, api_title(status));
    json_builder_set_member_name(b, "status");
    json_builder_add_int_value(b, status);
    json_builder_set_member_name(b, "detail");
    json_builder_add_string_value(b, valid);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    api_json(req, status, json_generator_to_data(gen, NULL));
    req->reply_type = "application/problem+json";
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    g_free(detail);
    g_free(valid);
    return (-1);
}

/* api_db_query - one query in a region's database; -1 with the reply set */

int     api_db_query(API_REQUEST *req, int region, const char *sql, int nparams,
		             const char *const *params, PGresult **res)
{
    STORE  *store = req->api->stores[region];
    const char *name = req->api->config->regions[region].name;
    long long deadline = query_deadline(store_timeout(store));
    TM_ERROR err;
    int     fresh, broken = 0;
    PGconn *conn;

    err.text[0] = err.code[0] = 0;
    if ((conn = store_acquire(store, deadline, &fresh, &err)) == NULL) {
	msg_warn("region %s: %s", name, err.text);
	req->retry_after = 5;
	return (api_problem(req, 503, "the database is not available; try again later"));
    }
    *res = query_exec(conn, deadline, sql, nparams, params, NULL, NULL, &broken, &err);
    store_release(store, conn, broken);
    if (*res != NULL)
	return (0);
    /* The project's refusals (class TM): TM409 and TM422 speak to the client. */
    if (strcmp(err.code, "TM409") == 0 || strcmp(err.code, "TM422") == 0)
	return (api_problem(req, err.code[2] == '4' && err.code[3] == '0' ? 409 : 422, "%s", err.text));
    msg_warn("region %s: %s%s%s", name, err.text, *err.code ? " SQLSTATE " : "", err.code);
    /* A value PostgreSQL could not read (class 22: data exception). */
    if (strncmp(err.code, "22", 2) == 0)
	return (api_problem(req, 422, "a parameter has a value that is not valid"));
    if (broken || strcmp(err.code, QUERY_TIMED_OUT) == 0 || strncmp(err.code, "08", 2) == 0
	|| strncmp(err.code, "57", 2) == 0 || *err.code == 0) {
	req->retry_after = 5;
	return (api_problem(req, 503, "the database is not available; try again later"));
    }
    return (api_problem(req, 500, "the request failed inside the server; it is logged"));
}

/* api_send - queue the reply of a request */

static enum MHD_Result api_send(API_REQUEST *req)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char    seconds[16];

    if (req->status == 0)
	api_problem(req, 500, "no reply was made");
    resp = MHD_create_response_from_buffer(req->reply_len, req->reply, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
	return (MHD_NO);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, req->reply_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (req->disposition)
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, req->disposition);
    if (req->allow)
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow);
    if (req->location)
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, req->location);
    if (req->status == 401)
	MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"ticket-api\"");
    if (req->retry_after > 0) {
	snprintf(seconds, sizeof(seconds), "%d", req->retry_after);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    ret = MHD_queue_response(req->conn, req->status, resp);
    MHD_destroy_response(resp);
    return (ret);
}

/* api_body_too_big - the Content-Length says more than ApiMaximumBody */

static int api_body_too_big(API_REQUEST *req)
{
    const char *value = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long n;
    char   *end;

    if (value == NULL)
	return (0);
    errno = 0;
    n = strtoull(value, &end, 10);
    return (errno != 0 || *end != 0 || n > req->api->config->api_max_body);
}

/* api_handle - the whole request is in: path, key, route */

static void api_handle(API_REQUEST *req)
{
    if (req->too_big) {
	api_problem(req, 413, "the request body is larger than %zu bytes (ApiMaximumBody)",
		    req->api->config->api_max_body);
	return;
    }
    /* libmicrohttpd has decoded %XX: what it made must be text. */
    if (!g_utf8_validate(req->url, -1, NULL)) {
	api_problem(req, 400, "the path is not valid UTF-8");
	return;
    }
    /* For a load balancer or monitor: no key, no database. */
    if (strcmp(req->url, "/v1/health") != 0 && api_key_check(req) < 0)
	return;
    api_route(req);
}

/* api_http_access - libmicrohttpd's access handler: see above */

enum MHD_Result api_http_access(void *cls, struct MHD_Connection *conn, const char *url,
				        const char *method, const char *version,
				        const char *upload, size_t *upload_size, void **state)
{
    API_REQUEST *req = *state;

    if (req == NULL) {
	req = g_new0(API_REQUEST, 1);
	req->api = cls;
	req->conn = conn;
	req->method = method;
	req->url = url;
	req->body = g_string_new(NULL);
	*state = req;
	if (!api_body_too_big(req))
	    return (MHD_YES);
	req->too_big = 1;
	api_handle(req);
	return (api_send(req));
    }
    if (*upload_size > 0) {
	if (req->body->len + *upload_size > req->api->config->api_max_body)
	    req->too_big = 1;
	else if (!req->too_big)
	    g_string_append_len(req->body, upload, (gssize) * upload_size);
	*upload_size = 0;
	return (MHD_YES);
    }
    if (req->status != 0)
	return (MHD_YES);
    api_handle(req);
    return (api_send(req));
}

/* api_http_completed - free a request's state */

void    api_http_completed(void *cls, struct MHD_Connection *conn, void **state,
			           enum MHD_RequestTerminationCode why)
{
    API_REQUEST *req = *state;

    if (req == NULL)
	return;
    api_key_free(&req->key);
    g_string_free(req->body, TRUE);
    g_free(req->reply);
    g_free(req->disposition);
    g_free(req->type_copy);
    g_free(req->allow_copy);
    g_free(req->location);
    g_free(req);
    *state = NULL;
}
