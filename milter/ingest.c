/*++
/* NAME
/*	ingest 3
/* SUMMARY
/*	store one support message: what the database is told about it
/* DESCRIPTION
/*	See ingest.h. The threading decision itself is made in SQL
/*	(thread_find() in sql/002_threading.sql), inside the transaction
/*	that stores the message, so that concurrent deliveries cannot race.
/*--*/

#include <string.h>

#include <json-glib/json-glib.h>

#include <milter/digest.h>
#include <milter/ingest.h>

/* add_string - add "name": value as valid UTF-8, or null */

static void add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value == NULL) {
	json_builder_add_null_value(b);
    } else if (g_utf8_validate(value, -1, NULL)) {
	json_builder_add_string_value(b, value);
    } else {
	char   *valid = g_utf8_make_valid(value, -1);

	json_builder_add_string_value(b, valid);
	g_free(valid);
    }
}

/* add_int - add "name": number */

static void add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
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

/* add_addresses - add "name": [{name, address}] of one header */

static void add_addresses(JsonBuilder *b, const char *name, const MAIL *mail,
			          MAIL_ADDR_FIELD field)
{
    const MAIL_ADDRESS *vec;
    size_t  n = mail_addresses(mail, field, &vec);

    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++) {
	json_builder_begin_object(b);
	add_string(b, "name", vec[i].name);
	add_string(b, "address", vec[i].address);
	json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* ingest_thread_root - Outlook's conversation root: hex of the first 22
 * bytes of Thread-Index, or NULL */

char   *ingest_thread_root(const char *thread_index)
{
    guchar *bytes;
    gsize   len = 0;
    char   *root = NULL;

    if (thread_index == NULL)
	return (NULL);
    bytes = g_base64_decode(thread_index, &len);
    if (bytes && len >= 22) {
	GString *hex = g_string_sized_new(44);

	for (int i = 0; i < 22; i++)
	    g_string_append_printf(hex, "%02x", bytes[i]);
	root = g_string_free(hex, FALSE);
    }
    g_free(bytes);
    return (root);
}

/* add_thread_ids - the ids that can name an earlier message, strongest
 * first: a bounce's original, In-Reply-To, then References newest first */

static void add_thread_ids(JsonBuilder *b, const MAIL *mail)
{
    GPtrArray *ids = g_ptr_array_new();
    const char *const *refs;
    const char *id;
    size_t  n;

    if ((id = mail_bounce(mail)->original_message_id) != NULL)
	g_ptr_array_add(ids, (char *) id);
    if ((id = mail_in_reply_to(mail)) != NULL)
	g_ptr_array_add(ids, (char *) id);
    refs = mail_references(mail, &n);
    for (size_t i = n; i > 0; i--)
	g_ptr_array_add(ids, (char *) refs[i - 1]);
    add_list(b, "thread_ids", ids);
    g_ptr_array_free(ids, TRUE);

    json_builder_set_member_name(b, "references");
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++)
	json_builder_add_string_value(b, refs[i]);
    json_builder_end_array(b);
}

/* message_kind - customer, auto-reply or bounce */

static const char *message_kind(const MAIL *mail)
{
    if (mail_bounce(mail)->is_bounce)
	return ("bounce");
    if (mail_loop(mail)->is_auto_submitted)
	return ("auto-reply");
    return ("customer");
}

/* add_attachments - attachment metadata; their bytes are added to blobs */

static void add_attachments(JsonBuilder *b, const MAIL *mail, GArray *blobs)
{
    size_t  offset = 0;

    json_builder_set_member_name(b, "attachments");
    json_builder_begin_array(b);
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *a = mail_attachment(mail, i);

	STORE_BYTES bytes = {(const char *) a->data, a->size};

	json_builder_begin_object(b);
	add_int(b, "offset", (gint64) offset);
	add_int(b, "size", (gint64) a->size);
	add_string(b, "sha256", a->sha256);
	add_string(b, "filename", a->filename);
	add_string(b, "content_type", a->content_type);
	add_string(b, "disposition", a->disposition);
	add_string(b, "content_id", a->content_id);
	add_string(b, "origin", a->origin);
	json_builder_set_member_name(b, "truncated");
	json_builder_add_boolean_value(b, a->truncated);
	json_builder_end_object(b);
	g_array_append_val(blobs, bytes);
	offset += a->size;
    }
    json_builder_end_array(b);
}

