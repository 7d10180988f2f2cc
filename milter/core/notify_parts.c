/*++
/* NAME
/*	notify_parts 3
/* SUMMARY
/*	the customer's HTML, inline images and attachments in a notification
/* DESCRIPTION
/*	See notify_parts.h.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/compose.h>
#include <milter/core/notify_parts.h>

typedef struct NOTIFY_ITEM {
    JsonObject *meta;			/* outbox_mail()'s attachment */
    int     carried;			/* in the mail, else listed */
    int     related;			/* an image the HTML shows */
    GMimePart *part;			/* once built */
} NOTIFY_ITEM;

struct NOTIFY_PARTS {
    GArray *items;			/* NOTIFY_ITEM */
    size_t  limit;
    size_t  left_out_bytes;
    int     left_out;
};

/* item_size - an attachment's decoded size */

static size_t item_size(const NOTIFY_ITEM *item)
{
    gint64  size = json_object_get_int_member_with_default(item->meta, "size", 0);

    return (size > 0 ? (size_t) size : 0);
}

/* shown_by_html - does the HTML show this Content-ID as an image */

static int shown_by_html(const char *html, const char *content_id)
{
    char   *ref;
    int     yes;

    if (html == NULL || *content_id == 0)
	return (0);
    ref = g_strdup_printf("cid:%s", content_id);
    yes = strstr(html, ref) != NULL;
    g_free(ref);
    return (yes);
}

/* notify_parts_plan - which attachments the notification carries */

NOTIFY_PARTS *notify_parts_plan(JsonArray *attachments, const char *html, size_t limit)
{
    NOTIFY_PARTS *parts = g_new0(NOTIFY_PARTS, 1);
    size_t  budget = limit;

    parts->items = g_array_new(FALSE, TRUE, sizeof(NOTIFY_ITEM));
    parts->limit = limit;
    for (guint i = 0; attachments && i < json_array_get_length(attachments); i++) {
	NOTIFY_ITEM item = {.meta = json_array_get_object_element(attachments, i)};
	size_t  size = item_size(&item);

	if (size <= budget && budget - size >= NOTIFY_PART_OVERHEAD) {
	    item.carried = 1;
	    budget -= size + NOTIFY_PART_OVERHEAD;
	    item.related = shown_by_html(html, compose_member(item.meta, "content_id"));
	} else {
	    parts->left_out++;
	    parts->left_out_bytes += size;
	}
	g_array_append_val(parts->items, item);
    }
    return (parts);
}

/* notify_parts_list - the {{attachments}} text */

char   *notify_parts_list(const NOTIFY_PARTS *parts)
{
    GString *out = g_string_new("");

    for (guint i = 0; i < parts->items->len; i++) {
	const NOTIFY_ITEM *item = &g_array_index(parts->items, NOTIFY_ITEM, i);
	const char *name = compose_member(item->meta, "filename");

	if (i == NOTIFY_LIST_MAX) {
	    g_string_append_printf(out, "\n... and %u more attachment(s)", parts->items->len - i);
	    break;
	}
	g_string_append_printf(out, "\nAttachment: %s (%s, %zu bytes)%s", *name ? name : "(no name)",
			       compose_member(item->meta, "content_type"), item_size(item),
			       json_object_get_boolean_member_with_default(item->meta, "truncated", FALSE)
			       ? ", cut at MaximumDecodedSize" : "");
	if (!item->carried)
	    g_string_append_printf(out, ": not attached; ticketctl attachment get %" G_GINT64_FORMAT
				   " -o FILE", json_object_get_int_member_with_default(item->meta, "id", 0));
    }
    if (parts->left_out)
	g_string_append_printf(out, "\n%d attachment(s) of %zu bytes left out: a notification"
			       " carries at most %zu bytes of attachments (NotifyAttachmentLimit)."
			       " The administrator fetches them with the commands above.",
			       parts->left_out, parts->left_out_bytes, parts->limit);
    return (g_string_free(out, FALSE));
}

/* item_part - one carried attachment as a MIME part, its bytes fetched */

