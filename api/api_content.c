/*++
/* NAME
/*	api_content 3
/* SUMMARY
/*	ticket-api: a message as received, an attachment's bytes
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_message_raw(API_REQUEST *req, const char *id)
/*
/*	int	api_attachment_get(API_REQUEST *req, const char *id)
/* DESCRIPTION
/*	Message and attachment ids are each database's own serial numbers,
/*	so the same number names different mail in two regions: the API's
/*	id is "REGION.ID" (the region's name, a dot, the number), as in
/*	"default.42" or "eu.42", which is what api_ticket_get() lists.
/*
/*	api_message_raw() answers the original bytes as received
/*	(message/rfc822). api_attachment_get() answers an attachment with
/*	its content type (a type that is not a plain TYPE/SUBTYPE token is
/*	application/octet-stream) and "Content-Disposition: attachment"
/*	with the file name as RFC 6266 says: an ASCII filename= and the
/*	UTF-8 filename*=.
/* DIAGNOSTICS
/*	-1 with the reply set: 404 for an id that is malformed, of no
/*	region, of no such row, or of a queue the key does not have.
/*--*/

/* System library. */
#include <stdlib.h>
#include <string.h>

/* Global library. */
#include <milter/core/config.h>

/* Application-specific. */
#include <api/api.h>

/* The key may see the queue q ($2: its queues, NULL all). */
#define KEY_SEES " ($2::text[] IS NULL OR q.address = ANY($2::text[]))"

/* content_id - split "REGION.ID"; the region's index, or -1 */

static int content_id(API_REQUEST *req, const char *id, const char **number)
{
    const char *dot = strrchr(id, '.');
    char   *name;
    int     region;

    if (dot == NULL || dot == id || dot[1] == 0 || strlen(dot + 1) > 18
	|| strspn(dot + 1, "0123456789") != strlen(dot + 1))
	return (-1);
    name = g_strndup(id, (gsize) (dot - id));
    region = config_region_find(req->api->config, name);
    g_free(name);
    *number = dot + 1;
    return (region);
}

/* content_bytes - the bytea of column col as the reply body */

static void content_bytes(API_REQUEST *req, PGresult *res, int col)
{
    size_t  len;
    unsigned char *bytes = PQunescapeBytea((unsigned char *) PQgetvalue(res, 0, col), &len);

    g_free(req->reply);
    req->reply = g_memdup2(bytes ? (char *) bytes : "", bytes ? len : 0);
    req->reply_len = bytes ? len : 0;
    PQfreemem(bytes);
    req->status = 200;
}

/* content_row - the one row of sql ($1 the id's number, $2 the key's
 * queues) in the id's region; -1 with the reply set (404 when none) */

static int content_row(API_REQUEST *req, const char *what, const char *id,
		               const char *sql, PGresult **res)
{
    const char *number;
    int     region = content_id(req, id, &number);

    if (region < 0)
	return (api_problem(req, 404, "there is no %s %s that this key may see", what, id));
    const char *params[2] = {number, req->key.queues};

    if (api_db_query(req, region, sql, 2, params, res) < 0)
	return (-1);
    if (PQntuples(*res) != 1) {
	PQclear(*res);
	return (api_problem(req, 404, "there is no %s %s that this key may see", what, id));
    }
    return (0);
}

/* api_message_raw - GET /v1/messages/{id}/raw */

int     api_message_raw(API_REQUEST *req, const char *id)
{
    PGresult *res;

    if (content_row(req, "message", id, "SELECT m.raw FROM messages m"
		    " JOIN tickets t ON t.id = m.ticket_id JOIN queues q ON q.id = t.queue_id"
		    " WHERE m.id = $1::bigint AND" KEY_SEES, &res) < 0)
	return (-1);
    content_bytes(req, res, 0);
    req->reply_type = "message/rfc822";
    PQclear(res);
    return (0);
}

/* content_disposition - "attachment" with the RFC 6266 file name */

static char *content_disposition(const char *name)
{
    GString *ascii = g_string_new(NULL);
    char   *encoded, *value;

    if (name == NULL || *name == 0 || !g_utf8_validate(name, -1, NULL))
	return (g_strdup("attachment"));
    /* One '_' for each character that is not printable ASCII, or a quote. */
    for (const char *p = name; *p; p = g_utf8_next_char(p))
	g_string_append_c(ascii, (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : '_');
    encoded = g_uri_escape_string(name, NULL, FALSE);
    value = g_strdup_printf("attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii->str, encoded);
    g_string_free(ascii, TRUE);
    g_free(encoded);
    return (value);
}

/* content_type_safe - a TYPE/SUBTYPE token pair, else octet-stream */

static const char *content_type_safe(const char *type)
{
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-";
    size_t  n = strspn(type, token);

    if (n == 0 || type[n] != '/' || type[n + 1] == 0 || strspn(type + n + 1, token) != strlen(type + n + 1))
	return ("application/octet-stream");
    return (type);
}

/* api_attachment_get - GET /v1/attachments/{id} */

int     api_attachment_get(API_REQUEST *req, const char *id)
{
    PGresult *res;

    if (content_row(req, "attachment", id, "SELECT b.content, a.content_type, a.filename"
		    " FROM attachments a JOIN blobs b ON b.sha256 = a.sha256"
		    " JOIN messages m ON m.id = a.msg_id JOIN tickets t ON t.id = m.ticket_id"
		    " JOIN queues q ON q.id = t.queue_id WHERE a.id = $1::bigint AND" KEY_SEES, &res) < 0)
	return (-1);
    content_bytes(req, res, 0);
    req->type_copy = g_strdup(content_type_safe(PQgetvalue(res, 0, 1)));
    req->reply_type = req->type_copy;
    req->disposition = content_disposition(PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2));
    PQclear(res);
    return (0);
}