/* add_facts - loop, bounce and parser facts, kept for later decisions */

static void add_facts(JsonBuilder *b, const MAIL *mail)
{
    const MAIL_LOOP *loop = mail_loop(mail);
    const MAIL_BOUNCE *bounce = mail_bounce(mail);
    unsigned bounds = mail_bounds_hit(mail);

    json_builder_set_member_name(b, "facts");
    json_builder_begin_object(b);
    add_string(b, "auto_submitted", loop->auto_submitted);
    add_string(b, "precedence", loop->precedence);
    add_string(b, "list_id", loop->list_id);
    add_string(b, "x_auto_response_suppress", loop->x_auto_response_suppress);
    add_string(b, "x_loop", loop->x_loop);
    add_int(b, "is_auto_submitted", loop->is_auto_submitted);
    add_int(b, "is_bulk", loop->is_bulk);
    add_int(b, "is_spam", loop->is_spam);
    add_int(b, "suppress_autoreply", loop->suppress_autoreply);
    add_int(b, "is_bounce", bounce->is_bounce);
    add_string(b, "bounce_original_message_id", bounce->original_message_id);
    add_string(b, "bounce_failed_recipient", bounce->failed_recipient);
    add_string(b, "bounce_status", bounce->status);
    add_string(b, "text_source", mail_text_source(mail));
    add_int(b, "defects", mail_defects(mail));
    json_builder_set_member_name(b, "bounds_hit");
    json_builder_begin_array(b);
    for (unsigned bit = 1; bit && bit <= bounds; bit <<= 1)
	if (bounds & bit)
	    json_builder_add_string_value(b, mail_bound_name(bit));
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* add_limits - the bounds on automatic mail, applied in the database */

static void add_limits(JsonBuilder *b, const CONFIG *config)
{
    json_builder_set_member_name(b, "limits");
    json_builder_begin_object(b);
    add_int(b, "per_address_hour", config->autoreply_per_address_hour);
    add_int(b, "per_address_day", config->autoreply_per_address_day);
    add_int(b, "per_ticket_hour", config->automail_per_ticket_hour);
    add_int(b, "bounce_hold_seconds", config->bounce_hold);
    json_builder_end_object(b);
}

/* ingest_meta - the JSON description of one message; the attachments'
 * bytes are added to blobs (STORE_BYTES, pointing into mail) */

char   *ingest_meta(const CONFIG *config, const SESSION *session, const char *mta_queue_id,
		            const MAIL *mail, const char *raw, size_t raw_len,
		            GArray *blobs)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    char   *text, *digest = message_digest(raw, raw_len);
    char   *thread_root = ingest_thread_root(mail_thread_index(mail));
    char   *html = mail_html_sanitized(mail);

    json_builder_begin_object(b);
    add_list(b, "queues", session->support_queues);
    add_list(b, "tokens", session->reply_tokens);
    add_string(b, "envelope_sender", session->sender);
    add_list(b, "envelope_recipients", session->recipients);
    add_string(b, "message_id", mail_message_id(mail));
    add_string(b, "in_reply_to", mail_in_reply_to(mail));
    add_thread_ids(b, mail);
    add_string(b, "thread_index", mail_thread_index(mail));
    add_string(b, "thread_root", thread_root);
    add_string(b, "ticket_tag", mail_ticket_tag(mail));
    add_string(b, "subject", mail_subject(mail));
    add_string(b, "subject_normalized", mail_subject_normalized(mail));
    add_string(b, "from_address", mail_from_address(mail));
    add_string(b, "from_name", mail_from_name(mail));
    add_addresses(b, "to", mail, MAIL_ADDR_TO);
    add_addresses(b, "cc", mail, MAIL_ADDR_CC);
    add_string(b, "date", mail_date_text(mail));
    add_string(b, "language", mail_language(mail));
    add_string(b, "kind", message_kind(mail));
    add_string(b, "digest", digest);
    add_string(b, "text", mail_text(mail));
    add_string(b, "reply_text", mail_reply_text(mail));
    add_string(b, "html", html);
    add_attachments(b, mail, blobs);
    add_facts(b, mail);
    add_json(b, "auth", session->auth_json);
    json_builder_set_member_name(b, "sender_authenticated");
    json_builder_add_boolean_value(b, session->sender_authenticated);
    json_builder_set_member_name(b, "agent_authenticated");
    json_builder_add_boolean_value(b, session->agent_authenticated);
    add_limits(b, config);
    add_string(b, "client_ip", session->client_ip);
    add_string(b, "client_name", session->client_name);
    add_string(b, "helo", session->helo);
    add_string(b, "mta_queue_id", mta_queue_id);
    add_int(b, "reopen_seconds", config->reopen_window);
    add_string(b, "number_format", config->ticket_number_format);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    g_free(digest);
    g_free(thread_root);
    g_free(html);
    return (text);
}

