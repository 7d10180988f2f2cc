/*++
/* NAME
/*	ctl_ticket 3
/* SUMMARY
/*	ticketctl ticket: list, show and change tickets
/* SYNOPSIS
/*	ticketctl ticket list [--json] [--queue ADDRESS] [--status STATUS]
/*				[--customer ADDRESS]
/*	ticketctl ticket show NUMBER [--json]
/*	ticketctl ticket status NUMBER open|pending|solved|closed|spam
/*	ticketctl ticket autoclose
/*	ticketctl ticket cc NUMBER add|remove ADDRESS
/* DESCRIPTION
/*	ticket list --json prints an array of ticket objects, newest
/*	first: number, queue, subject, status, customer, customer_name,
/*	assignee, linked_ticket, merged_into (the ticket a #merge moved
/*	this one's messages to), created_at, updated_at, messages (a count).
/*
/*	ticket show --json prints one ticket object with the same members,
/*	plus reply_address, participants (array of {address, name, role,
/*	added_by: the agent whose #cc add or #merge added them, or null}),
/*	first_response_at, last_customer_at, closed_at, events, and
/*	messages: an array of message objects (id, direction, kind,
/*	thread_rule, message_id, in_reply_to, from_address, from_name, to,
/*	cc, subject, date, envelope_sender, envelope_recipients, client_ip,
/*	helo, mta_queue_id, size, received_at, reply_text, text, auth,
/*	attachments: array of {filename, content_type, size, sha256,
/*	origin}). Times are ISO 8601 with zone.
/*
/*	ticket status sets the status and logs the change as an event.
/*	Closing a ticket sends its customer the closed mail (the "closed"
/*	template), under the protections of a confirmation; the decision
/*	is an event too (ticket_closed_mail() in sql/functions/closing.sql).
/*
/*	ticket autoclose closes the tickets solved SolvedCloseDays days
/*	ago or longer (0: none), as ticket status does, the event naming
/*	the actor "autoclose"; the package's daily timer runs it.
/*
/*	ticket cc adds or removes a CC participant: the addresses besides
/*	the customer that an agent's answer is relayed to. An agent adds
/*	here the people a sender asked to include. Support addresses, agents and
/*	the customer are refused; the change is logged as an event.
/*
/*	Messages that were not relayed, or relayed to fewer addresses, show
/*	their flags (message_flags() in sql/functions/agent_reply.sql):
/*	forged-agent, agent-auto-reply, recipients-capped.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/ingest.h>
#include <milter/core/queue_addr.h>
#include <milter/core/ticket_status.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define TICKET_USAGE "ticket list [--json] [--queue ADDRESS] [--status STATUS] [--customer ADDRESS]\n" \
		     "       ticketctl ticket show NUMBER [--json]\n" \
		     "       ticketctl ticket status NUMBER open|pending|solved|closed|spam\n" \
		     "       ticketctl ticket autoclose\n" \
		     "       ticketctl ticket cc NUMBER add|remove ADDRESS"

/* The ticket object, shared by list and show (t tickets, q queues, c contacts). */
#define TICKET_FIELDS \
    "'number', t.number, 'queue', q.address, 'subject', t.subject," \
    " 'status', t.status, 'customer', c.address, 'customer_name', c.name," \
    " 'assignee', t.assignee," \
    " 'linked_ticket', (SELECT l.number FROM tickets l WHERE l.id = t.linked_ticket_id)," \
    " 'merged_into', (SELECT mi.number FROM tickets mi WHERE mi.id = t.merged_into)," \
    " 'created_at', t.created_at, 'updated_at', t.updated_at"

#define TICKET_FROM \
    " FROM tickets t JOIN queues q ON q.id = t.queue_id" \
    " LEFT JOIN contacts c ON c.id = t.customer_id"

/* ticket_queue_known - a queue with this address exists (retired or not) */

static int ticket_queue_known(PGconn *conn, const char *address)
{
    const char *params[1] = {address};
    PGresult *res = ctl_query(conn, "SELECT count(*) FROM queues WHERE address = lower($1)", 1, params);
    int     known = strcmp(PQgetvalue(res, 0, 0), "0") != 0;

    PQclear(res);
    return (known);
}

/* ticket_list - list tickets, newest first */

