/*++
/* NAME
/*	mail_json 3
/* SUMMARY
/*	render a parsed message as JSON
/* SYNOPSIS
/*	#include <parser/mail.h>
/*
/*	char	*mail_to_json(const MAIL *mail, int with_bytes)
/* DESCRIPTION
/*	mail_to_json() returns the whole result as one UTF-8 JSON object,
/*	pretty-printed, with the field names documented in
/*	parser/README.md. Absent values are null, never left out, so that
/*	a consumer sees the same shape for every message. Attachment
/*	bytes are included, base64-encoded, only when with_bytes is set.
/*	The caller frees the result with g_free().
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <json-glib/json-glib.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* json_string_or_null - a string member, null when absent */

static void json_string_or_null(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
	json_builder_add_string_value(b, value);
    else
	json_builder_add_null_value(b);
}

/* json_bool - a boolean member */

static void json_bool(JsonBuilder *b, const char *name, int value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value != 0);
}

/* json_addresses - one address header as an array of objects */

static void json_addresses(JsonBuilder *b, const MAIL *mail, const char *name,
			           MAIL_ADDR_FIELD field)
{
    const MAIL_ADDRESS *vec;
    size_t  n = mail_addresses(mail, field, &vec);

    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (size_t i = 0; i < n; i++) {
	json_builder_begin_object(b);
	json_string_or_null(b, "name", vec[i].name);
	json_string_or_null(b, "address", vec[i].address);
	json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* json_flags - an array of the names of the bits set */

static void json_flags(JsonBuilder *b, const char *name, unsigned bits,
		               const char *const *names)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (unsigned i = 0; names[i]; i++)
	if (bits & (1U << i))
	    json_builder_add_string_value(b, names[i]);
    json_builder_end_array(b);
}

/* json_loop - the mail-loop facts */

static void json_loop(JsonBuilder *b, const MAIL_LOOP *lp)
{
    json_builder_set_member_name(b, "loop");
    json_builder_begin_object(b);
    json_string_or_null(b, "auto_submitted", lp->auto_submitted);
    json_string_or_null(b, "precedence", lp->precedence);
    json_string_or_null(b, "list_id", lp->list_id);
    json_string_or_null(b, "list_unsubscribe", lp->list_unsubscribe);
    json_string_or_null(b, "x_auto_response_suppress", lp->x_auto_response_suppress);
    json_string_or_null(b, "x_loop", lp->x_loop);
    json_string_or_null(b, "x_spam_flag", lp->x_spam_flag);
    json_bool(b, "is_auto_submitted", lp->is_auto_submitted);
    json_bool(b, "is_bulk", lp->is_bulk);
    json_bool(b, "is_spam", lp->is_spam);
    json_bool(b, "is_auto_reply", lp->is_auto_reply);
    json_bool(b, "suppress_autoreply", lp->suppress_autoreply);
    json_builder_end_object(b);
}

/* json_bounce - the delivery status facts */

static void json_bounce(JsonBuilder *b, const MAIL_BOUNCE *bo)
{
    json_builder_set_member_name(b, "bounce");
    json_builder_begin_object(b);
    json_bool(b, "is_bounce", bo->is_bounce);
    json_bool(b, "is_dsn", bo->is_dsn);
    json_string_or_null(b, "original_message_id", bo->original_message_id);
    json_string_or_null(b, "failed_recipient", bo->failed_recipient);
    json_string_or_null(b, "status", bo->status);
    json_string_or_null(b, "action", bo->action);
    json_builder_end_object(b);
}

/* json_attachments - the attachment list */

static void json_attachments(JsonBuilder *b, const MAIL *mail, int with_bytes)
{
    json_builder_set_member_name(b, "attachments");
    json_builder_begin_array(b);
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *att = mail_attachment(mail, i);

	json_builder_begin_object(b);
	json_string_or_null(b, "filename", att->filename);
	json_string_or_null(b, "content_type", att->content_type);
	json_string_or_null(b, "disposition", att->disposition);
	json_string_or_null(b, "content_id", att->content_id);
	json_string_or_null(b, "origin", att->origin);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64) att->size);
	json_string_or_null(b, "sha256", att->sha256);
	json_bool(b, "truncated", att->truncated);
	json_string_or_null(b, "message_subject", att->message_subject);
	json_string_or_null(b, "message_from", att->message_from);
	if (with_bytes) {
	    char   *b64 = g_base64_encode(att->data, att->size);

	    json_string_or_null(b, "bytes_base64", b64);
	    g_free(b64);
	}
	json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* json_control_escape - escape raw U+001F that json-glib 1.6 leaves */

