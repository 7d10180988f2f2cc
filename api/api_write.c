/*++
/* NAME
/*	api_write 3
/* SUMMARY
/*	ticket-api: an agent's answer, an internal note, a new ticket
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	int	api_reply_post(API_REQUEST *req, const char *number)
/*
/*	int	api_note_post(API_REQUEST *req, const char *number)
/*
/*	int	api_ticket_post(API_REQUEST *req)
/* DESCRIPTION
/*	Each needs a key of scope write and names the agent who writes,
/*	an agent of the ticket's queue; the SQL functions of api.sql do
/*	the change in one transaction with its events ("api:KEY" the
/*	actor). Ticket numbers are unique across regions: each region is
/*	asked in turn until one has the ticket (or the queue).
/*
/*	api_reply_post() is POST /v1/tickets/{number}/replies {"text",
/*	"html"?, "attachments"?: [{"filename", "content_type"?,
/*	"content_base64"}], "agent"}: the answer is stored as the agent's
/*	message and goes to the customer through the outbox, composed as
/*	every outgoing mail (compose(3)): from the queue address, the
/*	ticket tag in the Subject, threaded after the customer's last
/*	message, with the ticket's reply address. The HTML is stored and
/*	sent without what could run (mail_html_clean()). At most API_FILES
/*	attachments of API_FILE_BYTES each; a file name loses its
/*	control characters, slashes and quotes. 201 with the message and
/*	Location (its raw bytes, the mail as sent once the outbox sent it).
/*
/*	api_note_post() is POST /v1/tickets/{number}/notes {"text",
/*	"agent"}: an internal note, never mailed to the customer (the
/*	agents who follow the ticket hear of it, as of a #note). 201 as
/*	above.
/*
/*	api_ticket_post() is POST /v1/tickets {"queue", "customer",
/*	"subject", "text", "agent"?}: a ticket of one of the key's queues
/*	opened for the customer as an agent's "#new ADDRESS" opens it:
/*	taken by the agent (without agent: the queue's only agent), the
/*	text mailed to the customer. 201 with the ticket and Location.
/* DIAGNOSTICS
/*	-1 with the reply set: 403 for a key of scope read, 400/415/422
/*	for the body (api_body_object()), 422 for a value (an agent of
/*	another queue, an attachment that is not base64, ...), 404 for a
/*	ticket the key does not see, 409 for one merged or erased, 503.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Global library. */
#include <parser/mail.h>

/* Application-specific. */
#include <api/api.h>

#define API_FILES	10		/* attachments of one answer */
#define API_FILE_BYTES	(10 * 1024 * 1024)	/* one attachment, decoded */
#define API_NAME_BYTES	200		/* a file name, sanitized */

/* write_allowed - the key may write; else 403 */

static int write_allowed(API_REQUEST *req)
{
    if (req->key.write)
	return (0);
    return (api_problem(req, 403, "this key may only read (ticketctl apikey add ... --scope write)"));
}

/* write_text - a required member that is a string with more than blanks,
 * at most max bytes, without control characters other than line ends and
 * tabs unless lines is 0 (then none at all) */

static int write_text(API_REQUEST *req, JsonObject *object, const char *name, size_t max,
		              int lines, const char **value)
{
    const char *allowed = lines ? "\t\r\n" : "";
    int     got;

    if ((got = api_body_string(req, object, name, 0, value)) < 0)
	return (-1);
    if (got == 0 || strspn(*value, " \t\r\n") == strlen(*value))
	return (api_problem(req, 422, "%s: required, and not blank", name));
    if (strlen(*value) > max)
	return (api_problem(req, 422, "%s: longer than %zu bytes", name, max));
    for (const char *cp = *value; *cp; cp++)
	if (((unsigned char) *cp < 0x20 || *cp == 0x7f) && strchr(allowed, *cp) == NULL)
	    return (api_problem(req, 422, "%s: has a control character%s", name,
				lines ? "" : " (a line end is not allowed here)"));
    return (0);
}

/* write_agent - the agent member: an address (the database checks whom) */