/* ingest_result_clear - release what a result holds */

void    ingest_result_clear(INGEST_RESULT *result)
{
    g_clear_pointer(&result->ticket, g_free);
    g_clear_pointer(&result->rule, g_free);
    g_clear_pointer(&result->relay, g_free);
    g_clear_pointer(&result->discard, g_free);
}

/* parse_result - read the SQL function's answer */

static int parse_result(const char *json, INGEST_RESULT *result, TM_ERROR *err)
{
    JsonParser *parser = json_parser_new();
    JsonObject *obj = NULL;
    int     ret = 0;

    if (json_parser_load_from_data(parser, json, -1, NULL)
	&& JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
	obj = json_node_get_object(json_parser_get_root(parser));
    if (obj && json_object_has_member(obj, "ticket") && json_object_has_member(obj, "rule")) {
	result->ticket = g_strdup(json_object_get_string_member(obj, "ticket"));
	result->rule = g_strdup(json_object_get_string_member(obj, "rule"));
	result->created = json_object_get_boolean_member_with_default(obj, "created", FALSE);
	result->duplicate = json_object_get_boolean_member_with_default(obj, "duplicate", FALSE);
	if (json_object_has_member(obj, "relay"))
	    result->relay = json_to_string(json_object_get_member(obj, "relay"), FALSE);
	if (json_object_has_member(obj, "discard"))
	    result->discard = g_strdup(json_object_get_string_member(obj, "discard"));
    } else {
	ret = tm_error(err, "ingest_message returned an unexpected result: %s", json);
    }
    g_object_unref(parser);
    return (ret);
}

/* ingest_message - thread and store one support message */

int     ingest_message(STORE *store, const CONFIG *config, const SESSION *session,
		               const char *mta_queue_id, const MAIL *mail,
		               const char *raw, size_t raw_len,
		               INGEST_RESULT *result, TM_ERROR *err)
{
    GArray *blobs = g_array_new(FALSE, FALSE, sizeof(STORE_BYTES));
    char   *meta = ingest_meta(config, session, mta_queue_id, mail, raw, raw_len, blobs);
    char   *answer = NULL;
    int     ret;

    memset(result, 0, sizeof(*result));
    ret = store_ingest(store, meta, raw, raw_len, (const STORE_BYTES *) blobs->data, blobs->len,
		       &answer, err);
    g_free(meta);
    g_array_free(blobs, TRUE);
    if (ret == 0)
	ret = parse_result(answer, result, err);
    g_free(answer);
    return (ret);
}
