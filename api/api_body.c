/*++
/* NAME
/*	api_body 3
/* SUMMARY
/*	ticket-api: a request's JSON body, checked before it is parsed
/* SYNOPSIS
/*	#include <api/api.h>
/*
/*	JsonObject *api_body_object(API_REQUEST *req, const char *const *members)
/*
/*	int	api_body_string(API_REQUEST *req, JsonObject *object,
/*				const char *name, int nullable,
/*				const char **value)
/* DESCRIPTION
/*	api_body_object() returns the request body as a JSON object (a
/*	reference the caller drops with json_object_unref()). Before
/*	json-glib sees it, the body must be declared application/json
/*	(charset utf-8 at most), be valid UTF-8 and nest at most
/*	API_JSON_DEPTH arrays and objects: json-glib's parser recurses, and
/*	a body of a million "[" must not take the stack. Each member must
/*	be one of members (a null-terminated list).
/*
/*	api_body_string() reads the member name, which must be a string
/*	(or null when nullable): 0 absent, 1 set (*value NULL for null),
/*	-1 with a 422 reply.
/* DIAGNOSTICS
/*	NULL with the reply set: 415 for another content type, 400 for a
/*	body that is not UTF-8, too deep, or not JSON, 422 for a JSON value
/*	that is no object or a member that is not known.
/*--*/

/* System library. */
#include <string.h>
#include <strings.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Application-specific. */
#include <api/api.h>

#define API_JSON_DEPTH	32

/* body_depth - the deepest nesting of arrays and objects, outside strings */

static int body_depth(const char *text, size_t len)
{
    int     depth = 0, deepest = 0, in_string = 0;

    for (size_t i = 0; i < len; i++) {
	char    c = text[i];

	if (in_string) {
	    if (c == '\\')
		i++;
	    else if (c == '"')
		in_string = 0;
	} else if (c == '"') {
	    in_string = 1;
	} else if (c == '[' || c == '{') {
	    if (++depth > deepest)
		deepest = depth;
	} else if (c == ']' || c == '}') {
	    depth--;
	}
    }
    return (deepest);
}

/* body_is_json - the Content-Type is application/json */

static int body_is_json(API_REQUEST *req)
{
    const char *type = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_CONTENT_TYPE);
    size_t  n = strlen("application/json");

    if (type == NULL || g_ascii_strncasecmp(type, "application/json", n) != 0)
	return (0);
    type += n;
    type += strspn(type, " \t");
    return (*type == 0 || (*type == ';' && strcasestr(type, "charset=utf-8") != NULL
			   && strchr(type + 1, ';') == NULL));
}

/* api_body_object - the body as a JSON object of known members */

JsonObject *api_body_object(API_REQUEST *req, const char *const *members)
{
    JsonParser *parser;
    JsonNode *root;
    JsonObject *object = NULL;
    GList  *names;

    if (!body_is_json(req)) {
	api_problem(req, 415, "the body must be application/json");
	return (NULL);
    }
    if (!g_utf8_validate(req->body->str, (gssize) req->body->len, NULL)) {
	api_problem(req, 400, "the body is not valid UTF-8");
	return (NULL);
    }
    if (body_depth(req->body->str, req->body->len) > API_JSON_DEPTH) {
	api_problem(req, 400, "the JSON nests deeper than %d levels", API_JSON_DEPTH);
	return (NULL);
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, req->body->str, (gssize) req->body->len, NULL)
	|| (root = json_parser_get_root(parser)) == NULL) {
	api_problem(req, 400, "the body is not JSON");
    } else if (!JSON_NODE_HOLDS_OBJECT(root)) {
	api_problem(req, 422, "the body must be a JSON object");
    } else {
	object = json_object_ref(json_node_get_object(root));
	names = json_object_get_members(object);
	for (GList *n = names; n && object; n = n->next) {
	    int     known = 0;

	    for (int i = 0; members[i]; i++)
		known |= strcmp(members[i], n->data) == 0;
	    if (!known) {
		api_problem(req, 422, "unknown member \"%s\"", (const char *) n->data);
		json_object_unref(object);
		object = NULL;
	    }
	}
	g_list_free(names);
    }
    g_object_unref(parser);
    return (object);
}

/* api_body_string - a member that must be a string (or null when nullable) */

int     api_body_string(API_REQUEST *req, JsonObject *object, const char *name,
			        int nullable, const char **value)
{
    JsonNode *node = json_object_get_member(object, name);

    *value = NULL;
    if (node == NULL)
	return (0);
    if (JSON_NODE_HOLDS_NULL(node) && nullable)
	return (1);
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
	return (api_problem(req, 422, "%s: expected a string%s", name, nullable ? " or null" : ""));
    *value = json_node_get_string(node);
    return (1);
}
