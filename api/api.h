#ifndef API_API_H
#define API_API_H

/*++
/* NAME
/*	api 3h
/* SUMMARY
/*	what the modules of ticket-api share
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_db_query(API_REQUEST *req, int region, const char *sql,
/*			     int nparams, const char *const *params,
/*			     PGresult **res)
/*
/*	int	api_problem(API_REQUEST *req, unsigned status,
/*			    const char *fmt, ...)
/*
/*	int	api_json(API_REQUEST *req, unsigned status, char *body)
/*
/*	int	api_key_check(API_REQUEST *req)
/*
/*	int	api_route(API_REQUEST *req)
/* DESCRIPTION
/*	An API is the daemon: its configuration, one connection pool
/*	(store(3)) per region, and the per-key request counts. An
/*	API_REQUEST is one HTTP request; a handler fills its reply
/*	(status, body, content type, headers) and api_http.c sends it.
/*
/*	api_db_query() runs one query (query(3)) in a region's database
/*	through its pool; on a failure it sets the reply (503 with
/*	Retry-After while the database is down or slow, 500 otherwise)
/*	and returns -1.
/*
/*	api_problem() sets an RFC 9457 problem reply: status, a title
/*	stable for the status, and fmt's detail for this occurrence.
/*	api_json() sets a JSON reply and takes body (g_free).
/*	Both return -1, so that a handler can `return api_problem(...)`.
/*
/*	api_key_check() authenticates the request's Bearer token and
/*	counts it against ApiRequestsPerMinute (api_key.c): 0 with
/*	req->key filled, else -1 with a 401, 429 or 503 reply.
/*
/*	api_route() sends a request to its handler (api_route.c).
/*--*/

/* System library. */
#include <pthread.h>
#include <stddef.h>

/* External libraries. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <libpq-fe.h>
#include <microhttpd.h>

/* Global library. */
#include <milter/core/config.h>
#include <milter/core/store.h>

typedef struct API {
    const CONFIG *config;
    STORE **stores;			/* one pool per region */
    pthread_mutex_t rate_lock;
    GHashTable *rates;			/* key name -> API_RATE */
} API;

/* The key a request came with. */
typedef struct API_KEY {
    char   *name;
    int     write;			/* scope write */
    char   *queues;			/* a text[] literal, or NULL: every queue */
} API_KEY;

typedef struct API_REQUEST {
    API    *api;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    GString *body;			/* the request body, at most ApiMaximumBody */
    int     too_big;			/* the body went past it */
    API_KEY key;
    /* The reply. */
    unsigned status;
    char   *reply;			/* g_malloc'ed */
    size_t  reply_len;
    const char *reply_type;		/* Content-Type */
    char   *disposition;		/* Content-Disposition, or NULL */
    char   *type_copy;			/* a Content-Type from the database */
    const char *allow;			/* Allow (405), or NULL */
    char   *allow_copy;			/* what allow points to, g_malloc'ed */
    int     retry_after;		/* seconds (429, 503), or 0 */
    char   *location;			/* Location (201), or NULL */
} API_REQUEST;

/* One message m as JSON, with its attachments ($R: the region's name). */
#define API_MESSAGE_OBJECT(R) \
    "json_build_object('id', " R "::text || '.' || m.id," \
    " 'kind', m.kind, 'direction', m.direction, 'from', m.from_address, 'from_name', m.from_name," \
    " 'to', m.to_addresses, 'cc', m.cc_addresses, 'date', m.sent_at, 'received', m.received_at," \
    " 'subject', m.subject, 'text', m.body_text, 'reply_text', m.reply_text, 'html', m.html," \
    " 'attachments', (SELECT coalesce(json_agg(json_build_object('id', " R "::text || '.' || a.id," \
    "    'name', a.filename, 'type', a.content_type, 'size', a.size) ORDER BY a.position), '[]')" \
    "    FROM attachments a WHERE a.msg_id = m.id))"

extern int api_db_query(API_REQUEST *, int, const char *, int, const char *const *, PGresult **);
extern int api_problem(API_REQUEST *, unsigned, const char *,...) TM_PRINTF(3, 4);
extern int api_json(API_REQUEST *, unsigned, char *);
extern int api_key_check(API_REQUEST *);
extern void api_key_free(API_KEY *);
extern int api_route(API_REQUEST *);

/* The handlers (api_tickets.c, api_content.c, api_update.c). */
extern int api_queues_get(API_REQUEST *);
extern int api_tickets_list(API_REQUEST *);
extern int api_ticket_get(API_REQUEST *, const char *);
extern int api_message_raw(API_REQUEST *, const char *);
extern int api_attachment_get(API_REQUEST *, const char *);
extern int api_ticket_patch(API_REQUEST *, const char *);

/* A page merged over the regions (api_page.c). */
extern int api_page(API_REQUEST *, const char *, int, const char **, int, const char *, char);

/* The writes and the search (api_write.c, api_search.c). */
extern int api_reply_post(API_REQUEST *, const char *);
extern int api_note_post(API_REQUEST *, const char *);
extern int api_ticket_post(API_REQUEST *);
extern int api_search(API_REQUEST *);

/* The request body (api_body.c). */
extern JsonObject *api_body_object(API_REQUEST *, const char *const *);
extern int api_body_string(API_REQUEST *, JsonObject *, const char *, int, const char **);

#endif