static int ticket_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    const char *params[3];
    PGresult *res;

    params[0] = ctl_option(&argc, argv, "--queue");
    params[1] = ctl_option(&argc, argv, "--status");
    params[2] = ctl_option(&argc, argv, "--customer");
    if (argc != 2)
	return (ctl_usage("ticket list [--json] [--queue ADDRESS] [--status STATUS] [--customer ADDRESS]"));
    if (params[1] && !ticket_status_known(params[1]))
	return (ctl_fail("unknown status \"%s\": use new, open, pending, solved, closed or spam", params[1]));
    if (params[0] && !ticket_queue_known(conn, params[0]))
	return (ctl_fail("no queue %s (see ticketctl queue list)", params[0]));
    /* Whose tickets someone looked up is a reading about that person. */
    if (params[2])
	ctl_audit_address(conn, "ticket list --customer", params[2]);
    res = ctl_query(conn,
		    "SELECT coalesce(json_agg(json_build_object(" TICKET_FIELDS ","
		    "   'messages', (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id))"
		    "  ORDER BY t.id DESC), '[]'),"
		    " string_agg(format('%-10s %-8s %-24s %-28s %s', t.number, t.status,"
		    "  q.address, coalesce(c.address, '-'), t.subject), E'\\n' ORDER BY t.id DESC)"
		    TICKET_FROM
		    " WHERE ($1::text IS NULL OR q.address = lower($1))"
		    "   AND ($2::text IS NULL OR t.status = $2)"
		    "   AND ($3::text IS NULL OR c.address = lower($3))", 3, params);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no tickets");
    PQclear(res);
    return (0);
}

/* The message objects of ticket t, oldest first. */
#define MESSAGES_JSON \
    "(SELECT coalesce(json_agg(json_build_object(" CTL_MESSAGE_FIELDS \
    "  ) ORDER BY m.id), '[]') FROM messages m WHERE m.ticket_id = t.id)"

/* The thread as text: one block per message, in the order received. */
#define MESSAGES_TEXT \
    "(SELECT string_agg(format(E'\\n#%s  %s  %s %s  from %s <%s>%s  [%s]\\n%s%s%s%s'," \
    "    m.id, m.received_at, m.direction, m.kind, coalesce(m.from_name, ''), " \
    "    coalesce(m.from_address, m.envelope_sender)," \
    "    CASE WHEN m.direction = 'out' THEN ' to ' || array_to_string(m.envelope_recipients, ', ') ELSE '' END," \
    "    m.thread_rule," \
    "    coalesce(E'  ! ' || nullif(replace(message_flags_text(m.facts), E'\\n', E'\\n  ! '), '')" \
    "       || E'\\n', '')," \
    "    coalesce(E'  confirmation: ' || m.autoreply || E'\\n', '')," \
    "    regexp_replace(coalesce(nullif(m.reply_text, ''), m.body_text, ''), '^', '  ', 'gn')," \
    "    (SELECT coalesce(string_agg(format(E'\\n  [attachment %s] %s (%s, %s bytes)', a.id," \
    "        coalesce(a.filename, '(no name)'), a.content_type, a.size), '' ORDER BY a.position), '')" \
    "     FROM attachments a WHERE a.msg_id = m.id)), E'\\n' ORDER BY m.received_at, m.id)" \
    " FROM messages m WHERE m.ticket_id = t.id)"

/* The ticket's events as text, oldest first. */
#define EVENTS_TEXT \
    "(SELECT coalesce(E'\\n\\nEvents:\\n' || string_agg(format('  %s  %s  %s  %s', e.at," \
    "    e.actor, e.action, coalesce(e.detail::text, '')), E'\\n' ORDER BY e.id), '')" \
    " FROM events e WHERE e.ticket_id = t.id)"

/* ticket_show - one ticket with its whole thread */