static int write_agent(API_REQUEST *req, JsonObject *object, const char **agent)
{
    if (write_text(req, object, "agent", 320, 0, agent) < 0)
	return (-1);
    if (strchr(*agent, '@') == NULL)
	return (api_problem(req, 422, "agent: not an agent's address"));
    return (0);
}

/* file_name - a file name safe in a MIME header and on a disk: no control
 * characters, slashes, backslashes or quotes; at most API_NAME_BYTES */

static char *file_name(const char *name)
{
    GString *out = g_string_new(NULL);

    for (const char *cp = name; *cp && out->len < API_NAME_BYTES; cp = g_utf8_next_char(cp)) {
	gunichar c = g_utf8_get_char(cp);

	if (g_unichar_iscntrl(c) || c == '/' || c == '\\' || c == '"' || c == 0x2028 || c == 0x2029)
	    g_string_append_c(out, '_');
	else
	    g_string_append_unichar(out, c);
    }
    /* Not hidden, not "." or "..". */
    for (gsize i = 0; out->str[i] == '.'; i++)
	out->str[i] = '_';
    if (out->len == 0)
	g_string_assign(out, "attachment");
    return (g_string_free(out, FALSE));
}

/* base64_size - the decoded size of strict base64 text, or -1 */

static gssize base64_size(const char *text)
{
    size_t  len = strlen(text), pad = 0;
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    if (len % 4 != 0)
	return (-1);
    while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
	pad++;
    if (strspn(text, alphabet) != len - pad)
	return (-1);
    return ((gssize) (len / 4 * 3 - pad));
}

/* type_valid - a MIME type: type "/" subtype, tokens of RFC 2045 */

static int type_valid(const char *type)
{
    static const char token[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$&^_.+-";
    size_t  n = strspn(type, token);

    return (n > 0 && n <= 64 && type[n] == '/' && strlen(type + n + 1) <= 64
	    && type[n + 1] && strspn(type + n + 1, token) == strlen(type + n + 1));
}

/* file_add - check one attachment and add it to the array b builds */

static int file_add(API_REQUEST *req, JsonBuilder *b, JsonNode *node, guint i)
{
    static const char *const members[] = {"filename", "content_type", "content_base64", 0};
    JsonObject *f;
    const char *name, *type, *content;
    gssize  size;
    char   *clean;

    if (!JSON_NODE_HOLDS_OBJECT(node))
	return (api_problem(req, 422, "attachments[%u]: expected an object", i));
    f = json_node_get_object(node);
    for (GList *all = json_object_get_members(f), *n = all; n; n = n->next) {
	int     known = 0;

	for (int k = 0; members[k]; k++)
	    known |= strcmp(members[k], n->data) == 0;
	if (!known) {
	    g_list_free(all);
	    return (api_problem(req, 422, "attachments[%u]: unknown member", i));
	}
	if (n->next == NULL)
	    g_list_free(all);
    }
    if (api_body_string(req, f, "filename", 0, &name) <= 0
	|| api_body_string(req, f, "content_type", 1, &type) < 0
	|| api_body_string(req, f, "content_base64", 0, &content) <= 0)
	return (req->status ? -1 : api_problem(req, 422, "attachments[%u]: filename and content_base64"
					       " are required", i));
    if (type && !type_valid(type))
	return (api_problem(req, 422, "attachments[%u].content_type: not a MIME type", i));
    if ((size = base64_size(content)) < 0)
	return (api_problem(req, 422, "attachments[%u].content_base64: not base64", i));
    if (size > API_FILE_BYTES)
	return (api_problem(req, 422, "attachments[%u]: larger than %d bytes", i, API_FILE_BYTES));
    clean = file_name(name);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "filename");
    json_builder_add_string_value(b, clean);
    json_builder_set_member_name(b, "content_type");
    json_builder_add_string_value(b, type ? type : "application/octet-stream");
    json_builder_set_member_name(b, "content_base64");
    json_builder_add_string_value(b, content);
    json_builder_end_object(b);
    g_free(clean);
    return (0);
}

/* write_files - the attachments member, checked, as the JSON text the
 * database takes (*files, g_free; NULL without) */

