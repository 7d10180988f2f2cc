/*++
/* NAME
/*	relay 3
/* SUMMARY
/*	rewrite an agent's reply in flight so the MTA delivers it to the customer
/* DESCRIPTION
/*	See relay.h. The new body is built with gmime; its MIME header
/*	fields replace the message's, its body replaces the body.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <gmime/gmime.h>
#include <json-glib/json-glib.h>

/* Utility library. */
#include <milter/util/addr_check.h>

/* Global library. */
#include <milter/core/compose.h>

/* Application-specific. */
#include <milter/daemon/relay.h>

/* set_header - replace (or add) the first field of a name; NULL deletes */

static int set_header(SMFICTX *ctx, const SESSION *session, const char *name,
		              const char *value, TM_ERROR *err)
{
    char   *text = value ? session_header_value(session, value) : NULL;
    int     ret = smfi_chgheader(ctx, (char *) name, 1, text);

    g_free(text);
    return (ret == MI_SUCCESS ? 0 : tm_error(err, "cannot change the %s header", name));
}

/* mailbox_text - "Name" <address>, encoded as a header wants it */

static char *mailbox_text(const char *name, const char *address)
{
    InternetAddress *ia = internet_address_mailbox_new(*name ? name : NULL, address);
    char   *text = internet_address_to_string(ia, NULL, TRUE);

    g_object_unref(ia);
    return (text);
}

/* id_list - "<a> <b>" from a JSON array of ids */

static char *id_list(JsonArray *ids)
{
    GString *out = g_string_new("");

    for (guint i = 0; ids && i < json_array_get_length(ids); i++)
	g_string_append_printf(out, "%s<%s>", out->len ? " " : "", json_array_get_string_element(ids, i));
    return (g_string_free(out, FALSE));
}

/* is_shown - an inline image the HTML shows by its Content-ID */

static int is_shown(const MAIL_ATTACHMENT *a, const char *html)
{
    char   *ref;
    int     yes;

    if (html == NULL || a->content_id == NULL)
	return (0);
    ref = g_strdup_printf("cid:%s", a->content_id);
    yes = strstr(html, ref) != NULL;
    g_free(ref);
    return (yes);
}

/* add_attachments - the agent's attachments shown (or not) by the HTML;
 * a multipart of the subtype around first, or first when there are none */

static GMimeObject *add_attachments(GMimeObject *first, const char *subtype, const MAIL *mail,
				            const char *html, int shown)
{
    GMimeMultipart *multipart = NULL;

    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *a = mail_attachment(mail, i);
	GMimeStream *stream;
	GMimePart *part;

	if (is_shown(a, html) != shown)
	    continue;
	if (multipart == NULL) {
	    multipart = g_mime_multipart_new_with_subtype(subtype);
	    g_mime_multipart_add(multipart, first);
	}
	stream = g_mime_stream_mem_new_with_buffer((const char *) a->data, a->size);
	part = compose_attachment(a->content_type, a->filename, a->content_id, shown, stream);
	g_mime_multipart_add(multipart, GMIME_OBJECT(part));
	g_object_unref(part);
	g_object_unref(stream);
    }
    if (multipart == NULL)
	return (g_object_ref(first));
    return (GMIME_OBJECT(multipart));
}

/* new_body - the answer as the customer gets it: its text, or the text
 * made from its HTML and that HTML (with the images it shows), and the
 * agent's attachments */

static GMimeObject *new_body(const char *text, const char *html, const CONFIG *config,
			             const MAIL *mail)
{
    GMimeObject *plain, *body, *shown, *with_images;
    GMimeMultipart *alt;
    char   *html_text;

    if (html == NULL || *html == 0) {
	plain = compose_text_part("plain", text);
	body = add_attachments(plain, "mixed", mail, NULL, 0);
	g_object_unref(plain);
	return (body);
    }
    html_text = mail_html_reply_text(html, config->reply_marker);
    plain = compose_text_part("plain", html_text);
    g_free(html_text);
    shown = compose_text_part("html", html);
    with_images = add_attachments(shown, "related", mail, html, 1);
    alt = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_add(alt, plain);
    g_mime_multipart_add(alt, with_images);
    body = add_attachments(GMIME_OBJECT(alt), "mixed", mail, html, 0);
    g_object_unref(plain);
    g_object_unref(shown);
    g_object_unref(with_images);
    g_object_unref(alt);
    return (body);
}

/* replace_body - the new MIME header fields and body */

