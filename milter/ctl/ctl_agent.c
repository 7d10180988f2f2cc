/*++
/* NAME
/*	ctl_agent 3
/* SUMMARY
/*	ticketctl agent: who answers the tickets of a queue
/* SYNOPSIS
/*	ticketctl agent add ADDRESS --queue QUEUE [--name NAME] [--login LOGIN]
/*	ticketctl agent login ADDRESS add|remove LOGIN
/*	ticketctl agent set ADDRESS [--notify all|assigned|none] [--digest daily|none]
/*	ticketctl agent remove ADDRESS [--queue QUEUE]
/*	ticketctl agent list [--json]
/* DESCRIPTION
/*	An agent is an address that belongs to one or more queues: it is
/*	notified of their new tickets and customer replies. Adding an agent
/*	to a second queue is another "add". "remove" without --queue
/*	removes the agent from every queue. A running daemon picks the
/*	change up at once. Adding an agent that is in the queue already
/*	is not an error (--name then updates the name); a queue that does
/*	not exist changes nothing.
/*
/*	An agent's SASL logins: a message from the agent's address sent
/*	with SMTP authentication counts as the agent's only under one of
/*	them (or from InternalHosts, or with a DKIM signature of the
/*	agent's domain covering From). "--login" binds one at "add";
/*	"agent login" binds or unbinds one later. Logins are compared
/*	exactly, as the MTA reports them ({auth_authen}).
/*
/*	agent set --digest daily: the agent gets the list of their open
/*	tickets and the unassigned ones once a day (ticketctl digest send,
/*	which the package's daily timer runs), as a #list mail to the
/*	queue address answers it; none (the default) stops it.
/*
/*	Which notifications an agent gets ("agent set --notify";
/*	ticket_watchers() in sql/functions/agent_commands.sql): "assigned",
/*	the default, those of the queues' unassigned tickets and of the
/*	tickets assigned to the agent; "all" every message of the queues
/*	(following them); "none" nothing. Nobody is notified of their own
/*	mail. Notices answering the agent's own mail come whatever is set.
/*
/*	agent list --json prints an array of {address, name, queues, logins,
/*	notify, digest}.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/queue_addr.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define AGENT_USAGE "agent add ADDRESS --queue QUEUE [--name NAME] [--login LOGIN]\n" \
		    "       ticketctl agent login ADDRESS add|remove LOGIN\n" \
		    "       ticketctl agent set ADDRESS [--notify all|assigned|none] [--digest daily|none]\n" \
		    "       ticketctl agent remove ADDRESS [--queue QUEUE]\n" \
		    "       ticketctl agent list [--json]"

/* agent_address - the normalized address argument, or NULL after an error */

static char *agent_address(const char *arg)
{
    char   *address;

    /* It goes into envelopes and header fields: no control characters. */
    for (const char *p = arg; *p; p++)
	if ((unsigned char) *p < ' ' || *p == 0x7f) {
	    ctl_fail("an address cannot hold control characters");
	    return (NULL);
	}
    address = queue_addr_normalize(arg);

    if (address == NULL)
	ctl_fail("\"%s\" is not an address of the form local@domain", arg);
    return (address);
}

/* login_invalid - 0 for a SASL login name as the MTA reports it (no
 * space, no control character), else 1 after saying why */

static int login_invalid(const char *login)
{
    if (*login == 0)
	return (ctl_fail("a login cannot be empty"));
    for (const char *p = login; *p; p++)
	if ((unsigned char) *p <= ' ' || *p == 0x7f)
	    return (ctl_fail("\"%s\" is not a login name: no spaces or control characters", login));
    return (0);
}

/* login_change - bind a SASL login to an agent, or unbind it; 1 changed, 0 not */

