/*++
/* NAME
/*	ingest 3
/* SUMMARY
/*	store one support message: what the database is told about it
/* DESCRIPTION
/*	See ingest.h. The threading decision itself is made in SQL
/*	(thread_find() in sql/functions/threading.sql), inside the transaction
/*	that stores the message, so that concurrent deliveries cannot race.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/json_out.h>

/* Global library. */
#include <milter/core/digest.h>
#include <milter/core/ingest.h>
#include <milter/core/policy.h>
#include <milter/core/store_ingest.h>

/* add_list - add "name": [strings] */

static void add_list(JSON_OUT *out, const char *name, const GPtrArray *list)
{
    json_out_open(out, name, '[');
    for (guint i = 0; i < list->len; i++)
	json_out_string(out, NULL, g_ptr_array_index(list, i));
    json_out_close(out, ']');
}

/* add_addresses - add "name": [{name, address}] of one header */

static void add_addresses(JSON_OUT *out, const char *name, const MAIL *mail,
			          MAIL_ADDR_FIELD field)
{
    const MAIL_ADDRESS *vec;
    size_t  n = mail_addresses(mail, field, &vec);

    json_out_open(out, name, '[');
    for (size_t i = 0; i < n; i++) {
	json_out_open(out, NULL, '{');
	json_out_string(out, "name", vec[i].name);
	json_out_string(out, "address", vec[i].address);
	json_out_close(out, '}');
    }
    json_out_close(out, ']');
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

static void add_thread_ids(JSON_OUT *out, const MAIL *mail)
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
    add_list(out, "thread_ids", ids);
    g_ptr_array_free(ids, TRUE);

    json_out_open(out, "references", '[');
    for (size_t i = 0; i < n; i++)
	json_out_string(out, NULL, refs[i]);
    json_out_close(out, ']');
}

/* message_kind - customer, auto-reply or bounce */

static const char *message_kind(const MAIL *mail)
{
    if (mail_bounce(mail)->is_bounce)
	return ("bounce");
    if (mail_loop(mail)->is_auto_submitted || mail_loop(mail)->is_auto_reply)
	return ("auto-reply");
    return ("customer");
}

/* add_attachments - attachment metadata; their bytes are added to blobs */

static void add_attachments(JSON_OUT *out, const MAIL *mail, GArray *blobs)
{
    size_t  offset = 0;

    json_out_open(out, "attachments", '[');
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *a = mail_attachment(mail, i);

	STORE_BYTES bytes = {(const char *) a->data, a->size};

	json_out_open(out, NULL, '{');
	json_out_int(out, "offset", (long long) offset);
	json_out_int(out, "size", (long long) a->size);
	json_out_string(out, "sha256", a->sha256);
	json_out_string(out, "filename", a->filename);
	json_out_string(out, "content_type", a->content_type);
	json_out_string(out, "disposition", a->disposition);
	json_out_string(out, "content_id", a->content_id);
	json_out_string(out, "origin", a->origin);
	json_out_bool(out, "truncated", a->truncated);
	json_out_close(out, '}');
	g_array_append_val(blobs, bytes);
	offset += a->size;
    }
    json_out_close(out, ']');
}

/* add_facts - loop, bounce and parser facts, kept for later decisions */

static void add_facts(JSON_OUT *out, const MAIL *mail)
{
    const MAIL_LOOP *loop = mail_loop(mail);
    const MAIL_BOUNCE *bounce = mail_bounce(mail);
    unsigned bounds = mail_bounds_hit(mail);

    json_out_open(out, "facts", '{');
    json_out_string(out, "auto_submitted", loop->auto_submitted);
    json_out_string(out, "precedence", loop->precedence);
    json_out_string(out, "list_id", loop->list_id);
    json_out_string(out, "x_auto_response_suppress", loop->x_auto_response_suppress);
    json_out_string(out, "x_loop", loop->x_loop);
    json_out_int(out, "is_auto_submitted", loop->is_auto_submitted);
    json_out_int(out, "is_auto_reply", loop->is_auto_reply);
    json_out_int(out, "is_bulk", loop->is_bulk);
    json_out_int(out, "is_spam", loop->is_spam);
    json_out_int(out, "suppress_autoreply", loop->suppress_autoreply);
    json_out_int(out, "is_bounce", bounce->is_bounce);
    json_out_string(out, "bounce_original_message_id", bounce->original_message_id);
    json_out_string(out, "bounce_failed_recipient", bounce->failed_recipient);
    json_out_string(out, "bounce_status", bounce->status);
    json_out_string(out, "text_source", mail_text_source(mail));
    json_out_open(out, "defects", '[');
    for (const char *const *d = mail_defect_names(mail, NULL); *d; d++)
	json_out_string(out, NULL, *d);
    json_out_close(out, ']');
    json_out_open(out, "bounds_hit", '[');
    for (unsigned bit = 1; bit && bit <= bounds; bit <<= 1)
	if (bounds & bit)
	    json_out_string(out, NULL, mail_bound_name(bit));
    json_out_close(out, ']');
    json_out_close(out, '}');
}

