/*++
/* NAME
/*	compose 3
/* SUMMARY
/*	build an outgoing mail (confirmation, notification) with gmime
/* DESCRIPTION
/*	See compose.h.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/compose.h>
#include <milter/core/template.h>

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

/* attachment_summary - one line per attachment, no links */

static char *attachment_summary(JsonObject *obj)
{
    JsonArray *list = json_object_get_array_member(obj, "attachments");
    GString *out = g_string_new("");

    for (guint i = 0; list && i < json_array_get_length(list); i++) {
	JsonObject *a = json_array_get_object_element(list, i);

	g_string_append_printf(out, "\nAttachment: %s (%s, %" G_GINT64_FORMAT " bytes)",
			       *compose_member(a, "filename") ? compose_member(a, "filename") : "(no name)",
			       compose_member(a, "content_type"), json_object_get_int_member(a, "size"));
    }
    return (g_string_free(out, FALSE));
}

/* template_values - the variables of the mail's template */

static GHashTable *template_values(JsonObject *obj, const char *tag)
{
    GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    GDateTime *now = g_date_time_new_now_local();
    int     reply = strcmp(compose_member(obj, "cause_kind"), "reply") == 0;

    g_hash_table_insert(v, "ticket_number", g_strdup(compose_member(obj, "ticket_number")));
    g_hash_table_insert(v, "ticket_subject", g_strdup(compose_member(obj, "ticket_subject")));
    g_hash_table_insert(v, "ticket_tag", g_strdup(tag));
    g_hash_table_insert(v, "customer_name", g_strdup(compose_member(obj, "customer_name")));
    g_hash_table_insert(v, "customer_address", g_strdup(compose_member(obj, "customer_address")));
    g_hash_table_insert(v, "queue_name", g_strdup(compose_member(obj, "queue_name")));
    g_hash_table_insert(v, "queue_address", g_strdup(compose_member(obj, "queue_address")));
    g_hash_table_insert(v, "reply_address", g_strdup(compose_member(obj, "reply_address")));
    g_hash_table_insert(v, "date", g_date_time_format(now, "%Y-%m-%d %H:%M %z"));
    g_hash_table_insert(v, "event", g_strdup(*compose_member(obj, "notice") ? compose_member(obj, "notice")
					     : reply ? "Customer reply" : "New ticket"));
    g_hash_table_insert(v, "customer_text", g_strdup(compose_member(obj, "customer_text")));
    g_hash_table_insert(v, "attachments", attachment_summary(obj));
    g_date_time_unref(now);
    return (v);
}

/* text_part - a UTF-8 text part of the given subtype */

static GMimeObject *text_part(const char *subtype, const char *text)
{
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);

    g_mime_text_part_set_text(part, text);
    g_mime_part_set_content_encoding(GMIME_PART(part),
	g_mime_part_get_best_content_encoding(GMIME_PART(part), GMIME_ENCODING_CONSTRAINT_7BIT));
    return (GMIME_OBJECT(part));
}

/* mail_body - text/plain, or multipart/alternative with HTML */

static GMimeObject *mail_body(JsonObject *template, GHashTable *values, char **text)
{
    GMimeObject *plain;
    GMimeMultipart *alt;
    char   *html;

    *text = template_render(compose_member(template, "text"), values, 0);
    plain = text_part("plain", *text);
    if (*compose_member(template, "html") == 0)
	return (plain);
    html = template_render(compose_member(template, "html"), values, 1);
    alt = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_add(alt, plain);
    g_mime_multipart_add(alt, text_part("html", html));
    g_object_unref(plain);
    g_free(html);
    return (GMIME_OBJECT(alt));
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

int     compose_mail(const char *mail_json, const char *tag_format, COMPOSED *mail, TM_ERROR *err)
{
    JsonParser *parser = json_parser_new();
    JsonObject *obj, *template;
    GMimeMessage *msg;
    GMimeObject *body;
    GMimeFormatOptions *format;
    GHashTable *values;
    GDateTime *now;
    char   *tag;
    int     confirmation;

    memset(mail, 0, sizeof(*mail));
    if ((obj = mail_object(parser, mail_json, err)) == NULL) {
	g_object_unref(parser);
	return (-1);
    }
    template = json_object_get_object_member(obj, "template");
    /* A confirmation or a notice comes from the queue; a notification
     * from the customer "via" the queue, so that Reply answers them. */
    confirmation = strcmp(compose_member(obj, "kind"), "notification") != 0;
    tag = compose_tag(tag_format, compose_member(obj, "ticket_number"));
    values = template_values(obj, tag);

    msg = g_mime_message_new(TRUE);
    if (confirmation) {
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
			       strcmp(compose_member(obj, "kind"), "confirmation") == 0
			       ? compose_member(obj, "customer_name") : NULL, compose_member(obj, "recipient"));
    g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_REPLY_TO, compose_member(obj, "queue_name"),
			       compose_member(obj, "reply_address"));
    /* A notice of no ticket (a command mail's answer) has no tag. */
    mail->subject = *compose_member(obj, "ticket_number") ?
	g_strdup_printf("%s %s", tag, compose_member(obj, "ticket_subject"))
	: g_strdup(compose_member(obj, "ticket_subject"));
    g_mime_message_set_subject(msg, mail->subject, "utf-8");
    g_mime_message_set_message_id(msg, compose_member(obj, "message_id"));
    now = g_date_time_new_now_local();
    g_mime_message_set_date(msg, now);
    g_date_time_unref(now);
    set_threading(msg, obj);
    g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
			     confirmation ? "auto-replied" : "auto-generated", NULL);
    g_mime_object_set_header(GMIME_OBJECT(msg), "X-Auto-Response-Suppress", "All", NULL);
    g_mime_object_set_header(GMIME_OBJECT(msg), "X-Loop", compose_member(obj, "queue_address"), NULL);
    g_mime_object_set_header(GMIME_OBJECT(msg), "Content-Language",
			     *compose_member(template, "language") ? compose_member(template, "language") : "en", NULL);
    body = mail_body(template, values, &mail->text);
    g_mime_message_set_mime_part(msg, body);
    g_object_unref(body);

    format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
    mail->data = g_mime_object_to_string(GMIME_OBJECT(msg), format);
    mail->len = strlen(mail->data);
    mail->envelope_from = g_strdup(compose_member(obj, "queue_address"));

    g_mime_format_options_free(format);
    g_object_unref(msg);
    g_hash_table_destroy(values);
    g_free(tag);
    g_object_unref(parser);
    return (0);
}

/* compose_free - release what compose_mail() made */

void    compose_free(COMPOSED *mail)
{
    g_free(mail->data);
    g_free(mail->envelope_from);
    g_free(mail->subject);
    g_free(mail->from_address);
    g_free(mail->from_name);
    g_free(mail->text);
    memset(mail, 0, sizeof(*mail));
}