static int ticket_show(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("ticket show NUMBER [--json]"));
    const char *params[2] = {argv[2], ctl_config()->recipient_delimiter};

    res = ctl_query(conn,
		    "SELECT json_build_object(" TICKET_FIELDS ","
		    "  'reply_address', ticket_reply_address(t.id, $2),"
		    "  'first_response_at', t.first_response_at,"
		    "  'last_customer_at', t.last_customer_at, 'closed_at', t.closed_at,"
		    "  'participants', (SELECT json_agg(json_build_object('address', pc.address,"
		    "     'name', pc.name, 'role', p.role, 'added_by', p.added_by) ORDER BY p.role DESC, pc.address)"
		    "     FROM ticket_participants p JOIN contacts pc ON pc.id = p.contact_id"
		    "     WHERE p.ticket_id = t.id),"
		    "  'events', (SELECT json_agg(json_build_object('at', e.at, 'actor', e.actor,"
		    "     'action', e.action, 'detail', e.detail) ORDER BY e.id)"
		    "     FROM events e WHERE e.ticket_id = t.id),"
		    "  'messages', " MESSAGES_JSON "),"
		    " format(E'Ticket %s  [%s]  %s\\nQueue:     %s\\nCustomer:  %s %s\\n"
		    "Participants: %s\\nReply to:  %s\\nCreated:   %s%s\\n',"
		    "  t.number, t.status, t.subject, q.address, coalesce(c.name, ''),"
		    "  coalesce('<' || c.address || '>', '-'),"
		    "  coalesce((SELECT string_agg(trim(coalesce(pc.name, '') || ' <' || pc.address || '> ('"
		    "     || p.role || coalesce(', added by ' || p.added_by, '') || ')'), ', '"
		    "     ORDER BY p.role DESC, pc.address)"
		    "     FROM ticket_participants p JOIN contacts pc ON pc.id = p.contact_id"
		    "     WHERE p.ticket_id = t.id), '-'),"
		    "  ticket_reply_address(t.id, $2), t.created_at,"
		    "  coalesce(E'\\nLinked to: ' || (SELECT l.number FROM tickets l WHERE l.id = t.linked_ticket_id), '')"
		    "  || coalesce(E'\\nMerged into: ' || (SELECT mi.number FROM tickets mi WHERE mi.id = t.merged_into), '')),"
		    " coalesce(" MESSAGES_TEXT ", '') || " EVENTS_TEXT
		    TICKET_FROM " WHERE t.number = $1", 2, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (ctl_fail("no ticket %s (see ticketctl ticket list)", argv[2]));
    }
    ctl_audit(conn, "ticket show", "ticket", argv[2], NULL);
    if (json) {
	ctl_print_json(res);
    } else {
	fputs(PQgetvalue(res, 0, 1), stdout);
	puts(PQgetvalue(res, 0, 2));
    }
    PQclear(res);
    return (0);
}

/* ticket_status - set a ticket's status, logged as an event */

static int ticket_status(PGconn *conn, int argc, char **argv)
{
    PGresult *res;
    char   *limits;

    if (argc != 4)
	return (ctl_usage("ticket status NUMBER open|pending|solved|closed|spam"));
    /* "new" is where a ticket starts; nobody sets it again. */
    if (!ticket_status_known(argv[3]) || strcmp(argv[3], "new") == 0)
	return (ctl_fail("unknown status \"%s\": use open, pending, solved, closed or spam", argv[3]));
    limits = ingest_limits(ctl_config());
    const char *params[4] = {argv[2], argv[3], limits, ctl_config()->recipient_delimiter};

    res = ctl_query(conn, "SELECT r->>'was', r->>'closed_mail' FROM"
		    " ticket_set_status($1, $2, 'ticketctl', NULL, $3::jsonb, $4) r", 4, params);
    g_free(limits);
    if (PQgetisnull(res, 0, 0)) {
	PQclear(res);
	return (ctl_fail("no ticket %s (see ticketctl ticket list)", argv[2]));
    }
    printf("ticket %s: %s -> %s", argv[2], PQgetvalue(res, 0, 0), argv[3]);
    if (!PQgetisnull(res, 0, 1))
	printf(" (closed mail: %s)", PQgetvalue(res, 0, 1));
    putchar('\n');
    PQclear(res);
    return (0);
}

/* ticket_autoclose - close the tickets solved SolvedCloseDays ago */