/* add_commands - an agent's command lines, as read from the reply text
 * that the database gets (made valid UTF-8 as ingest_texts() makes it) */

static void add_commands(JSON_OUT *out, const MAIL *mail)
{
    const char *text = mail_reply_text(mail);
    MAIL_COMMANDS *commands = mail_commands(text);
    char   *valid = NULL;

    /* Most replies have no command: validate only when one counts. */
    if (commands && !g_utf8_validate(text, -1, NULL)) {
	mail_commands_free(commands);
	commands = mail_commands(valid = g_utf8_make_valid(text, -1));
    }

    if (commands) {
	json_out_open(out, "commands", '{');
	json_out_open(out, "list", '[');
	for (guint i = 0; i < commands->list->len; i++) {
	    const MAIL_COMMAND *command = g_ptr_array_index(commands->list, i);

	    json_out_open(out, NULL, '{');
	    json_out_string(out, "name", command->name);
	    json_out_string(out, "argument", command->argument);
	    json_out_close(out, '}');
	}
	json_out_close(out, ']');
	add_list(out, "errors", commands->errors);
	json_out_int(out, "body_start", commands->body_start);
	json_out_close(out, '}');
    }
    mail_commands_free(commands);
    g_free(valid);
}

/* add_limits - the bounds on automatic mail, applied in the database */

static void add_limits(JSON_OUT *out, const CONFIG *config)
{
    json_out_open(out, "limits", '{');
    json_out_int(out, "per_address_hour", config->autoreply_per_address_hour);
    json_out_int(out, "per_address_day", config->autoreply_per_address_day);
    json_out_int(out, "per_ticket_hour", config->automail_per_ticket_hour);
    json_out_int(out, "bounce_hold_seconds", config->bounce_hold);
    json_out_close(out, '}');
}

/* add_agent_proof - what proves the From agent, for message_kind(), and
 * how many addresses one agent answer may reach */

static void add_agent_proof(JSON_OUT *out, const CONFIG *config,
			            const INGEST_ENVELOPE *envelope)
{
    int     proof = envelope->agent_proof;

    json_out_open(out, "agent_proof", '{');
    /* The login only counts when bound to the agent, in the database. */
    json_out_string(out, "sasl_login", (proof & POLICY_PROOF_SASL) ? envelope->sasl_login : NULL);
    json_out_bool(out, "internal_host", (proof & POLICY_PROOF_INTERNAL) != 0);
    json_out_bool(out, "dkim", (proof & POLICY_PROOF_DKIM) != 0);
    json_out_bool(out, "duplicate_header", envelope->duplicate_header);
    json_out_close(out, '}');
    json_out_int(out, "max_recipients", config->max_recipients);
}

/* ingest_meta - the JSON description of one message; the attachments'
 * bytes are added to blobs (STORE_BYTES, pointing into mail) */

char   *ingest_meta(const CONFIG *config, const INGEST_ENVELOPE *envelope,
		            const MAIL *mail, const char *raw, size_t raw_len,
		            GArray *blobs)
{
    JSON_OUT *out = json_out_new();
    char   *digest = message_digest(raw, raw_len);
    char   *thread_root = ingest_thread_root(mail_thread_index(mail));

    json_out_open(out, NULL, '{');
    add_list(out, "queues", envelope->queues);
    add_list(out, "tokens", envelope->tokens);
    json_out_string(out, "envelope_sender", envelope->sender);
    add_list(out, "envelope_recipients", envelope->recipients);
    json_out_string(out, "message_id", mail_message_id(mail));
    json_out_string(out, "in_reply_to", mail_in_reply_to(mail));
    add_thread_ids(out, mail);
    json_out_string(out, "thread_index", mail_thread_index(mail));
    json_out_string(out, "thread_root", thread_root);
    json_out_string(out, "ticket_tag", mail_ticket_tag(mail));
    json_out_string(out, "subject", mail_subject(mail));
    json_out_string(out, "subject_normalized", mail_subject_normalized(mail));
    json_out_string(out, "from_address", mail_from_address(mail));
    json_out_string(out, "from_name", mail_from_name(mail));
    add_addresses(out, "to", mail, MAIL_ADDR_TO);
    add_addresses(out, "cc", mail, MAIL_ADDR_CC);
    json_out_string(out, "date", mail_date_text(mail));
    json_out_string(out, "language", mail_language(mail));
    json_out_string(out, "kind", message_kind(mail));
    json_out_string(out, "digest", digest);
    add_attachments(out, mail, blobs);
    add_facts(out, mail);
    json_out_text(out, "auth", envelope->auth_json);
    json_out_bool(out, "sender_authenticated", envelope->sender_authenticated);
    add_agent_proof(out, config, envelope);
    add_limits(out, config);
    add_commands(out, mail);
    json_out_string(out, "client_ip", envelope->client_ip);
    json_out_string(out, "client_name", envelope->client_name);
    json_out_string(out, "helo", envelope->helo);
    json_out_string(out, "mta_queue_id", envelope->mta_queue_id);
    json_out_int(out, "reopen_seconds", config->reopen_window);
    json_out_string(out, "number_format", config->ticket_number_format);
    json_out_string(out, "recipient_delimiter", config->recipient_delimiter);
    json_out_close(out, '}');
    g_free(digest);
    g_free(thread_root);
    return (json_out_finish(out));
}

