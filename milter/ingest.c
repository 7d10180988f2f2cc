/*++
/* NAME
/*	ingest 3
/* SUMMARY
/*	store one support message: what the database is told about it
/* DESCRIPTION
/*	See ingest.h.
/*--*/

#include <json-glib/json-glib.h>

#include <milter/ingest.h>

/* add_string - add "name": value, or null */

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
	json_builder_add_string_value(b, value);
    else
	json_builder_add_null_value(b);
}

/* add_list - add "name": [strings] */

static void add_list(JsonBuilder *b, const char *name, const GPtrArray *list)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; i < list->len; i++)
	json_builder_add_string_value(b, g_ptr_array_index(list, i));
    json_builder_end_array(b);
}

/* add_json - add "name": a JSON text as a value, or null */

static void add_json(JsonBuilder *b, const char *name, const char *json)
{
    JsonNode *node = json ? json_from_string(json, NULL) : NULL;

    json_builder_set_member_name(b, name);
    if (node)
	json_builder_add_value(b, node);
    else
	json_builder_add_null_value(b);
}

/* ingest_meta - the JSON description of one message */

static char *ingest_meta(const SESSION *session, const char *mta_queue_id, const MAIL *mail)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    char   *text;

    json_builder_begin_object(b);
    add_list(b, "queues", session->support_queues);
    add_string(b, "envelope_sender", session->sender);
    add_list(b, "envelope_recipients", session->recipients);
    add_string(b, "message_id", mail_message_id(mail));
    add_string(b, "subject", mail_subject(mail));
    add_string(b, "from_address", mail_from_address(mail));
    add_string(b, "from_name", mail_from_name(mail));
    add_string(b, "client_ip", session->client_ip);
    add_string(b, "client_name", session->client_name);
    add_string(b, "helo", session->helo);
    add_string(b, "mta_queue_id", mta_queue_id);
    add_json(b, "auth", session->auth_json);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return (text);
}

/* ingest_message - store one support message and its ticket */

int     ingest_message(STORE *store, const SESSION *session, const char *mta_queue_id,
		               const MAIL *mail, const char *raw, size_t raw_len,
		               char **ticket_number, TM_ERROR *err)
{
    char   *meta = ingest_meta(session, mta_queue_id, mail);
    char   *result = NULL;
    JsonParser *parser;
    JsonObject *obj;
    int     ret;

    ret = store_ingest(store, meta, raw, raw_len, &result, err);
    g_free(meta);
    if (ret < 0)
	return (-1);
    parser = json_parser_new();
    if (json_parser_load_from_data(parser, result, -1, NULL)
	&& JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))
	&& (obj = json_node_get_object(json_parser_get_root(parser))) != NULL
	&& json_object_has_member(obj, "ticket")) {
	*ticket_number = g_strdup(json_object_get_string_member(obj, "ticket"));
    } else {
	ret = tm_error(err, "ingest_message returned an unexpected result: %s", result);
    }
    g_object_unref(parser);
    g_free(result);
    return (ret);
}
