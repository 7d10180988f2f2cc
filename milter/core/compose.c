/*++
/* NAME
/*	compose 3
/* SUMMARY
/*	build an outgoing mail (confirmation, notification, notice, closed) with gmime
/* DESCRIPTION
/*	See compose.h.
/*--*/

/* System library. */
#include <stdint.h>
#include <string.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/compose.h>
#include <milter/core/notify_parts.h>
#include <milter/core/template.h>

/* Parser library. */
#include <parser/mail.h>

/* compose_member - a string member of a JSON answer, "" when absent */

const char *compose_member(JsonObject *obj, const char *name)
{
    JsonNode *node = json_object_get_member(obj, name);

    if (node == NULL || JSON_NODE_TYPE(node) != JSON_NODE_VALUE)
	return ("");
    return (json_node_get_string(node) ? json_node_get_string(node) : "");
}

/* compose_tag - the tag format with NUMBER replaced */

char   *compose_tag(const char *tag_format, const char *number)
{
    const char *at = strstr(tag_format, "NUMBER");

    if (at == NULL)
	return (g_strdup_printf("[#%s]", number));
    return (g_strdup_printf("%.*s%s%s", (int) (at - tag_format), tag_format, number, at + 6));
}

/* compose_attachment - a base64 part of these bytes, as it was sent */

GMimePart *compose_attachment(const char *content_type, const char *filename,
			              const char *content_id, int is_inline, GMimeStream *bytes)
{
    GMimeContentType *type = g_mime_content_type_parse(NULL, content_type && *content_type
					       ? content_type : "application/octet-stream");
    const char *media = g_mime_content_type_get_media_type(type);
    int     opaque = g_ascii_strcasecmp(media, "message") == 0
	|| g_ascii_strcasecmp(media, "multipart") == 0;
    GMimeDataWrapper *content = g_mime_data_wrapper_new_with_stream(bytes, GMIME_CONTENT_ENCODING_DEFAULT);
    GMimePart *part;

    /* base64 is not allowed for message/ and multipart/ (RFC 2046). */
    part = opaque ? g_mime_part_new_with_type("application", "octet-stream")
	: g_mime_part_new_with_type(media, g_mime_content_type_get_media_subtype(type));
    g_mime_part_set_content(part, content);
    g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
    g_mime_object_set_disposition(GMIME_OBJECT(part), is_inline ? "inline" : "attachment");
    if ((filename && *filename) || opaque)
	g_mime_part_set_filename(part, filename && *filename ? filename : "message.eml");
    if (content_id && *content_id)
	g_mime_part_set_content_id(part, content_id);
    g_object_unref(content);
    g_object_unref(type);
    return (part);
}

/* template_values - the variables of the mail's template */

static GHashTable *template_values(JsonObject *obj, const char *tag, const NOTIFY_PARTS *parts)
{
    GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    GDateTime *now = g_date_time_new_now_local();

    g_hash_table_insert(v, "ticket_number", g_strdup(compose_member(obj, "ticket_number")));
    g_hash_table_insert(v, "ticket_subject", g_strdup(compose_member(obj, "ticket_subject")));
    g_hash_table_insert(v, "ticket_tag", g_strdup(tag));
    g_hash_table_insert(v, "customer_name", g_strdup(compose_member(obj, "customer_name")));
    g_hash_table_insert(v, "customer_address", g_strdup(compose_member(obj, "customer_address")));
    g_hash_table_insert(v, "queue_name", g_strdup(compose_member(obj, "queue_name")));
    g_hash_table_insert(v, "queue_address", g_strdup(compose_member(obj, "queue_address")));
    g_hash_table_insert(v, "reply_address", g_strdup(compose_member(obj, "reply_address")));
    g_hash_table_insert(v, "date", g_date_time_format(now, "%Y-%m-%d %H:%M %z"));
    g_hash_table_insert(v, "event", g_strdup(compose_member(obj, "notice")));
    g_hash_table_insert(v, "customer_text", g_strdup(compose_member(obj, "customer_text")));
    g_hash_table_insert(v, "attachments", notify_parts_list(parts));
    g_date_time_unref(now);
    return (v);
}

/* compose_text_part - a UTF-8 text part of the given subtype */