static int write_files(API_REQUEST *req, JsonObject *object, char **files)
{
    JsonNode *node = json_object_get_member(object, "attachments"), *root;
    JsonBuilder *b;
    JsonArray *list;
    int     ret = 0;

    *files = NULL;
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
	return (0);
    if (!JSON_NODE_HOLDS_ARRAY(node))
	return (api_problem(req, 422, "attachments: expected an array"));
    list = json_node_get_array(node);
    if (json_array_get_length(list) > API_FILES)
	return (api_problem(req, 422, "attachments: at most %d", API_FILES));
    b = json_builder_new();
    json_builder_begin_array(b);
    for (guint i = 0; ret == 0 && i < json_array_get_length(list); i++)
	ret = file_add(req, b, json_array_get_element(list, i), i);
    json_builder_end_array(b);
    if (ret == 0) {
	root = json_builder_get_root(b);
	*files = json_to_string(root, FALSE);
	json_node_unref(root);
    }
    g_object_unref(b);
    return (ret);
}

/* write_call - sql in each region until one answers other than NULL; 1
 * with its answer (*answer, g_free) and *region, 0 none, -1 reply set */

static int write_call(API_REQUEST *req, const char *sql, int n, const char *const *params,
		              char **answer, int *region)
{
    PGresult *res;

    for (int r = 0; r < req->api->config->region_count; r++) {
	if (api_db_query(req, r, sql, n, params, &res) < 0)
	    return (-1);
	if (!PQgetisnull(res, 0, 0)) {
	    *answer = g_strdup(PQgetvalue(res, 0, 0));
	    *region = r;
	    PQclear(res);
	    return (1);
	}
	PQclear(res);
    }
    return (0);
}

/* write_member - a member of the database's JSON answer, as text (g_free) */

static char *write_member(const char *answer, const char *name)
{
    JsonParser *parser = json_parser_new();
    JsonNode *node;
    char   *value = NULL;

    if (json_parser_load_from_data(parser, answer, -1, NULL)
	&& JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))
	&& (node = json_object_get_member(json_node_get_object(json_parser_get_root(parser)), name)))
	value = JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
	    ? g_strdup(json_node_get_string(node)) : g_strdup_printf("%" G_GINT64_FORMAT,
							      json_node_get_int(node));
    g_object_unref(parser);
    return (value);
}

/* write_message - 201 with the stored message of the answer, Location
 * its raw bytes */

static int write_message(API_REQUEST *req, int region, const char *answer)
{
    const char *name = req->api->config->regions[region].name;
    char   *id = write_member(answer, "message");
    const char *params[2] = {id, name};
    PGresult *res;
    int     ret;

    ret = api_db_query(req, region, "SELECT " API_MESSAGE_OBJECT("$2") "::text"
		       " FROM messages m WHERE m.id = $1::bigint", 2, params, &res);
    if (ret == 0) {
	api_json(req, 201, g_strdup(PQgetvalue(res, 0, 0)));
	req->location = g_strdup_printf("/v1/messages/%s.%s/raw", name, id);
	PQclear(res);
    }
    g_free(id);
    return (ret);
}

/* write_done - the end of a write on a ticket: 404 when no region had it */

static int write_done(API_REQUEST *req, const char *number, int found, int region, char *answer)
{
    int     ret;

    if (found < 0)
	ret = -1;
    else if (found == 0)
	ret = api_problem(req, 404, "there is no ticket %s that this key may see", number);
    else
	ret = write_message(req, region, answer);
    g_free(answer);
    return (ret);
}

/* api_reply_post - POST /v1/tickets/{number}/replies */