static int replace_body(SMFICTX *ctx, const SESSION *session, GMimeObject *body, TM_ERROR *err)
{
    GMimeFormatOptions *format = g_mime_format_options_new();
    char   *content_type, *encoding, *text;
    const char *sep;
    int     ret;

    g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
    content_type = g_mime_content_type_encode(g_mime_object_get_content_type(body), format);
    encoding = g_strdup(g_mime_object_get_header(body, "Content-Transfer-Encoding"));
    text = g_mime_object_to_string(body, format);
    /* Header fields take LF: the MTA adds the CR. */
    for (char *p = content_type; (p = strstr(p, "\r\n")) != NULL;)
	memmove(p, p + 1, strlen(p));
    sep = strstr(text, "\r\n\r\n");
    ret = set_header(ctx, session, "MIME-Version", "1.0", err);
    if (ret == 0)
	ret = set_header(ctx, session, "Content-Type", g_strstrip(content_type), err);
    if (ret == 0)
	ret = set_header(ctx, session, "Content-Transfer-Encoding", encoding ? g_strstrip(encoding) : NULL, err);
    if (ret == 0 && sep) {
	const char *data = sep + 4;

	if (smfi_replacebody(ctx, (unsigned char *) data, (int) strlen(data)) != MI_SUCCESS)
	    ret = tm_error(err, "cannot replace the body");
    }
    g_free(content_type);
    g_free(encoding);
    g_free(text);
    g_mime_format_options_free(format);
    return (ret);
}

/* The header fields a relayed answer carries: all composed here. */
static const char *const composed[] = {
    "From", "To", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
    "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", 0,
};

/* is_composed - a field name we write ourselves */

static int is_composed(const char *name)
{
    for (int i = 0; composed[i]; i++)
	if (g_ascii_strcasecmp(composed[i], name) == 0)
	    return (1);
    return (0);
}

/* field_counts - each field name of the header with its count, in order of
 * first appearance: names (as first spelled) and counts (int) */

static void field_counts(const char *raw, size_t len, GPtrArray *names, GArray *counts)
{
    const char *p = raw, *end = raw + len;

    while (p < end && *p != '\r' && *p != '\n') {
	const char *eol = memchr(p, '\n', (size_t) (end - p));
	const char *colon = memchr(p, ':', (size_t) ((eol ? eol : end) - p));

	/* A continuation line (leading white space) belongs to the field before. */
	if (*p != ' ' && *p != '\t' && colon && colon > p) {
	    char   *name = g_strndup(p, (size_t) (colon - p));
	    guint   i;

	    g_strchomp(name);
	    for (i = 0; i < names->len && g_ascii_strcasecmp(g_ptr_array_index(names, i), name); i++)
		 /* void */ ;
	    if (i < names->len) {
		g_array_index(counts, int, i)++;
		g_free(name);
	    } else {
		int     one = 1;

		g_ptr_array_add(names, name);
		g_array_append_val(counts, one);
	    }
	}
	if (eol == NULL)
	    break;
	p = eol + 1;
    }
}

/* delete_foreign - remove every field we do not compose, and every
 * instance past the first of those we do (a second To or Cc, say) */

static int delete_foreign(SMFICTX *ctx, const char *raw, size_t len, TM_ERROR *err)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GArray *counts = g_array_new(FALSE, FALSE, sizeof(int));
    int     ret = 0;

    field_counts(raw, len, names, counts);
    for (guint i = 0; ret == 0 && i < names->len; i++) {
	char   *name = g_ptr_array_index(names, i);
	int     keep = is_composed(name) ? 1 : 0;

	/* Last first: deleting an instance must not renumber the others. */
	for (int n = g_array_index(counts, int, i); ret == 0 && n > keep; n--)
	    if (smfi_chgheader(ctx, name, n, NULL) != MI_SUCCESS)
		ret = tm_error(err, "relay: cannot remove the %s header", name);
    }
    g_ptr_array_free(names, TRUE);
    g_array_free(counts, TRUE);
    return (ret);
}

/* date_now - the Date of the relayed answer */

static char *date_now(void)
{
    GDateTime *now = g_date_time_new_now_local();
    char   *text = g_mime_utils_header_format_date(now);

    g_date_time_unref(now);
    return (text);
}

/* relay_apply - rewrite the agent's reply for the customer */