static GMimePart *item_part(const NOTIFY_ITEM *item, NOTIFY_FETCH *fetch, void *context,
			            TM_ERROR *err)
{
    GByteArray *bytes = NULL;
    GMimeStream *stream;
    GMimePart *part;

    if (fetch(context, compose_member(item->meta, "sha256"), &bytes, err) < 0)
	return (NULL);
    stream = g_mime_stream_mem_new_with_byte_array(bytes);
    part = compose_attachment(compose_member(item->meta, "content_type"),
			      compose_member(item->meta, "filename"),
			      compose_member(item->meta, "content_id"), item->related, stream);
    g_object_unref(stream);
    return (part);
}

/* add_items - the carried parts of one kind (related or not) to a multipart */

static int add_items(NOTIFY_PARTS *parts, GMimeMultipart *multipart, int related,
		             NOTIFY_FETCH *fetch, void *context, TM_ERROR *err)
{
    for (guint i = 0; i < parts->items->len; i++) {
	NOTIFY_ITEM *item = &g_array_index(parts->items, NOTIFY_ITEM, i);

	if (!item->carried || item->related != related)
	    continue;
	if ((item->part = item_part(item, fetch, context, err)) == NULL)
	    return (-1);
	g_mime_multipart_add(multipart, GMIME_OBJECT(item->part));
    }
    return (0);
}

/* count_items - carried parts of one kind */

static int count_items(const NOTIFY_PARTS *parts, int related)
{
    int     n = 0;

    for (guint i = 0; i < parts->items->len; i++) {
	const NOTIFY_ITEM *item = &g_array_index(parts->items, NOTIFY_ITEM, i);

	n += item->carried && item->related == related;
    }
    return (n);
}

/* wrap - a new multipart of the subtype holding first */

static GMimeMultipart *wrap(const char *subtype, GMimeObject *first)
{
    GMimeMultipart *multipart = g_mime_multipart_new_with_subtype(subtype);

    g_mime_multipart_add(multipart, first);
    return (multipart);
}

/* notify_parts_body - the MIME body around the text and the HTML */

GMimeObject *notify_parts_body(NOTIFY_PARTS *parts, GMimeObject *plain, GMimeObject *html,
			               NOTIFY_FETCH *fetch, void *context, TM_ERROR *err)
{
    GMimeObject *body = g_object_ref(plain);
    GMimeMultipart *multipart;
    int     ret = 0;

    if (html) {
	GMimeObject *shown = g_object_ref(html);

	if (count_items(parts, 1) > 0) {
	    multipart = wrap("related", shown);
	    ret = add_items(parts, multipart, 1, fetch, context, err);
	    g_object_unref(shown);
	    shown = GMIME_OBJECT(multipart);
	}
	multipart = wrap("alternative", body);
	g_mime_multipart_add(multipart, shown);
	g_object_unref(shown);
	g_object_unref(body);
	body = GMIME_OBJECT(multipart);
    }
    if (ret == 0 && count_items(parts, 0) > 0) {
	multipart = wrap("mixed", body);
	ret = add_items(parts, multipart, 0, fetch, context, err);
	g_object_unref(body);
	body = GMIME_OBJECT(multipart);
    }
    if (ret < 0) {
	g_object_unref(body);
	return (NULL);
    }
    return (body);
}

/* notify_parts_strip - empty the carried parts, for the recorded copy */

void    notify_parts_strip(NOTIFY_PARTS *parts)
{
    for (guint i = 0; i < parts->items->len; i++) {
	NOTIFY_ITEM *item = &g_array_index(parts->items, NOTIFY_ITEM, i);
	GMimeStream *empty;
	GMimeDataWrapper *content;
	char   *note;

	if (item->part == NULL)
	    continue;
	empty = g_mime_stream_mem_new();
	content = g_mime_data_wrapper_new_with_stream(empty, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(item->part, content);
	note = g_strdup_printf("sha256=%s; size=%zu; stored with the customer's message",
			       compose_member(item->meta, "sha256"), item_size(item));
	g_mime_object_set_header(GMIME_OBJECT(item->part), "X-Ticket-Attachment", note, NULL);
	g_free(note);
	g_object_unref(content);
	g_object_unref(empty);
    }
}

/* notify_parts_free - release the plan */

void    notify_parts_free(NOTIFY_PARTS *parts)
{
    for (guint i = 0; i < parts->items->len; i++) {
	NOTIFY_ITEM *item = &g_array_index(parts->items, NOTIFY_ITEM, i);

	if (item->part)
	    g_object_unref(item->part);
    }
    g_array_free(parts->items, TRUE);
    g_free(parts);
}