int     api_reply_post(API_REQUEST *req, const char *number)
{
    static const char *const members[] = {"text", "html", "attachments", "agent", 0};
    const char *text, *html, *agent;
    char   *files = NULL, *answer = NULL, *actor, *clean = NULL, max_rcpt[16];
    JsonObject *object;
    int     found = -1, region = 0;

    if (write_allowed(req) < 0 || (object = api_body_object(req, members)) == NULL)
	return (-1);
    if (write_text(req, object, "text", req->api->config->api_max_body, 1, &text) == 0
	&& api_body_string(req, object, "html", 1, &html) >= 0
	&& write_agent(req, object, &agent) == 0 && write_files(req, object, &files) == 0) {
	const char *params[9] = {number, req->key.queues, agent, text,
	    (clean = mail_html_clean(html)) && *clean ? clean : NULL, files,
	actor = g_strdup_printf("api:%s", req->key.name), req->api->config->recipient_delimiter,
	max_rcpt};

	snprintf(max_rcpt, sizeof(max_rcpt), "%d", req->api->config->max_recipients);
	found = write_call(req, "SELECT api_ticket_reply($1, $2::text[], $3, $4, $5, $6::jsonb, $7, $8,"
			   " $9::integer)", 9, params, &answer, &region);
	g_free(actor);
    }
    json_object_unref(object);
    g_free(files);
    g_free(clean);
    return (write_done(req, number, found, region, answer));
}

/* api_note_post - POST /v1/tickets/{number}/notes */

int     api_note_post(API_REQUEST *req, const char *number)
{
    static const char *const members[] = {"text", "agent", 0};
    const char *text, *agent;
    char   *answer = NULL, *actor;
    JsonObject *object;
    int     found = -1, region = 0;

    if (write_allowed(req) < 0 || (object = api_body_object(req, members)) == NULL)
	return (-1);
    if (write_text(req, object, "text", req->api->config->api_max_body, 1, &text) == 0
	&& write_agent(req, object, &agent) == 0) {
	const char *params[5] = {number, req->key.queues, agent, text,
	actor = g_strdup_printf("api:%s", req->key.name)};

	found = write_call(req, "SELECT api_ticket_note($1, $2::text[], $3, $4, $5)", 5, params,
			   &answer, &region);
	g_free(actor);
    }
    json_object_unref(object);
    return (write_done(req, number, found, region, answer));
}

/* ticket_open - open the ticket in the queue's region; 1 with *number
 * (g_free), 0 no queue of the key, -1 reply set */

static int ticket_open(API_REQUEST *req, const char *queue, const char *customer,
		               const char *subject, const char *agent, const char *text,
		               char **number)
{
    char   *actor = g_strdup_printf("api:%s", req->key.name), *answer = NULL, max_rcpt[16];
    const char *params[10] = {queue, req->key.queues, customer, subject, agent, text, actor,
    req->api->config->recipient_delimiter, max_rcpt, req->api->config->ticket_number_format};
    int     found, region;

    snprintf(max_rcpt, sizeof(max_rcpt), "%d", req->api->config->max_recipients);
    found = write_call(req, "SELECT api_ticket_open($1, $2::text[], $3, $4, $5, $6, $7, $8,"
		       " $9::integer, $10)", 10, params, &answer, &region);
    if (found > 0)
	*number = write_member(answer, "number");
    g_free(answer);
    g_free(actor);
    return (found);
}

/* api_ticket_post - POST /v1/tickets */

int     api_ticket_post(API_REQUEST *req)
{
    static const char *const members[] = {"queue", "customer", "subject", "text", "agent", 0};
    const char *queue, *customer, *subject, *text, *agent = NULL;
    char   *number = NULL;
    JsonObject *object;
    int     found = -1, ret;

    if (write_allowed(req) < 0 || (object = api_body_object(req, members)) == NULL)
	return (-1);
    if (write_text(req, object, "queue", 320, 0, &queue) == 0
	&& write_text(req, object, "customer", 254, 0, &customer) == 0
	&& write_text(req, object, "subject", 998, 0, &subject) == 0
	&& write_text(req, object, "text", req->api->config->api_max_body, 1, &text) == 0
	&& (json_object_get_member(object, "agent") == NULL || write_agent(req, object, &agent) == 0))
	found = ticket_open(req, queue, customer, subject, agent, text, &number);
    if (found == 0)
	api_problem(req, 422, "queue: %s is not a queue of this key", queue);
    json_object_unref(object);
    if (found <= 0)
	return (-1);
    if ((ret = api_ticket_get(req, number)) == 0) {
	req->status = 201;
	req->location = g_strdup_printf("/v1/tickets/%s", number);
    }
    g_free(number);
    return (ret);
}
