/*++
/* NAME
/*	ticketctl 8
/* SUMMARY
/*	administer ticket-milter's database: schema, queues, tickets
/* SYNOPSIS
/*	ticketctl [-c FILE] COMMAND [ARGS]
/* DESCRIPTION
/*	ticketctl reads the daemon's configuration file for the Database
/*	and Region settings; ctl_region(3) picks the region(s) a command
/*	runs in. The commands are listed by `ticketctl --help`; each one's
/*	own options by `ticketctl COMMAND --help`.
/*
/*	Exit status: 0 done, 1 failed (the reason is printed), 2 wrong
/*	usage.
/*--*/

/* System library. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Global library. */
#include <milter/core/config.h>

/* Application-specific. */
#include <milter/ctl/ctl.h>

#define DEFAULT_CONFIG	"/etc/ticket-milter/ticket-milter.conf"

static CONFIG *ctl_loaded_config;

static const char help_text[] =
"usage: ticketctl [-c FILE] COMMAND [ARGS]\n"
"\n"
"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
"  -V        print the version\n"
"  COMMAND ... --region NAME\n"
"            run in that region only (a Region line, or default); without it\n"
"            listings and jobs run in every region, a command on one ticket,\n"
"            message or queue in the region that holds it\n"
"\n"
"commands:\n"
"  init                          create the schema, or bring it up to date\n"
"  migrate [--dry-run]           apply pending schema migrations (or list them)\n"
"  queue add ADDRESS [--name NAME] [--confirm WHO] [--language LL]\n"
"                                add a support address (a queue)\n"
"  queue set ADDRESS [--name NAME] [--confirm WHO] [--language LL]\n"
"            [--retention-days N|none]\n"
"                                change a queue; WHO: authenticated, always, never\n"
"  queue list [--json]           list the queues\n"
"  queue remove ADDRESS [--keep-tickets]\n"
"                                remove a queue without tickets, or retire one\n"
"  ticket list [--json] [--queue ADDRESS] [--status STATUS] [--customer ADDRESS]\n"
"                                list tickets, newest first\n"
"  ticket show NUMBER [--json]   show one ticket and its whole thread\n"
"  ticket status NUMBER open|pending|solved|closed|spam\n"
"                                change a ticket's status (closed: tells the customer)\n"
"  ticket autoclose              close the tickets solved SolvedCloseDays ago\n"
"  ticket cc NUMBER add|remove ADDRESS\n"
"                                add someone to a ticket's answers, or remove\n"
"  message show ID [--json | --raw]\n"
"                                one stored message; --raw: the original bytes\n"
"  message replay ID [--dry-run] [--json]\n"
"                                parse a stored original again, refresh its text\n"
"  attachment get ID -o FILE     write a stored attachment to a new FILE (- for stdout)\n"
"  stats [--json]                tickets and messages per queue and status\n"
"  report queues|agents [--since TIME] [--json | --csv]\n"
"                                tickets, replies, first response, backlog\n"
"  agent add ADDRESS --queue QUEUE [--name NAME] [--login LOGIN]\n"
"                                add an agent to a queue (notified, may answer)\n"
"  agent login ADDRESS add|remove LOGIN\n"
"                                bind a SASL login to an agent, or unbind it\n"
"  agent set ADDRESS [--notify all|assigned|none] [--digest daily|none]\n"
"                                which notifications an agent gets; a daily list\n"
"  agent remove ADDRESS [--queue QUEUE]\n"
"                                take an agent out of a queue, or out of all\n"
"  agent list [--json]           list the agents and their queues\n"
"  template set QUEUE confirm|notify|notice|closed [--lang LL] --text FILE [--html FILE]\n"
"                                set a template (QUEUE \"default\": every queue)\n"
"  template show QUEUE confirm|notify|notice|closed [--lang LL]\n"
"                                print a template\n"
"  template list [--json]        list the templates\n"
"  canned set QUEUE NAME [--lang LL] --text FILE [--html FILE]\n"
"                                set a canned answer (#canned NAME in an agent's mail)\n"
"  canned show QUEUE NAME [--lang LL]\n"
"                                print a canned answer\n"
"  canned list [--json]          list the canned answers\n"
"  canned remove QUEUE NAME [--lang LL]\n"
"                                remove a canned answer (every language without --lang)\n"
"  outbox [list] [--pending] [--failed] [--json]\n"
"                                outgoing mail waiting and given up on\n"
"  outbox retry ID               send a failed mail again now\n"
"  digest send                   queue the daily list for agents with --digest daily\n"
"  purge [--dry-run]             delete closed tickets past their queue's retention\n"
"  privacy export ADDRESS -o FILE.tar\n"
"                                everything stored about a person, as a tar (- for stdout)\n"
"  privacy erase ADDRESS [--dry-run] [--json]\n"
"                                remove a person's mail, contact and address\n"
"  audit list [--since TIME] [--json]\n"
"                                who read or changed personal data (TIME: 30d, 12h, a date)\n"
"  apikey add NAME (--queue ADDRESS... | --all) --scope read|write\n"
"                                a ticket-api key; prints its token once\n"
"  apikey list [--json]          the keys (never a token)\n"
"  apikey revoke NAME            a key stops working at once\n"
"  webhook add URL --queue QUEUE --events EVENT,...\n"
"                                POST the queue's events to URL; prints its secret once\n"
"  webhook list [--json]         the webhooks (never a secret)\n"
"  webhook deliveries [--failed] [--json]\n"
"                                the newest deliveries, or those given up on\n"
"  webhook retry ID              send a delivery again now\n"
"  webhook remove ID             delete a webhook; nothing more is sent to it\n"
"\n"
"exit status: 0 done, 1 failed, 2 wrong usage\n";