int     relay_apply(SMFICTX *ctx, const CONFIG *config, const SESSION *session,
		            const MAIL *mail, const char *raw, size_t raw_len,
		            const char *relay_json, TM_ERROR *err)
{
    JsonParser *parser = json_parser_new();
    JsonObject *r;
    JsonArray *rcpts;
    char   *from = NULL, *reply_to = NULL, *to = NULL, *subject = NULL, *refs = NULL;
    char   *addr, *tag, *msgid = NULL, *irt = NULL, *date;
    GMimeObject *body;
    int     ret = 0;

    if (!json_parser_load_from_data(parser, relay_json, -1, NULL)
	|| !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
	g_object_unref(parser);
	return (tm_error(err, "relay: unexpected description %s", relay_json));
    }
    r = json_node_get_object(json_parser_get_root(parser));
    rcpts = json_object_get_array_member(r, "recipients");
    if (rcpts == NULL || json_array_get_length(rcpts) == 0) {
	g_object_unref(parser);
	return (tm_error(err, "relay: the ticket has no customer address to answer"));
    }
    /* The envelope: from the queue, to the customer and the CC participants. */
    addr = g_strdup_printf("<%s>", compose_member(r, "from_address"));
    if (smfi_chgfrom(ctx, addr, NULL) != MI_SUCCESS)
	ret = tm_error(err, "relay: cannot change the envelope sender");
    g_free(addr);
    for (guint i = 0; ret == 0 && i < session->recipients->len; i++) {
	addr = g_strdup_printf("<%s>", (char *) g_ptr_array_index(session->recipients, i));
	if (smfi_delrcpt(ctx, addr) != MI_SUCCESS)
	    ret = tm_error(err, "relay: cannot remove recipient %s", addr);
	g_free(addr);
    }
    to = g_strdup("");
    for (guint i = 0; ret == 0 && i < json_array_get_length(rcpts); i++) {
	const char *rcpt = json_array_get_string_element(rcpts, i);
	const char *why;
	char   *old = to;

	/* Trust (addr_check): no control character into smfi_addrcpt or To. */
	if ((why = addr_unsafe(rcpt)) != NULL) {
	    char   *shown = addr_escape(rcpt);

	    msg_warn("relay: recipient <%s> refused: it has %s", shown, why);
	    g_free(shown);
	    continue;
	}
	addr = g_strdup_printf("<%s>", rcpt);
	if (smfi_addrcpt(ctx, addr) != MI_SUCCESS)
	    ret = tm_error(err, "relay: cannot add recipient %s", addr);
	to = g_strconcat(old, *old ? ", " : "", rcpt, NULL);
	g_free(old);
	g_free(addr);
    }
    if (ret == 0 && *to == 0)
	ret = tm_error(err, "relay: the ticket has no customer address safe to answer");
    /* The header, as the customer should see it: only what we compose. */
    if (ret == 0)
	ret = delete_foreign(ctx, raw, raw_len, err);
    tag = compose_tag(config->ticket_tag_format, compose_member(r, "ticket_number"));
    from = mailbox_text(compose_member(r, "from_name"), compose_member(r, "from_address"));
    reply_to = mailbox_text("", compose_member(r, "reply_to"));
    msgid = g_strdup_printf("<%s>", compose_member(r, "message_id"));
    irt = *compose_member(r, "in_reply_to") ? g_strdup_printf("<%s>", compose_member(r, "in_reply_to")) : NULL;
    /* An answer without a customer message before it (#new) starts the thread. */
    subject = g_strdup_printf("%s%s %s", irt ? "Re: " : "", tag, compose_member(r, "ticket_subject"));
    refs = id_list(json_object_get_array_member(r, "references"));
    if (ret == 0)
	ret = set_header(ctx, session, "From", from, err);
    if (ret == 0)
	ret = set_header(ctx, session, "To", to, err);
    if (ret == 0)
	ret = set_header(ctx, session, "Reply-To", reply_to, err);
    if (ret == 0) {
	char   *encoded = g_mime_utils_header_encode_text(NULL, subject, "utf-8");

	ret = set_header(ctx, session, "Subject", encoded, err);
	g_free(encoded);
    }
    date = date_now();
    if (ret == 0)
	ret = set_header(ctx, session, "Date", date, err);
    g_free(date);
    if (ret == 0)
	ret = set_header(ctx, session, "Message-ID", msgid, err);
    if (ret == 0)
	ret = set_header(ctx, session, "In-Reply-To", irt, err);
    if (ret == 0)
	ret = set_header(ctx, session, "References", refs, err);
    if (ret == 0) {
	body = new_body(compose_member(r, "text"), compose_member(r, "html"), config, mail);
	ret = replace_body(ctx, session, body, err);
	g_object_unref(body);
    }
    g_free(from);
    g_free(reply_to);
    g_free(to);
    g_free(subject);
    g_free(msgid);
    g_free(irt);
    g_free(refs);
    g_free(tag);
    g_object_unref(parser);
    return (ret);
}
