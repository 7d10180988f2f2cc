/*++
/* NAME
/*	mail_json 3
/* SUMMARY
/*	describe a parsed message in JSON
/* SYNOPSIS
/*	#include <parser/mail.h>
/*
/*	char	*mail_to_json(const MAIL *mail, int with_bytes)
/*
/*	void	mail_json_stored(JSON_OUT *out, const MAIL *mail)
/*
/*	char	*mail_thread_root(const char *thread_index)
/* DESCRIPTION
/*	A message is described in two documents, ticket-parse's and the
/*	database's, both written here with one writer (json_out.h); the
/*	members they share (ids, subject, date, language, To and Cc, each
/*	attachment's facts, defects, bounds) are written by the same code.
/*
/*	mail_to_json() returns the whole result as one UTF-8 JSON object,
/*	pretty-printed, with the field names documented in
/*	parser/README.md. Absent values are null, never left out, so that
/*	a consumer sees the same shape for every message. Attachment
/*	bytes are included, base64-encoded, only when with_bytes is set.
/*	The caller frees the result with g_free().
/*
/*	mail_json_stored() writes, into the object the caller has opened,
/*	the message's members of the "meta" that the SQL function
/*	ingest_message() reads (sql/functions/ingest.sql documents them
/*	all): the header facts, thread_ids, thread_root, from_address,
/*	from_name, kind, attachments, facts and, for an agent's reply
/*	that has them, commands. An attachment's offset counts the sizes
/*	of the attachments before it: the caller passes the bytes of
/*	mail_attachment(mail, 0), 1, ... concatenated. What the MTA and
/*	the checks said (envelope, client, authentication) is the
/*	caller's to add.
/*
/*	mail_thread_root() returns Outlook's conversation root: the hex of
/*	the first 22 bytes of a Thread-Index, or NULL (g_free it).
/*--*/

/* System library. */
#include <string.h>

/* Parser library. */
#include <parser/mail_impl.h>

/* write_strings - "key": [strings] */

static void write_strings(JSON_OUT *out, const char *key,
			          const char *const *vec, size_t count)
{
    json_out_open(out, key, '[');
    for (size_t i = 0; i < count; i++)
	json_out_string(out, NULL, vec[i]);
    json_out_close(out, ']');
}

/* write_addresses - one address header as "key": [{name, address}] */

static void write_addresses(JSON_OUT *out, const char *key, const MAIL *mail,
			            MAIL_ADDR_FIELD field)
{
    const MAIL_ADDRESS *vec;
    size_t  n = mail_addresses(mail, field, &vec);

    json_out_open(out, key, '[');
    for (size_t i = 0; i < n; i++) {
	json_out_open(out, NULL, '{');
	json_out_string(out, "name", vec[i].name);
	json_out_string(out, "address", vec[i].address);
	json_out_close(out, '}');
    }
    json_out_close(out, ']');
}

/* write_headers - the header facts both documents hold, under one name
 * (and To and Cc, write_addresses()) */

static void write_headers(JSON_OUT *out, const MAIL *mail)
{
    size_t  nrefs;
    const char *const *refs = mail_references(mail, &nrefs);

    json_out_string(out, "message_id", mail_message_id(mail));
    json_out_string(out, "in_reply_to", mail_in_reply_to(mail));
    write_strings(out, "references", refs, nrefs);
    json_out_string(out, "thread_index", mail_thread_index(mail));
    json_out_string(out, "language", mail_language(mail));
    json_out_string(out, "date", mail_date_text(mail));
    json_out_string(out, "subject", mail_subject(mail));
    json_out_string(out, "subject_normalized", mail_subject_normalized(mail));
    json_out_string(out, "ticket_tag", mail_ticket_tag(mail));
}

/* write_defects - "defects": the names of the defects found */

static void write_defects(JSON_OUT *out, const MAIL *mail)
{
    size_t  count;
    const char *const *names = mail_defect_names(mail, &count);

    write_strings(out, "defects", names, count);
}

/* write_bounds - "bounds_hit": the names of the bounds the parse hit */