static char *json_control_escape(char *text)
{
    GString *out;

    /* The byte occurs only inside strings: the generator writes no other. */
    if (strchr(text, 0x1f) == NULL)
	return (text);
    out = g_string_sized_new(strlen(text) + 16);
    for (const char *p = text; *p; p++) {
	if (*p == 0x1f)
	    g_string_append(out, "\\u001f");
	else
	    g_string_append_c(out, *p);
    }
    g_free(text);
    return (g_string_free(out, FALSE));
}

/* mail_to_json - the whole result as JSON text */

char   *mail_to_json(const MAIL *mail, int with_bytes)
{
    static const char *const bound_names[] = {
	"depth", "parts", "headers", "header_bytes", "decoded_bytes",
	"tnef_bytes", NULL,
    };
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    size_t  nrefs;
    const char *const *refs = mail_references(mail, &nrefs);
    int     tz;
    long long date = mail_date(mail, &tz);
    char   *out;

    json_builder_begin_object(b);
    json_string_or_null(b, "message_id", mail_message_id(mail));
    json_string_or_null(b, "in_reply_to", mail_in_reply_to(mail));
    json_builder_set_member_name(b, "references");
    json_builder_begin_array(b);
    for (size_t i = 0; i < nrefs; i++)
	json_builder_add_string_value(b, refs[i]);
    json_builder_end_array(b);
    json_string_or_null(b, "thread_index", mail_thread_index(mail));
    json_string_or_null(b, "language", mail_language(mail));
    json_string_or_null(b, "date", mail_date_text(mail));
    json_builder_set_member_name(b, "date_epoch");
    if (date >= 0 || mail_date_text(mail))
	json_builder_add_int_value(b, date);
    else
	json_builder_add_null_value(b);
    json_builder_set_member_name(b, "date_tz_minutes");
    json_builder_add_int_value(b, tz);
    json_string_or_null(b, "subject", mail_subject(mail));
    json_string_or_null(b, "subject_normalized", mail_subject_normalized(mail));
    json_string_or_null(b, "ticket_tag", mail_ticket_tag(mail));
    json_addresses(b, mail, "from", MAIL_ADDR_FROM);
    json_addresses(b, mail, "sender", MAIL_ADDR_SENDER);
    json_addresses(b, mail, "reply_to", MAIL_ADDR_REPLY_TO);
    json_addresses(b, mail, "to", MAIL_ADDR_TO);
    json_addresses(b, mail, "cc", MAIL_ADDR_CC);
    json_loop(b, mail_loop(mail));
    json_bounce(b, mail_bounce(mail));
    json_string_or_null(b, "text_source", mail_text_source(mail));
    json_string_or_null(b, "text", mail_text(mail));
    json_string_or_null(b, "reply_text", mail_reply_text(mail));
    json_string_or_null(b, "html", mail_html(mail));
    json_attachments(b, mail, with_bytes);
    json_flags(b, "bounds_hit", mail_bounds_hit(mail), bound_names);
    json_builder_set_member_name(b, "defects");
    json_builder_begin_array(b);
    for (const char *const *d = mail_defect_names(mail, NULL); *d; d++)
	json_builder_add_string_value(b, *d);
    json_builder_end_array(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    out = json_control_escape(json_generator_to_data(gen, NULL));
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return (out);
}
