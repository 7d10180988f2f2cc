/*++
/* NAME
/*	ctl_message 3
/* SUMMARY
/*	ticketctl message: show a stored message, parse it again
/* SYNOPSIS
/*	ticketctl message show ID [--json | --raw]
/*	ticketctl message replay ID [--dry-run] [--json]
/* DESCRIPTION
/*	ID is a message's number as ticket show lists it (#ID).
/*
/*	message show prints the stored facts and text of one message;
/*	--json the message object of ticket show --json plus "ticket";
/*	--raw the original bytes exactly as received, to standard output
/*	(binary-safe: redirect it to a file, or pipe it to ticket-parse -).
/*
/*	message replay parses the stored original again with this build's
/*	parser and the configuration's parser settings (MaximumMime*,
/*	TicketTagFormat, ReplyMarker), and replaces the message's text,
/*	reply text, HTML, facts and attachments: after a parser fix, for
/*	example. It never moves a message to another ticket and never
/*	changes its original, its Message-ID or its authentication results;
/*	it reports where threading would put the message if it came now.
/*	--dry-run reports the same and changes nothing. --json prints
/*	{message, ticket, rule, attachments, changed: [parts],
/*	threading_now: {ticket, rule, linked_ticket}}.
/*--*/

/* System library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* External libraries. */
#include <glib.h>
#include <json-glib/json-glib.h>

/* Global library. */
#include <milter/core/ingest.h>
#include <milter/core/queue_addr.h>
#include <milter/core/store_ingest.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define MESSAGE_USAGE "message show ID [--json | --raw]\n" \
		      "       ticketctl message replay ID [--dry-run] [--json]"

/* message_id_arg - the ID argument as a number, or NULL with a message */

static const char *message_id_arg(const char *arg)
{
    if (arg[0] == '#')
	arg++;
    if (*arg == 0 || strspn(arg, "0123456789") != strlen(arg) || strlen(arg) > 18) {
	ctl_fail("\"%s\" is not a message number (ticket show lists them as #ID)", arg);
	return (NULL);
    }
    return (arg);
}

/* fetch_raw - the original bytes of a message; NULL if there is none */

static PGresult *fetch_raw(PGconn *conn, const char *id)
{
    const char *params[1] = {id};
    PGresult *res = PQexecParams(conn, "SELECT raw FROM messages WHERE id = $1",
				 1, 0, params, 0, 0, 1);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	ctl_fail("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);
	exit(1);
    }
    if (PQntuples(res) == 0) {
	PQclear(res);
	ctl_fail("no message %s (ticketctl ticket show NUMBER lists a ticket's messages)", id);
	return (NULL);
    }
    return (res);
}

/* message_show - one message: facts and text, JSON, or the original */

static int message_show(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    int     raw = ctl_flag(&argc, argv, "--raw");
    const char *id;
    PGresult *res;

    if (argc != 3 || (json && raw))
	return (ctl_usage("message show ID [--json | --raw]"));
    if ((id = message_id_arg(argv[2])) == NULL)
	return (1);
    if (raw) {
	int     len;

	if ((res = fetch_raw(conn, id)) == NULL)
	    return (1);
	ctl_audit(conn, "message show --raw", "message", id, NULL);
	len = PQgetlength(res, 0, 0);
	if (fwrite(PQgetvalue(res, 0, 0), 1, (size_t) len, stdout) != (size_t) len
	    || fflush(stdout) != 0) {
	    PQclear(res);
	    return (ctl_fail("cannot write the message to standard output"));
	}
	PQclear(res);
	return (0);
    }
    const char *params[1] = {id};

    res = ctl_query(conn,
		    "SELECT json_build_object('ticket', t.number, " CTL_MESSAGE_FIELDS "),"
		    " format(E'Message #%s of ticket %s  [%s, %s, %s, threaded by %s]\\n"
		    "From:        %s\\nTo:          %s\\nCc:          %s\\nSubject:     %s\\n"
		    "Date:        %s\\nMessage-ID:  %s\\nEnvelope:    from <%s> to %s\\n"
		    "Client:      %s (HELO %s), queue id %s\\nReceived:    %s, %s bytes\\n"
		    "Auth:        %s\\n%s%s%s\\n%s',"
		    "  m.id, t.number, m.direction, m.kind, t.status, m.thread_rule,"
		    "  trim(coalesce(m.from_name, '') || ' <' || coalesce(m.from_address, '') || '>'),"
		    "  (SELECT coalesce(string_agg(x->>'address', ', '), '-') FROM jsonb_array_elements(m.to_addresses) x),"
		    "  (SELECT coalesce(string_agg(x->>'address', ', '), '-') FROM jsonb_array_elements(m.cc_addresses) x),"
		    "  coalesce(m.subject, '-'), coalesce(m.sent_at::text, '-'),"
		    "  coalesce('<' || m.message_id || '>', '-'), m.envelope_sender,"
		    "  (SELECT string_agg('<' || r || '>', ', ') FROM unnest(m.envelope_recipients) r),"
		    "  coalesce(host(m.client_ip), '-'), coalesce(m.helo, '-'), coalesce(m.mta_queue_id, '-'),"
		    "  m.received_at, m.size,"
		    "  coalesce(format('spf=%s dkim=%s dmarc=%s', m.auth->'spf'->>'result',"
		    "     (SELECT coalesce(string_agg((d->>'domain') || ':' || (d->>'result'), ','), 'none')"
		    "      FROM jsonb_array_elements(m.auth->'dkim') d), m.auth->'dmarc'->>'result'), '-'),"
		    "  (SELECT coalesce(string_agg(format(E'Attachment:  %s (%s, %s bytes)\\n',"
		    "      coalesce(a.filename, '(no name)'), a.content_type, a.size), '' ORDER BY a.position), '')"
		    "   FROM attachments a WHERE a.msg_id = m.id),"
		    "  coalesce('Confirmation: ' || m.autoreply || E'\\n', ''),"
		    "  coalesce(E'Flags:       ' || nullif(replace(message_flags_text(m.facts), E'\\n',"
		    "     E'\\n             '), '') || E'\\n', ''),"
		    "  coalesce(m.body_text, ''))"
		    " FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE m.id = $1",
		    1, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (ctl_fail("no message %s (ticketctl ticket show NUMBER lists a ticket's messages)", id));
    }
    ctl_audit(conn, "message show", "message", id, NULL);
    if (json)
	ctl_print_json(res);
    else
	puts(PQgetvalue(res, 0, 1));
    PQclear(res);
    return (0);
}