static void write_bounds(JSON_OUT *out, const MAIL *mail)
{
    unsigned bounds = mail_bounds_hit(mail);

    json_out_open(out, "bounds_hit", '[');
    for (unsigned bit = 1; bit && bit <= bounds; bit <<= 1)
	if (bounds & bit)
	    json_out_string(out, NULL, mail_bound_name(bit));
    json_out_close(out, ']');
}

/* write_attachment - the members of one attachment both documents hold */

static void write_attachment(JSON_OUT *out, const MAIL_ATTACHMENT *att)
{
    json_out_string(out, "filename", att->filename);
    json_out_string(out, "content_type", att->content_type);
    json_out_string(out, "disposition", att->disposition);
    json_out_string(out, "content_id", att->content_id);
    json_out_string(out, "origin", att->origin);
    json_out_int(out, "size", (long long) att->size);
    json_out_string(out, "sha256", att->sha256);
    json_out_bool(out, "truncated", att->truncated);
}

/* write_loop - ticket-parse's mail-loop facts */

static void write_loop(JSON_OUT *out, const MAIL_LOOP *lp)
{
    json_out_open(out, "loop", '{');
    json_out_string(out, "auto_submitted", lp->auto_submitted);
    json_out_string(out, "precedence", lp->precedence);
    json_out_string(out, "list_id", lp->list_id);
    json_out_string(out, "list_unsubscribe", lp->list_unsubscribe);
    json_out_string(out, "x_auto_response_suppress", lp->x_auto_response_suppress);
    json_out_string(out, "x_loop", lp->x_loop);
    json_out_string(out, "x_spam_flag", lp->x_spam_flag);
    json_out_bool(out, "is_auto_submitted", lp->is_auto_submitted);
    json_out_bool(out, "is_bulk", lp->is_bulk);
    json_out_bool(out, "is_spam", lp->is_spam);
    json_out_bool(out, "is_auto_reply", lp->is_auto_reply);
    json_out_bool(out, "suppress_autoreply", lp->suppress_autoreply);
    json_out_string(out, "spam_header", lp->spam_header);
    json_out_string(out, "spam_verdict", mail_spam_verdict_name(lp->spam_verdict));
    json_out_close(out, '}');
}

/* write_bounce - ticket-parse's delivery status facts */

static void write_bounce(JSON_OUT *out, const MAIL_BOUNCE *bo)
{
    json_out_open(out, "bounce", '{');
    json_out_bool(out, "is_bounce", bo->is_bounce);
    json_out_bool(out, "is_dsn", bo->is_dsn);
    json_out_string(out, "original_message_id", bo->original_message_id);
    json_out_string(out, "failed_recipient", bo->failed_recipient);
    json_out_string(out, "status", bo->status);
    json_out_string(out, "action", bo->action);
    json_out_close(out, '}');
}

/* write_attachments - ticket-parse's attachment list */

static void write_attachments(JSON_OUT *out, const MAIL *mail, int with_bytes)
{
    json_out_open(out, "attachments", '[');
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *att = mail_attachment(mail, i);

	json_out_open(out, NULL, '{');
	write_attachment(out, att);
	json_out_string(out, "message_subject", att->message_subject);
	json_out_string(out, "message_from", att->message_from);
	if (with_bytes) {
	    char   *b64 = g_base64_encode(att->data, att->size);

	    json_out_string(out, "bytes_base64", b64);
	    g_free(b64);
	}
	json_out_close(out, '}');
    }
    json_out_close(out, ']');
}

/* mail_to_json - the whole result as JSON text */

