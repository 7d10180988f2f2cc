#ifndef MILTER_CTL_H
#define MILTER_CTL_H

/*++
/* NAME
/*	ctl 3h
/* SUMMARY
/*	what the ticketctl commands share
/* SYNOPSIS
/*	#include <milter/ctl/ctl.h>
/*
/*	typedef int CTL_COMMAND(PGconn *conn, int argc, char **argv);
/*
/*	PGresult *ctl_query(PGconn *conn, const char *sql, int nparams,
/*			    const char *const *params)
/*
/*	void	ctl_print_json(PGresult *res)
/*	void	ctl_print_json_text(const char *json)
/*
/*	int	ctl_usage(const char *text)
/*
/*	int	ctl_fail(const char *fmt, ...)
/*
/*	int	ctl_flag(int *argc, char **argv, const char *flag)
/*	int	ctl_has_flag(int argc, char **argv, const char *flag)
/*
/*	const char *ctl_option(int *argc, char **argv, const char *name)
/*
/*	const CONFIG *ctl_config(void)
/*
/*	char	*ctl_template_read(const char *path, const char *const *names)
/*
/*	int	ctl_queue_or_default(PGconn *conn, const char *queue)
/*
/*	int	ctl_texts_set(PGconn *conn, const CTL_TEXTS *kind,
/*			      const char *queue, const char *key,
/*			      const char *lang, const char *text_path,
/*			      const char *html_path)
/*
/*	int	ctl_texts_show(PGconn *conn, const CTL_TEXTS *kind,
/*			       const char *queue, const char *key,
/*			       const char *lang)
/*
/*	int	ctl_texts_list(PGconn *conn, const CTL_TEXTS *kind, int json)
/*
/*	int	ctl_since_value(const char *arg, char **interval, char **date)
/*
/*	const char *ctl_connect_hint(const char *why)
/*	int	ctl_region_run(const CONFIG *config, CTL_COMMAND *run,
/*			       int needs_schema, int argc, char **argv)
/*	int	ctl_region_migrate(const CONFIG *config, int argc, char **argv)
/*	const char *ctl_region_name(void)
/*	void	ctl_audit(PGconn *conn, const char *command,
/*			  const char *kind, const char *id,
/*			  const char *detail_json)
/*	void	ctl_audit_address(PGconn *conn, const char *command,
/*			  const char *address)
/* DESCRIPTION
/*	Each command module exports its run function and its usage text
/*	(ctl_queue and ctl_queue_usage, ...).
/*
/*	A command gets the connection and its own arguments (argv[0] is
/*	its name) and returns the exit status: 0 done, 1 failed, 2 wrong
/*	usage.
/*
/*	ctl_query() runs a parameterized query; on an error it prints the
/*	server's reason and exits with status 1.
/*
/*	ctl_print_json() prints the one JSON value that the query built
/*	(json_agg and friends), so that JSON output comes from one place;
/*	a command over several regions prints their values joined
/*	(ctl_region.c); ctl_print_json_text() prints one the program holds.
/*
/*	ctl_usage() prints "usage: ticketctl TEXT" and returns 2;
/*	ctl_fail() prints "ticketctl: TEXT" and returns 1.
/*
/*	ctl_flag() removes a --flag from argv and says if it was there;
/*	ctl_option() removes "--name VALUE" and returns VALUE or NULL;
/*	ctl_has_flag() only looks.
/*	ctl_connect_hint() is what to add to a refused login's message.
/*	ctl_region_run() runs a command in the region(s) it is for, and
/*	ctl_region_migrate() brings every region's schema up to date
/*	(ctl_region.c); ctl_region_name() is the region a command runs in
/*	when there are several (ctl_fail() names it), else NULL;
/*	ctl_region_first() says whether it is the first region the command
/*	runs in (a CSV header goes once, a region column before each row);
/*	ctl_queue_known() whether any region holds a queue (1, 0, or -1
/*	after saying which region cannot be asked).
/*
/*	ctl_config() is the configuration ticketctl read (-c).
/*
/*	ctl_template_read() reads a template (or canned answer) file and
/*	checks it with template_check_names(); NULL after saying why.
/*	ctl_queue_or_default() returns 0 when QUEUE is a queue or
/*	"default", else says so and returns 1. CTL_QUEUE_ID is the queue id
/*	of such an argument ($1) in SQL, NULL for "default".
/*
/*	ctl_texts_set(), _show() and _list() serve the texts kept per
/*	queue (or default), key and language: templates and canned
/*	answers. CTL_TEXTS names the table, its key column, what one is
/*	called, the ticketctl command, and the fields its texts may use;
/*	set reads and checks the files, show prints one, list all (JSON:
/*	{queue, KEY, language, html, updated_at}). They return an exit
/*	status.
/*
/*	ctl_since_value() reads a --since TIME: a duration back from now
/*	(30d, 12h) into *interval, or a date into *date (g_free both); -1
/*	when it is neither.
/*
/*	ctl_audit() records a reading or change of personal data in the
/*	audit log (ctl_audit.c), ctl_audit_address() one about a person
/*	(by the hash of the address); ticketctl exits if it cannot.
/*
/*	CTL_MESSAGE_FIELDS are the members of the JSON message object (of
/*	messages m), for json_build_object(): ticket show and message show
/*	print the same object.
/*--*/