GMimeObject *compose_text_part(const char *subtype, const char *text)
{
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

    g_mime_text_part_set_text(part, text);
    g_mime_part_set_content_encoding(GMIME_PART(part),
	g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
    return (GMIME_OBJECT(part));
}

/* The customer's text in the HTML alternative's frame: no value has it. */
#define CUSTOMER_MARK	"\x01\x02customer_text\x02\x01"

/* framed_html - the customer's HTML between the text template's lines
 * before and after {{customer_text}} */

static char *framed_html(JsonObject *template, GHashTable *values, const char *customer_html)
{
    char   *text, *mark, *html;

    g_hash_table_insert(values, "customer_text", g_strdup(CUSTOMER_MARK));
    text = template_render(compose_member(template, "text"), values, 0);
    if ((mark = strstr(text, CUSTOMER_MARK)) != NULL) {
	*mark = 0;
	html = mail_html_framed(customer_html, text, mark + strlen(CUSTOMER_MARK));
    } else {
	html = mail_html_framed(customer_html, text, NULL);
    }
    g_free(text);
    return (html);
}

/* html_alternative - the HTML alternative: the customer's, framed, else the
 * template's; NULL when neither */

static GMimeObject *html_alternative(JsonObject *obj, JsonObject *template, GHashTable *values)
{
    const char *customer_html = compose_member(obj, "customer_html");
    GMimeObject *part;
    char   *html;

    if (*customer_html)
	html = framed_html(template, values, customer_html);
    else if (*compose_member(template, "html"))
	html = template_render(compose_member(template, "html"), values, 1);
    else
	return (NULL);
    part = compose_text_part("html", html);
    g_free(html);
    return (part);
}

/* mail_body - text/plain, or multipart/alternative with HTML; with the
 * parts the plan carries */

static GMimeObject *mail_body(JsonObject *obj, JsonObject *template, GHashTable *values,
			              NOTIFY_PARTS *parts, const COMPOSE_SETTINGS *settings,
			              char **text, TM_ERROR *err)
{
    GMimeObject *plain, *html, *body;

    *text = template_render(compose_member(template, "text"), values, 0);
    plain = compose_text_part("plain", *text);
    html = html_alternative(obj, template, values);
    body = notify_parts_body(parts, plain, html, settings->fetch, settings->fetch_context, err);
    g_object_unref(plain);
    if (html)
	g_object_unref(html);
    return (body);
}

/* set_threading - In-Reply-To, and References that end with our own id */

static void set_threading(GMimeMessage *msg, JsonObject *obj)
{
    GString *refs = g_string_new("");
    JsonArray *cause_refs = json_object_get_array_member(obj, "cause_refs");
    const char *cause = compose_member(obj, "cause_message_id");

    for (guint i = 0; cause_refs && i < json_array_get_length(cause_refs); i++)
	g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "",
			       json_array_get_string_element(cause_refs, i));
    if (*cause) {
	char   *irt = g_strdup_printf("<%s>", cause);

	g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", irt, NULL);
	g_string_append_printf(refs, "%s%s", refs->len ? " " : "", irt);
	g_free(irt);
    }
    g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "", compose_member(obj, "message_id"));
    g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs->str, NULL);
    g_string_free(refs, TRUE);
}

/* mail_object - outbox_mail()'s answer, with a template; NULL and why not */

static JsonObject *mail_object(JsonParser *parser, const char *mail_json, TM_ERROR *err)
{
    JsonNode *root, *template;
    JsonObject *obj;

    if (!json_parser_load_from_data(parser, mail_json, -1, NULL)
	|| !JSON_NODE_HOLDS_OBJECT(root = json_parser_get_root(parser))) {
	tm_error(err, "outbox_mail() did not answer a JSON object");
	return (NULL);
    }
    obj = json_node_get_object(root);
    template = json_object_get_member(obj, "template");
    if (template == NULL || !JSON_NODE_HOLDS_OBJECT(template)) {
	tm_error(err, "no template for a %s from queue <%s>; add one (\"ticketctl template\"),"
		 " then \"ticketctl outbox retry %" G_GINT64_FORMAT "\"", compose_member(obj, "kind"),
		 compose_member(obj, "queue_address"),
		 json_object_get_int_member_with_default(obj, "id", 0));
	return (NULL);
    }
    return (obj);
}

/* compose_mail - render one outbox mail into RFC 5322 bytes */