char   *mail_to_json(const MAIL *mail, int with_bytes)
{
    JSON_OUT *out = json_out_new_pretty();
    int     tz;
    long long date = mail_date(mail, &tz);

    json_out_open(out, NULL, '{');
    write_headers(out, mail);
    if (date >= 0 || mail_date_text(mail))
	json_out_int(out, "date_epoch", date);
    else
	json_out_text(out, "date_epoch", NULL);
    json_out_int(out, "date_tz_minutes", tz);
    write_addresses(out, "from", mail, MAIL_ADDR_FROM);
    write_addresses(out, "sender", mail, MAIL_ADDR_SENDER);
    write_addresses(out, "reply_to", mail, MAIL_ADDR_REPLY_TO);
    write_addresses(out, "to", mail, MAIL_ADDR_TO);
    write_addresses(out, "cc", mail, MAIL_ADDR_CC);
    write_loop(out, mail_loop(mail));
    write_bounce(out, mail_bounce(mail));
    json_out_string(out, "text_source", mail_text_source(mail));
    json_out_string(out, "text", mail_text(mail));
    json_out_string(out, "reply_text", mail_reply_text(mail));
    json_out_string(out, "html", mail_html(mail));
    write_attachments(out, mail, with_bytes);
    write_bounds(out, mail);
    write_defects(out, mail);
    json_out_close(out, '}');
    return (json_out_finish(out));
}

/* mail_thread_root - Outlook's conversation root: hex of the first 22
 * bytes of Thread-Index, or NULL */

char   *mail_thread_root(const char *thread_index)
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

/* write_thread_ids - the ids that can name an earlier message, strongest
 * first: a bounce's original, In-Reply-To, then References newest first */

static void write_thread_ids(JSON_OUT *out, const MAIL *mail)
{
    const char *const *refs;
    const char *id;
    size_t  n;

    json_out_open(out, "thread_ids", '[');
    if ((id = mail_bounce(mail)->original_message_id) != NULL)
	json_out_string(out, NULL, id);
    if ((id = mail_in_reply_to(mail)) != NULL)
	json_out_string(out, NULL, id);
    refs = mail_references(mail, &n);
    for (size_t i = n; i > 0; i--)
	json_out_string(out, NULL, refs[i - 1]);
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

/* write_stored_attachments - the database's attachment list: each with
 * its offset into the attachments' bytes concatenated */

static void write_stored_attachments(JSON_OUT *out, const MAIL *mail)
{
    size_t  offset = 0;

    json_out_open(out, "attachments", '[');
    for (size_t i = 0; i < mail_attachment_count(mail); i++) {
	const MAIL_ATTACHMENT *att = mail_attachment(mail, i);

	json_out_open(out, NULL, '{');
	json_out_int(out, "offset", (long long) offset);
	write_attachment(out, att);
	json_out_close(out, '}');
	offset += att->size;
    }
    json_out_close(out, ']');
}

/* write_facts - loop, bounce and parser facts, as messages.facts keeps
 * them for later decisions (the flags 0 or 1) */

static void write_facts(JSON_OUT *out, const MAIL *mail)
{
    const MAIL_LOOP *loop = mail_loop(mail);
    const MAIL_BOUNCE *bounce = mail_bounce(mail);

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
    if (loop->spam_header) {
	json_out_string(out, "spam_header", loop->spam_header);
	json_out_string(out, "spam_verdict", mail_spam_verdict_name(loop->spam_verdict));
    }
    write_defects(out, mail);
    write_bounds(out, mail);
    json_out_close(out, '}');
}

/* write_commands - an agent's command lines, as read from the reply text
 * that the database gets (made valid UTF-8 as the daemon sends it) */

static void write_commands(JSON_OUT *out, const MAIL *mail)
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
	write_strings(out, "errors", (const char *const *) commands->errors->pdata,
		      commands->errors->len);
	json_out_int(out, "body_start", commands->body_start);
	json_out_close(out, '}');
    }
    mail_commands_free(commands);
    g_free(valid);
}

/* mail_json_stored - the message's members of the database's meta */

void    mail_json_stored(JSON_OUT *out, const MAIL *mail)
{
    char   *thread_root = mail_thread_root(mail_thread_index(mail));

    write_headers(out, mail);
    write_addresses(out, "to", mail, MAIL_ADDR_TO);
    write_addresses(out, "cc", mail, MAIL_ADDR_CC);
    write_thread_ids(out, mail);
    json_out_string(out, "thread_root", thread_root);
    json_out_string(out, "from_address", mail_from_address(mail));
    json_out_string(out, "from_name", mail_from_name(mail));
    json_out_string(out, "kind", message_kind(mail));
    write_stored_attachments(out, mail);
    write_facts(out, mail);
    write_commands(out, mail);
    g_free(thread_root);
}