/* External libraries. */
#include <libpq-fe.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/config.h>

#define CTL_MESSAGE_FIELDS \
    "'id', m.id, 'direction', m.direction, 'kind', m.kind, 'thread_rule', m.thread_rule," \
    " 'message_id', m.message_id, 'in_reply_to', m.in_reply_to," \
    " 'from_address', m.from_address, 'from_name', m.from_name," \
    " 'to', m.to_addresses, 'cc', m.cc_addresses, 'subject', m.subject, 'date', m.sent_at," \
    " 'envelope_sender', m.envelope_sender, 'envelope_recipients', m.envelope_recipients," \
    " 'client_ip', host(m.client_ip), 'helo', m.helo, 'mta_queue_id', m.mta_queue_id," \
    " 'size', m.size, 'received_at', m.received_at, 'reply_text', m.reply_text," \
    " 'text', m.body_text, 'auth', m.auth, 'flags', message_flags(m.facts)," \
    " 'confirmation', m.autoreply," \
    " 'attachments', (SELECT coalesce(json_agg(json_build_object(" \
    "    'id', a.id, 'filename', a.filename, 'content_type', a.content_type, 'size', a.size," \
    "    'sha256', a.sha256, 'origin', a.origin) ORDER BY a.position), '[]')" \
    "    FROM attachments a WHERE a.msg_id = m.id)"

#define CTL_QUEUE_ID "(SELECT id FROM queues WHERE address = lower($1) AND $1 <> 'default')"

typedef int CTL_COMMAND(PGconn *, int, char **);

typedef struct CTL_TEXTS {
    const char *table;			/* templates, canned */
    const char *key;			/* its column besides queue and language */
    const char *what;			/* "template", "canned answer" */
    const char *command;		/* the ticketctl command */
    const char *const *names;		/* the fields its texts may use */
} CTL_TEXTS;

extern PGresult *ctl_query(PGconn *, const char *, int, const char *const *);
extern void ctl_print_json(PGresult *);
extern void ctl_print_json_text(const char *);
extern int ctl_region_first(void);
extern int ctl_usage(const char *);
extern int ctl_fail(const char *,...) TM_PRINTF(1, 2);
extern int ctl_flag(int *, char **, const char *);
extern int ctl_has_flag(int, char **, const char *);
extern const char *ctl_connect_hint(const char *);
extern int ctl_region_run(const CONFIG *, CTL_COMMAND *, int, int, char **);
extern int ctl_region_migrate(const CONFIG *, int, char **);
extern const char *ctl_region_name(void);
extern int ctl_queue_known(const char *);
extern const char *ctl_option(int *, char **, const char *);
extern const CONFIG *ctl_config(void);
extern char *ctl_template_read(const char *, const char *const *);
extern int ctl_queue_or_default(PGconn *, const char *);
extern int ctl_texts_set(PGconn *, const CTL_TEXTS *, const char *, const char *,
			         const char *, const char *, const char *);
extern int ctl_texts_show(PGconn *, const CTL_TEXTS *, const char *, const char *, const char *);
extern int ctl_texts_list(PGconn *, const CTL_TEXTS *, int);

extern CTL_COMMAND ctl_queue, ctl_ticket, ctl_agent, ctl_template, ctl_outbox, ctl_canned;
extern const char ctl_queue_usage[], ctl_ticket_usage[], ctl_agent_usage[];
extern const char ctl_template_usage[], ctl_outbox_usage[], ctl_canned_usage[];
extern CTL_COMMAND ctl_message, ctl_stats, ctl_report, ctl_attachment;
extern const char ctl_message_usage[], ctl_stats_usage[], ctl_report_usage[];
extern const char ctl_attachment_usage[];
extern CTL_COMMAND ctl_digest, ctl_purge;
extern const char ctl_digest_usage[], ctl_purge_usage[];
extern CTL_COMMAND ctl_privacy, ctl_audit_command, ctl_apikey;
extern const char ctl_privacy_usage[], ctl_audit_usage[], ctl_apikey_usage[];
extern CTL_COMMAND ctl_webhook;
extern const char ctl_webhook_usage[];
extern int ctl_since_value(const char *, char **, char **);
extern void ctl_audit_session(PGconn *);
extern void ctl_audit(PGconn *, const char *, const char *, const char *, const char *);
extern void ctl_audit_address(PGconn *, const char *, const char *);

#endif