/* ctl_usage - print a usage line and return the usage status */

int     ctl_usage(const char *text)
{
    fprintf(stderr, "usage: ticketctl %s\n", text);
    return (2);
}

/* ctl_fail - print an error and return the failure status */

int     ctl_fail(const char *fmt,...)
{
    va_list ap;

    fputs("ticketctl: ", stderr);
    if (ctl_region_name())
	fprintf(stderr, "region %s: ", ctl_region_name());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return (1);
}

/* ctl_query - run a parameterized query or exit with the reason */

PGresult *ctl_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    PGresult *res = PQexecParams(conn, sql, nparams, 0, params, 0, 0, 0);
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
	ctl_fail("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(conn);
	exit(1);
    }
    return (res);
}

/* ctl_has_flag - whether --flag is among the arguments (left there) */

int     ctl_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
	if (strcmp(argv[i], flag) == 0)
	    return (1);
    return (0);
}

/* ctl_flag - remove --flag from the arguments; 1 if it was there */

int     ctl_flag(int *argc, char **argv, const char *flag)
{
    for (int i = 1; i < *argc; i++) {
	if (strcmp(argv[i], flag) == 0) {
	    memmove(argv + i, argv + i + 1, (size_t) (*argc - i) * sizeof(*argv));
	    (*argc)--;
	    return (1);
	}
    }
    return (0);
}

/* ctl_option - remove "--name VALUE" from the arguments; VALUE or NULL */

const char *ctl_option(int *argc, char **argv, const char *name)
{
    for (int i = 1; i < *argc - 1; i++) {
	if (strcmp(argv[i], name) == 0) {
	    const char *value = argv[i + 1];

	    memmove(argv + i, argv + i + 2, (size_t) (*argc - i - 1) * sizeof(*argv));
	    *argc -= 2;
	    return (value);
	}
    }
    return (NULL);
}

/* ctl_config - the configuration ticketctl read */

const CONFIG *ctl_config(void)
{
    return (ctl_loaded_config);
}

static const struct {
    const char *name;
    CTL_COMMAND *run;
    int     needs_schema;		/* refuses an old schema */
    const char *usage;
}       commands[] = {
    {"init", 0, 0, "init"},
    {"migrate", 0, 0, "migrate [--dry-run]"},
    {"queue", ctl_queue, 1, ctl_queue_usage},
    {"ticket", ctl_ticket, 1, ctl_ticket_usage},
    {"message", ctl_message, 1, ctl_message_usage},
    {"attachment", ctl_attachment, 1, ctl_attachment_usage},
    {"stats", ctl_stats, 1, ctl_stats_usage},
    {"report", ctl_report, 1, ctl_report_usage},
    {"agent", ctl_agent, 1, ctl_agent_usage},
    {"template", ctl_template, 1, ctl_template_usage},
    {"canned", ctl_canned, 1, ctl_canned_usage},
    {"outbox", ctl_outbox, 1, ctl_outbox_usage},
    {"digest", ctl_digest, 1, ctl_digest_usage},
    {"purge", ctl_purge, 1, ctl_purge_usage},
    {"privacy", ctl_privacy, 1, ctl_privacy_usage},
    {"audit", ctl_audit_command, 1, ctl_audit_usage},
    {"apikey", ctl_apikey, 1, ctl_apikey_usage},
    {"webhook", ctl_webhook, 1, ctl_webhook_usage},
    {0},
};

/* ctl_connect_hint - what to do about a refused database login */

const char *ctl_connect_hint(const char *why)
{
    /* The package's database trusts the local user of the same name. */
    if (strstr(why, "Peer authentication failed"))
	return ("; the database knows its local users by name: run ticketctl as the user"
		" the daemon runs as (runuser -u ticket-milter -- ticketctl ...)");
    return ("");
}

int     main(int argc, char **argv)
{
    const char *config_path = DEFAULT_CONFIG;
    CONFIG *config;
    TM_ERROR err;
    int     ch, i, status;

    /* The long forms of -h and -V, among the options before the command. */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
	if (strcmp(argv[i], "--help") == 0)
	    argv[i] = "-h";
	else if (strcmp(argv[i], "--version") == 0)
	    argv[i] = "-V";
	else if (strcmp(argv[i], "-c") == 0)
	    i++;
    }
    while ((ch = getopt(argc, argv, "+c:hV")) != -1) {
	switch (ch) {
	case 'c':
	    config_path = optarg;
	    break;
	case 'V':
	    printf("ticketctl %s\n", TM_VERSION);
	    return (0);
	case 'h':
	    fputs(help_text, stdout);
	    return (0);
	default:
	    fputs(help_text, stderr);
	    return (2);
	}
    }
    argc -= optind;
    argv += optind;
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
	fputs(help_text, argc < 1 ? stderr : stdout);
	return (argc < 1 ? 2 : 0);
    }
    for (i = 0; commands[i].name; i++)
	if (strcmp(commands[i].name, argv[0]) == 0)
	    break;
    if (commands[i].name == NULL) {
	ctl_fail("unknown command \"%s\" (see ticketctl --help)", argv[0]);
	return (2);
    }
    if (ctl_flag(&argc, argv, "--help")) {
	printf("usage: ticketctl %s\n", commands[i].usage);
	return (0);
    }
    if ((config = config_load(config_path, &err)) == NULL)
	return (ctl_fail("%s", err.text));
    ctl_loaded_config = config;
    if (commands[i].run == NULL)
	status = ctl_region_migrate(config, argc, argv);
    else
	status = ctl_region_run(config, commands[i].run, commands[i].needs_schema, argc, argv);
    config_free(config);
    return (status);
}