/* set_text - one text as sent: itself, or a copy with what is not UTF-8
 * replaced (the parser promises UTF-8; the database insists on it) */

static void set_text(INGEST_TEXTS *texts, int i, const char *text)
{
    if (text && !g_utf8_validate(text, -1, NULL))
	text = texts->owned[i] = g_utf8_make_valid(text, -1);
    texts->value[i] = text;
}

/* ingest_texts - the plain text, reply text and sanitized HTML */

void    ingest_texts(const MAIL *mail, INGEST_TEXTS *texts)
{
    memset(texts, 0, sizeof(*texts));
    texts->html = mail_html_sanitized(mail);
    set_text(texts, 0, mail_text(mail));
    set_text(texts, 1, mail_reply_text(mail));
    set_text(texts, 2, texts->html);
}

/* ingest_texts_free - release what ingest_texts() made */

void    ingest_texts_free(INGEST_TEXTS *texts)
{
    for (int i = 0; i < 3; i++)
	g_free(texts->owned[i]);
    g_free(texts->html);
}

/* ingest_result_clear - release what a result holds */

void    ingest_result_clear(INGEST_RESULT *result)
{
    g_clear_pointer(&result->ticket, g_free);
    g_clear_pointer(&result->rule, g_free);
    g_clear_pointer(&result->relay, g_free);
    g_clear_pointer(&result->discard, g_free);
    g_clear_pointer(&result->confirmation, g_free);
    g_clear_pointer(&result->notified, g_free);
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
	result->queued = json_object_get_boolean_member_with_default(obj, "queued", !result->duplicate);
	if (json_object_has_member(obj, "relay"))
	    result->relay = json_to_string(json_object_get_member(obj, "relay"), FALSE);
	if (json_object_has_member(obj, "discard"))
	    result->discard = g_strdup(json_object_get_string_member(obj, "discard"));
	if (json_object_has_member(obj, "autoreply"))
	    result->confirmation = g_strdup(json_object_get_string_member(obj, "autoreply"));
	if (json_object_has_member(obj, "not_notified"))
	    result->notified = g_strdup(json_object_get_string_member(obj, "not_notified"));
	else if (json_object_has_member(obj, "notified"))
	    result->notified = g_strdup_printf("%" G_GINT64_FORMAT,
				  json_object_get_int_member(obj, "notified"));
    } else {
	ret = tm_error(err, "ingest_message returned an unexpected result: %s", json);
    }
    g_object_unref(parser);
    return (ret);
}

/* ingest_message - thread and store one support message */

int     ingest_message(STORE *store, const CONFIG *config,
		               const INGEST_ENVELOPE *envelope, const MAIL *mail,
		               const char *raw, size_t raw_len,
		               INGEST_RESULT *result, TM_ERROR *err)
{
    GArray *blobs = g_array_new(FALSE, FALSE, sizeof(STORE_BYTES));
    char   *meta = ingest_meta(config, envelope, mail, raw, raw_len, blobs);
    INGEST_TEXTS texts;
    STORE_MESSAGE msg;
    char   *answer = NULL;
    int     ret;

    ingest_texts(mail, &texts);
    msg = (STORE_MESSAGE) {
	.meta_json = meta, .texts = {texts.value[0], texts.value[1], texts.value[2]},
	.raw = raw, .raw_len = raw_len,
	.blobs = (const STORE_BYTES *) blobs->data, .blob_count = blobs->len,
    };
    memset(result, 0, sizeof(*result));
    ret = store_ingest(store, &msg, &answer, err);
    g_free(meta);
    ingest_texts_free(&texts);
    g_array_free(blobs, TRUE);
    if (ret == 0)
	ret = parse_result(answer, result, err);
    g_free(answer);
    return (ret);
}