/* row_value - a column of the first row, or NULL */

static const char *row_value(PGresult *res, int column)
{
    return (PQgetisnull(res, 0, column) ? NULL : PQgetvalue(res, 0, column));
}

/* replay_envelope - what the daemon knew of the message when it came,
 * from its stored row; the lists are replay_envelope_free()'s to free */

static void replay_envelope(PGresult *res, const CONFIG *config, const MAIL *mail,
			            INGEST_ENVELOPE *envelope)
{
    char  **rcpts = g_strsplit(PQgetvalue(res, 0, 1), "\n", -1);
    char  **queues = g_strsplit(PQgetvalue(res, 0, 2), "\n", -1);

    *envelope = (INGEST_ENVELOPE) {
	.sender = PQgetvalue(res, 0, 0),
	.recipients = g_ptr_array_new_with_free_func(g_free),
	.queues = g_ptr_array_new_with_free_func(g_free),
	.tokens = g_ptr_array_new_with_free_func(g_free),
	.client_ip = row_value(res, 3),
	.client_name = row_value(res, 4),
	.helo = row_value(res, 5),
	.mta_queue_id = row_value(res, 7),
	/* The authentication results stay those of the original delivery. */
	.auth_json = row_value(res, 6),
	.duplicate_header = (mail_defects(mail) & MAIL_DEFECT_DUPLICATE_HEADER) != 0,
    };
    /* The daemon's verdict, stored with the results (rows older than
     * it were given one by migration 020, which saw no duplicate From). */
    envelope->sender_authenticated = !envelope->duplicate_header
	&& strcmp(PQgetvalue(res, 0, 8), "t") == 0;
    /* What proved an agent is not stored, only what it decided (the
     * message's kind), which a replay never changes. */
    envelope->agent_proof = 0;
    for (char **r = rcpts; *r && **r; r++) {
	char   *token = NULL;

	g_ptr_array_add(envelope->recipients, g_strdup(*r));
	g_free(queue_addr_base(*r, config->recipient_delimiter, &token));
	if (token)
	    g_ptr_array_add(envelope->tokens, token);
    }
    for (char **q = queues; *q && **q; q++)
	g_ptr_array_add(envelope->queues, g_strdup(*q));
    g_strfreev(rcpts);
    g_strfreev(queues);
}

/* replay_envelope_free - release the lists replay_envelope() made */

static void replay_envelope_free(INGEST_ENVELOPE *envelope)
{
    g_ptr_array_unref(envelope->recipients);
    g_ptr_array_unref(envelope->queues);
    g_ptr_array_unref(envelope->tokens);
}

/* print_replay - the outcome of a replay, in words */