static int login_change(PGconn *conn, const char *address, const char *login, int add)
{
    const char *params[2] = {address, login};
    PGresult *res;
    int     changed;

    if (add)
	res = ctl_query(conn, "INSERT INTO agent_logins (agent_id, login)"
			" SELECT id, $2 FROM agents WHERE address = $1"
			" ON CONFLICT DO NOTHING", 2, params);
    else
	res = ctl_query(conn, "DELETE FROM agent_logins l USING agents a"
			" WHERE l.agent_id = a.id AND a.address = $1 AND l.login = $2", 2, params);
    changed = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    return (changed);
}

/* agent_add - add an agent to a queue, with a name and a login */

static int agent_add(PGconn *conn, int argc, char **argv)
{
    const char *queue = ctl_option(&argc, argv, "--queue");
    const char *name = ctl_option(&argc, argv, "--name");
    const char *login = ctl_option(&argc, argv, "--login");
    char   *address;
    PGresult *res;
    int     added;

    if (argc != 3 || queue == NULL)
	return (ctl_usage("agent add ADDRESS --queue QUEUE [--name NAME] [--login LOGIN]"));
    if (login && login_invalid(login))
	return (1);
    if ((address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[3] = {address, name, queue};

    /* The queue first: a mistyped one changes nothing. */
    res = ctl_query(conn, "SELECT 1 FROM queues WHERE address = lower($1)", 1, params + 2);
    if (PQntuples(res) == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("no queue %s (see ticketctl queue list)", queue));
    }
    PQclear(res);
    res = ctl_query(conn,
		    "WITH a AS (INSERT INTO agents (address, name) VALUES ($1, $2)"
		    "   ON CONFLICT (address) DO UPDATE SET name = coalesce(EXCLUDED.name, agents.name)"
		    "   RETURNING id)"
		    " INSERT INTO agent_queues SELECT a.id, q.id FROM a, queues q"
		    "  WHERE q.address = lower($3) ON CONFLICT DO NOTHING RETURNING 1", 3, params);
    added = PQntuples(res) > 0;
    PQclear(res);
    if (added)
	printf("agent %s added to queue %s\n", address, queue);
    else
	printf("agent %s is in queue %s already%s\n", address, queue, name ? "; name updated" : "");
    if (login && login_change(conn, address, login, 1))
	printf("agent %s: login %s bound\n", address, login);
    g_free(address);
    return (0);
}

/* agent_login - bind or unbind a SASL login name */

static int agent_login(PGconn *conn, int argc, char **argv)
{
    char   *address;
    PGresult *res;
    int     add;

    if (argc != 5 || (strcmp(argv[3], "add") != 0 && strcmp(argv[3], "remove") != 0))
	return (ctl_usage("agent login ADDRESS add|remove LOGIN"));
    add = strcmp(argv[3], "add") == 0;
    if ((add && login_invalid(argv[4])) || (address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[1] = {address};

    res = ctl_query(conn, "SELECT 1 FROM agents WHERE address = $1", 1, params);
    if (PQntuples(res) == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("no agent %s (see ticketctl agent list)", argv[2]));
    }
    PQclear(res);
    if (login_change(conn, address, argv[4], add))
	printf("agent %s: login %s %s\n", address, argv[4], add ? "bound" : "removed");
    else if (add)
	printf("agent %s: login %s is bound already\n", address, argv[4]);
    else {
	g_free(address);
	return (ctl_fail("agent %s has no login %s", argv[2], argv[4]));
    }
    g_free(address);
    return (0);
}

/* agent_set - an agent's settings: which notifications, a daily list */

static int agent_set(PGconn *conn, int argc, char **argv)
{
    const char *notify = ctl_option(&argc, argv, "--notify");
    const char *digest = ctl_option(&argc, argv, "--digest");
    char   *address;
    PGresult *res;
    int     changed;

    if (argc != 3 || (notify == NULL && digest == NULL)
	|| (notify && strcmp(notify, "all") != 0 && strcmp(notify, "assigned") != 0
	    && strcmp(notify, "none") != 0)
	|| (digest && strcmp(digest, "daily") != 0 && strcmp(digest, "none") != 0))
	return (ctl_usage("agent set ADDRESS [--notify all|assigned|none] [--digest daily|none]"));
    if ((address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[3] = {address, notify, digest};

    res = ctl_query(conn, "UPDATE agents SET notify = coalesce($2, notify),"
		    " digest = coalesce($3, digest) WHERE address = $1", 3, params);
    changed = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (changed && notify)
	printf("agent %s: notify %s\n", address, notify);
    if (changed && digest)
	printf("agent %s: digest %s\n", address, digest);
    g_free(address);
    return (changed ? 0 : ctl_fail("no agent %s (see ticketctl agent list)", argv[2]));
}

/* agent_remove - take an agent out of one queue, or out of all */

static int agent_remove(PGconn *conn, int argc, char **argv)
{
    const char *queue = ctl_option(&argc, argv, "--queue");
    char   *address;
    PGresult *res;

    if (argc != 3)
	return (ctl_usage("agent remove ADDRESS [--queue QUEUE]"));
    if ((address = agent_address(argv[2])) == NULL)
	return (1);
    const char *params[2] = {address, queue};

    if (queue)
	res = ctl_query(conn, "DELETE FROM agent_queues aq USING agents a, queues q"
			" WHERE aq.agent_id = a.id AND aq.queue_id = q.id"
			" AND a.address = $1 AND q.address = lower($2)", 2, params);
    else
	res = ctl_query(conn, "DELETE FROM agents WHERE address = $1", 1, params);
    if (strcmp(PQcmdTuples(res), "0") == 0) {
	PQclear(res);
	g_free(address);
	return (ctl_fail("no agent %s%s%s", argv[2], queue ? " in queue " : "", queue ? queue : ""));
    }
    printf("agent %s removed%s%s\n", address, queue ? " from queue " : "", queue ? queue : "");
    PQclear(res);
    g_free(address);
    return (0);
}

/* agent_list - the agents and their queues */

static int agent_list(PGconn *conn, int argc, char **argv)
{
    int     json = ctl_flag(&argc, argv, "--json");
    PGresult *res;

    if (argc != 2)
	return (ctl_usage("agent list [--json]"));
    res = ctl_query(conn,
		    "WITH x AS (SELECT a.address, a.name, a.notify, coalesce(array_agg(q.address ORDER BY q.address)"
		    "   FILTER (WHERE q.address IS NOT NULL), '{}') AS queues,"
		    "   ARRAY(SELECT l.login FROM agent_logins l WHERE l.agent_id = a.id ORDER BY l.login) AS logins"
		    "   , a.digest"
		    "  FROM agents a LEFT JOIN agent_queues aq ON aq.agent_id = a.id"
		    "  LEFT JOIN queues q ON q.id = aq.queue_id GROUP BY a.id)"
		    " SELECT coalesce(json_agg(json_build_object('address', address, 'name', name,"
		    "   'queues', queues, 'logins', logins, 'notify', notify, 'digest', digest) ORDER BY address), '[]'),"
		    " string_agg(format('%-32s %-24s %-32s logins: %s  notify: %s  digest: %s', address,"
		    "   coalesce(name, '-'), array_to_string(queues, ', '),"
		    "   coalesce(nullif(array_to_string(logins, ', '), ''), '-'), notify, digest),"
		    "   E'\\n' ORDER BY address) FROM x", 0, 0);
    if (json)
	ctl_print_json(res);
    else if (!PQgetisnull(res, 0, 1))
	puts(PQgetvalue(res, 0, 1));
    else
	puts("no agents yet: add one with 'ticketctl agent add ADDRESS --queue QUEUE'");
    PQclear(res);
    return (0);
}

const char ctl_agent_usage[] = AGENT_USAGE;

/* ctl_agent - dispatch "agent" subcommands */

int     ctl_agent(PGconn *conn, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "add") == 0)
	return (agent_add(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "remove") == 0)
	return (agent_remove(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
	return (agent_list(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "login") == 0)
	return (agent_login(conn, argc, argv));
    if (argc >= 2 && strcmp(argv[1], "set") == 0)
	return (agent_set(conn, argc, argv));
    return (ctl_usage(AGENT_USAGE));
}