static int ticket_autoclose(PGconn *conn, int argc, char **argv)
{
    PGresult *res;
    char   *limits, days[16];

    if (argc != 2)
	return (ctl_usage("ticket autoclose"));
    if (ctl_config()->solved_close_days == 0) {
	puts("SolvedCloseDays is 0: no ticket is closed automatically");
	return (0);
    }
    limits = ingest_limits(ctl_config());
    snprintf(days, sizeof(days), "%d", ctl_config()->solved_close_days);
    const char *params[3] = {days, limits, ctl_config()->recipient_delimiter};

    res = ctl_query(conn, "SELECT ticket, closed_mail FROM tickets_autoclose($1::int, $2::jsonb, $3)",
		    3, params);
    g_free(limits);
    for (int i = 0; i < PQntuples(res); i++)
	printf("ticket %s: solved -> closed (closed mail: %s)\n",
	       PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    printf("%d ticket(s) solved %s days ago or longer closed\n", PQntuples(res), days);
    PQclear(res);
    return (0);
}

/* ticket_cc - add or remove a CC participant: who receives the answers */

static int ticket_cc(PGconn *conn, int argc, char **argv)
{
    char   *address;
    PGresult *res;
    int     add;

    if (argc != 5 || (strcmp(argv[3], "add") != 0 && strcmp(argv[3], "remove") != 0))
	return (ctl_usage("ticket cc NUMBER add|remove ADDRESS"));
    add = strcmp(argv[3], "add") == 0;
    /* It goes into envelopes and header fields: no control characters. */
    for (const char *p = argv[4]; *p; p++)
	if ((unsigned char) *p < ' ' || *p == 0x7f)
	    return (ctl_fail("an address cannot hold control characters"));
    if ((address = queue_addr_normalize(argv[4])) == NULL)
	return (ctl_fail("\"%s\" is not an address of the form local@domain", argv[4]));
    const char *params[3] = {argv[2], address, ctl_config()->recipient_delimiter};

    res = ctl_query(conn,
		    "SELECT t.id, is_queue_address($2, $3),"
		    " EXISTS (SELECT 1 FROM agents a WHERE a.address = $2),"
		    " (SELECT p.role FROM ticket_participants p JOIN contacts c ON c.id = p.contact_id"
		    "  WHERE p.ticket_id = t.id AND c.address = $2)"
		    " FROM tickets t WHERE t.number = $1", 3, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("no ticket %s (see ticketctl ticket list)", argv[2]));
    }
    if (add && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("%s is a support address; it cannot take part in a ticket", argv[4]));
    }
    if (add && strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("%s is an agent: agents get notifications, not the answers", argv[4]));
    }
    if (strcmp(PQgetvalue(res, 0, 3), "customer") == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("%s is the ticket's customer, not a CC participant", argv[4]));
    }
    if (add && !PQgetisnull(res, 0, 3)) {
	printf("%s is a CC participant of ticket %s already\n", address, argv[2]);
	PQclear(res);
	g_free(address);
	return (0);
    }
    if (!add && PQgetisnull(res, 0, 3)) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("%s is not a CC participant of ticket %s", argv[4], argv[2]));
    }
    PQclear(res);
    if (add)
	res = ctl_query(conn,
			"WITH t AS (SELECT id FROM tickets WHERE number = $1),"
			" ins AS (INSERT INTO ticket_participants SELECT t.id, contact_id($2, NULL), 'cc'"
			"  FROM t ON CONFLICT DO NOTHING RETURNING ticket_id)"
			" SELECT ticket_event(ticket_id, 'ticketctl', 'participant',"
			"  jsonb_build_object('add', $2::text, 'role', 'cc')) FROM ins", 2, params);
    else
	res = ctl_query(conn,
			"WITH del AS (DELETE FROM ticket_participants p USING tickets t, contacts c"
			"  WHERE p.ticket_id = t.id AND p.contact_id = c.id AND t.number = $1"
			"  AND c.address = $2 AND p.role = 'cc' RETURNING p.ticket_id)"
			" SELECT ticket_event(ticket_id, 'ticketctl', 'participant',"
			"  jsonb_build_object('remove', $2::text, 'role', 'cc')) FROM del", 2, params);
    printf("ticket %s: %s %s\n", argv[2], address,
	   add ? "added as a CC participant" : "is no longer a CC participant");
    PQclear(res);
    g_free(address);
    return (0);
}

const char ctl_ticket_usage[] = TICKET_USAGE;

/* ctl_ticket - dispatch "ticket" subcommands */

int     ctl_ticket(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (ticket_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "show") == 0)
	return (ticket_show(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
	return (ticket_status(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "autoclose") == 0)
	return (ticket_autoclose(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "cc") == 0)
	return (ticket_cc(conn, argc, argv));
    return (ctl_usage(TICKET_USAGE));
}