static void print_replay(const char *json_text, int dry_run)
{
    JsonParser *parser = json_parser_new();
    JsonObject *o, *now;
    JsonArray *changed;
    const char *ticket, *now_ticket;
    GString *parts = g_string_new(NULL);

    json_parser_load_from_data(parser, json_text, -1, NULL);
    o = json_node_get_object(json_parser_get_root(parser));
    now = json_object_get_object_member(o, "threading_now");
    changed = json_object_get_array_member(o, "changed");
    ticket = json_object_get_string_member(o, "ticket");
    now_ticket = json_object_get_string_member_with_default(now, "ticket", NULL);
    for (guint i = 0; i < json_array_get_length(changed); i++)
	g_string_append_printf(parts, "%s%s", i ? ", " : "", json_array_get_string_element(changed, i));
    printf("message #%" G_GINT64_FORMAT " of ticket %s: parsed again; %s%s\n",
	   json_object_get_int_member(o, "message"), ticket,
	   parts->len ? (dry_run ? "would change: " : "changed: ") : "nothing changed",
	   parts->str);
    if (now_ticket && strcmp(now_ticket, ticket) == 0)
	printf("threading now: ticket %s by %s, as stored (by %s)\n", now_ticket,
	       json_object_get_string_member(now, "rule"), json_object_get_string_member(o, "rule"));
    else
	printf("threading now: %s%s by %s; the message stays in ticket %s (replay never moves it)\n",
	       now_ticket ? "ticket " : "a new ticket", now_ticket ? now_ticket : "",
	       json_object_get_string_member(now, "rule"), ticket);
    if (dry_run)
	puts("dry run: nothing was changed");
    g_string_free(parts, TRUE);
    g_object_unref(parser);
}

/* message_replay - parse a stored original again, refresh what came of it */

static int message_replay(PGconn *conn, int argc, char **argv)
{
    int     dry_run = ctl_flag(&argc, argv, "--dry-run");
    int     json = ctl_flag(&argc, argv, "--json");
    const CONFIG *config = ctl_config();
    const char *id;
    PGresult *raw_res, *res;
    MAIL_OPTIONS options;
    MAIL   *mail;
    INGEST_ENVELOPE envelope;
    GArray *pieces;
    GByteArray *blobs;
    char   *meta;
    INGEST_TEXTS texts;
    int     status = 0;

    if (argc != 3)
	return (ctl_usage("message replay ID [--dry-run] [--json]"));
    if ((id = message_id_arg(argv[2])) == NULL)
	return (1);
    if ((raw_res = fetch_raw(conn, id)) == NULL)
	return (1);
    ctl_audit(conn, "message replay", "message", id, dry_run ? "{\"dry_run\": true}" : NULL);
    const char *params[1] = {id};

    res = ctl_query(conn,
		    "SELECT m.envelope_sender, array_to_string(m.envelope_recipients, E'\\n'),"
		    " array_to_string(q.address || m.other_queues, E'\\n'), host(m.client_ip),"
		    " m.client_name, m.helo, m.auth, m.mta_queue_id, ma.sender_authenticated"
		    " FROM messages m JOIN tickets t ON t.id = m.ticket_id"
		    " JOIN queues q ON q.id = t.queue_id JOIN message_auth ma ON ma.id = m.id"
		    " WHERE m.id = $1", 1, params);
    mail_parser_init();
    config_mail_options(config, &options);
    mail = mail_parse_bytes_with(PQgetvalue(raw_res, 0, 0), (size_t) PQgetlength(raw_res, 0, 0),
				 &config->limits, &options);
    replay_envelope(res, config, mail, &envelope);
    pieces = g_array_new(FALSE, FALSE, sizeof(STORE_BYTES));
    meta = ingest_meta(config, &envelope, mail, PQgetvalue(raw_res, 0, 0),
		       (size_t) PQgetlength(raw_res, 0, 0), pieces);
    replay_envelope_free(&envelope);
    blobs = store_bytes_join((const STORE_BYTES *) pieces->data, pieces->len);
    g_array_free(pieces, TRUE);
    ingest_texts(mail, 0, &texts);
    PQclear(res);

    const char *refresh_params[6] = {id, meta, blobs->len ? (const char *) blobs->data : "",
	texts.value[0], texts.value[1], texts.value[2]};
    int     lengths[6] = {0, 0, (int) blobs->len};
    int     formats[6] = {0, 0, 1};

    PQclear(ctl_query(conn, "BEGIN", 0, 0));
    res = PQexecParams(conn, "SELECT message_refresh($1, " STORE_META_SQL("$2", "$4", "$5", "$6", "NULL")
		       ", $3::bytea)", 6, 0, refresh_params, lengths, formats, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
	status = ctl_fail("message %s not replayed: %s", id, PQresultErrorMessage(res));
	PQclear(ctl_query(conn, "ROLLBACK", 0, 0));
    } else {
	PQclear(ctl_query(conn, dry_run ? "ROLLBACK" : "COMMIT", 0, 0));
	if (json)
	    ctl_print_json(res);
	else
	    print_replay(PQgetvalue(res, 0, 0), dry_run);
    }
    PQclear(res);
    PQclear(raw_res);
    g_free(meta);
    ingest_texts_free(&texts);
    g_byte_array_free(blobs, TRUE);
    mail_free(mail);
    return (status);
}

const char ctl_message_usage[] = MESSAGE_USAGE;

/* ctl_message - dispatch "message" subcommands */

int     ctl_message(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
	return (message_show(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "replay") == 0)
	return (message_replay(conn, argc, argv));
    return (ctl_usage(MESSAGE_USAGE));
}