int     compose_mail(const char *mail_json, const COMPOSE_SETTINGS *settings, COMPOSED *mail,
		             TM_ERROR *err)
{
    JsonParser *parser = json_parser_new();
    JsonObject *obj, *template;
    GMimeMessage *msg;
    GMimeObject *body;
    GMimeFormatOptions *format;
    GHashTable *values;
    GDateTime *now;
    NOTIFY_PARTS *parts;
    char   *tag;
    int     confirmation, to_customer, answer, ret = 0;

    memset(mail, 0, sizeof(*mail));
    if ((obj = mail_object(parser, mail_json, err)) == NULL) {
	g_object_unref(parser);
	return (-1);
    }
    template = json_object_get_object_member(obj, "template");
    /* A confirmation, a closed mail or a notice comes from the queue; a
     * notification from the customer "via" the queue, so that Reply
     * answers them. */
    confirmation = strcmp(compose_member(obj, "kind"), "notification") != 0;
    answer = strcmp(compose_member(obj, "kind"), "answer") == 0;
    tag = compose_tag(settings->tag_format, compose_member(obj, "ticket_number"));
    /* A notification and an answer carry the message's parts (an answer
     * all of them: ticket-api bounds them); a confirmation none. */
    parts = notify_parts_plan(confirmation && !answer ? NULL
			      : json_object_get_array_member(obj, "attachments"),
			      compose_member(obj, "customer_html"),
			      answer ? SIZE_MAX : settings->attachment_limit);
    values = template_values(obj, tag, parts);
    to_customer = strcmp(compose_member(obj, "kind"), "confirmation") == 0
	|| strcmp(compose_member(obj, "kind"), "closed") == 0
	|| (answer && strcmp(compose_member(obj, "recipient"), compose_member(obj, "customer_address")) == 0);

    msg = g_mime_message_new(TRUE);
    if (answer) {
	/* An agent's answer, as relay(3) sends a mailed one. */
	mail->from_name = g_strdup_printf("%s via %s", *compose_member(obj, "cause_from_name") ?
					  compose_member(obj, "cause_from_name")
					  : compose_member(obj, "cause_from_address"),
					  compose_member(obj, "queue_name"));
	mail->from_address = g_strdup(compose_member(obj, "queue_address"));
    } else if (confirmation) {
	mail->from_name = g_strdup(compose_member(obj, "queue_name"));
	mail->from_address = g_strdup(compose_member(obj, "queue_address"));
    } else {
	mail->from_name = g_strdup_printf("%s via %s", *compose_member(obj, "cause_from_name") ?
			  compose_member(obj, "cause_from_name") : compose_member(obj, "customer_name"),
					  compose_member(obj, "queue_name"));
	mail->from_address = g_strdup(compose_member(obj, "reply_address"));
    }
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, mail->from_name, mail->from_address);
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
			       to_customer ? compose_member(obj, "customer_name") : NULL,
			       compose_member(obj, "recipient"));
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, compose_member(obj, "queue_name"),
			       compose_member(obj, "reply_address"));
    /* A notice of no ticket (a command mail's answer) has no tag. */
    mail->subject = *compose_member(obj, "ticket_number") ?
	g_strdup_printf("%s%s %s", answer && *compose_member(obj, "cause_message_id") ? "Re: " : "",
			tag, compose_member(obj, "ticket_subject"))
	: g_strdup(compose_member(obj, "ticket_subject"));
    g_mime_message_set_subject(msg, mail->subject, "utf-8");
    g_mime_message_set_message_id(msg, compose_member(obj, "message_id"));
    now = g_date_time_new_now_local();
    g_mime_message_set_date(msg, now);
    g_date_time_unref(now);
    set_threading(msg, obj);
    /* RFC 3834: a closed mail answers no message, it reports an event;
     * an agent's answer is a person's mail. */
    if (!answer) {
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
				 confirmation && strcmp(compose_member(obj, "kind"), "closed") != 0
				 ? "auto-replied" : "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Auto-Response-Suppress", "All", NULL);
    }
    g_mime_object_set_header(GMIME_OBJECT(msg), "X-Loop", compose_member(obj, "queue_address"), NULL);
    g_mime_object_set_header(GMIME_OBJECT(msg), "Content-Language",
			     *compose_member(template, "language") ? compose_member(template, "language") : "en", NULL);
    if ((body = mail_body(obj, template, values, parts, settings, &mail->text, err)) != NULL) {
	g_mime_message_set_mime_part(msg, body);
	g_object_unref(body);

	format = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
	mail->data = g_mime_object_to_string(GMIME_OBJECT(msg), format);
	mail->len = strlen(mail->data);
	/* The recorded copy: the attachments' bytes are stored already. */
	notify_parts_strip(parts);
	mail->record = g_mime_object_to_string(GMIME_OBJECT(msg), format);
	mail->record_len = strlen(mail->record);
	mail->envelope_from = g_strdup(compose_member(obj, "queue_address"));
	g_mime_format_options_free(format);
    } else {
	ret = -1;
    }

    notify_parts_free(parts);
    g_object_unref(msg);
    g_hash_table_destroy(values);
    g_free(tag);
    g_object_unref(parser);
    return (ret);
}

/* compose_free - release what compose_mail() made */

void    compose_free(COMPOSED *mail)
{
    g_free(mail->data);
    g_free(mail->record);
    g_free(mail->envelope_from);
    g_free(mail->subject);
    g_free(mail->from_address);
    g_free(mail->from_name);
    g_free(mail->text);
    memset(mail, 0, sizeof(*mail));
}
