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

/* Parser library. */
#include <parser/util/json_out.h>

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

/* add_limits - the bounds on automatic mail, applied in the database */

static void add_limits(JSON_OUT *out, const char *key, const CONFIG *config)
{
    json_out_open(out, key, '{');
    json_out_int(out, "per_address_hour", config->autoreply_per_address_hour);
    json_out_int(out, "per_address_day", config->autoreply_per_address_day);
    json_out_int(out, "per_ticket_hour", config->automail_per_ticket_hour);
    json_out_int(out, "bounce_hold_seconds", config->bounce_hold);
    json_out_close(out, '}');
}

/* ingest_limits - the same as a JSON object of its own, for ticketctl */

char   *ingest_limits(const CONFIG *config)
{
    JSON_OUT *out = json_out_new();

    add_limits(out, NULL, config);
    return (json_out_finish(out));
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

/* add_blobs - the attachments' bytes, in the order of their offsets */

static void add_blobs(GArray *blobs, const MAIL *mail)
{
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *a = mail_attachment(mail, i);
	STORE_BYTES bytes = {(const char *) a->data, a->size};

	g_array_append_val(blobs, bytes);
    }
}

/* ingest_meta - the JSON description of one message: the parser's
 * (mail_json_stored()) and the envelope's; the attachments' bytes are
 * added to blobs (STORE_BYTES, pointing into mail), in the order of the
 * offsets the parser wrote */

char   *ingest_meta(const CONFIG *config, const INGEST_ENVELOPE *envelope,
		            const MAIL *mail, const char *raw, size_t raw_len,
		            GArray *blobs)
{
    JSON_OUT *out = json_out_new();
    char   *digest = message_digest(raw, raw_len);

    json_out_open(out, NULL, '{');
    mail_json_stored(out, mail);
    add_list(out, "queues", envelope->queues);
    add_list(out, "tokens", envelope->tokens);
    if (envelope->foreign_queues)
	add_list(out, "foreign_queues", envelope->foreign_queues);
    json_out_string(out, "envelope_sender", envelope->sender);
    add_list(out, "envelope_recipients", envelope->recipients);
    json_out_string(out, "digest", digest);
    json_out_text(out, "auth", envelope->auth_json);
    json_out_bool(out, "sender_authenticated", envelope->sender_authenticated);
    add_agent_proof(out, config, envelope);
    add_limits(out, "limits", config);
    json_out_string(out, "client_ip", envelope->client_ip);
    json_out_string(out, "client_name", envelope->client_name);
    json_out_string(out, "helo", envelope->helo);
    json_out_string(out, "mta_queue_id", envelope->mta_queue_id);
    json_out_int(out, "reopen_seconds", config->reopen_window);
    json_out_string(out, "number_format", config->ticket_number_format);
    json_out_string(out, "recipient_delimiter", config->recipient_delimiter);
    json_out_close(out, '}');
    g_free(digest);
    add_blobs(blobs, mail);
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

/* ingest_texts - the plain text, reply text and sanitized HTML; with
 * answer, the HTML without quote and commands too */

void    ingest_texts(const MAIL *mail, int answer, INGEST_TEXTS *texts)
{
    memset(texts, 0, sizeof(*texts));
    texts->html = mail_html_sanitized(mail);
    /* Only an agent's mail is relayed: a customer's costs no second parse. */
    texts->reply_html = answer && texts->html ? mail_html_reply(mail) : NULL;
    set_text(texts, 0, mail_text(mail));
    set_text(texts, 1, mail_reply_text(mail));
    set_text(texts, 2, texts->html);
    set_text(texts, 3, texts->reply_html);
}

/* ingest_texts_free - release what ingest_texts() made */

void    ingest_texts_free(INGEST_TEXTS *texts)
{
    for (int i = 0; i < 4; i++)
	g_free(texts->owned[i]);
    g_free(texts->html);
    g_free(texts->reply_html);
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

int     ingest_message(STORE *store, STORE_HELD *held, const CONFIG *config,
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

    ingest_texts(mail, envelope->agent_proof != 0, &texts);
    msg = (STORE_MESSAGE) {
	.meta_json = meta, .texts = {texts.value[0], texts.value[1], texts.value[2], texts.value[3]},
	.raw = raw, .raw_len = raw_len,
	.blobs = (const STORE_BYTES *) blobs->data, .blob_count = blobs->len,
    };
    memset(result, 0, sizeof(*result));
    ret = store_ingest(store, &msg, held, &answer, err);
    g_free(meta);
    ingest_texts_free(&texts);
    g_array_free(blobs, TRUE);
    if (ret == 0)
	ret = parse_result(answer, result, err);
    g_free(answer);
    return (ret);
}
