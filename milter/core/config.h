#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

/*++
/* NAME
/*	config 3h
/* SUMMARY
/*	the configuration file, in the OpenDKIM style
/* SYNOPSIS
/*	#include <milter/core/config.h>
/*
/*	CONFIG	*config_load(const char *path, TM_ERROR *err)
/*
/*	const CONFIG *config_ref(const CONFIG *config)
/*
/*	void	config_free(const CONFIG *config)
/*
/*	int	config_keep_restart_keys(CONFIG *fresh, const CONFIG *running,
/*					 GString *names)
/*
/*	const char *config_local_socket(const char *spec)
/*
/*	const char *config_action_name(int action)
/*
/*	void	config_mail_options(const CONFIG *config, MAIL_OPTIONS *options)
/*
/*	int	config_region_find(const CONFIG *config, const char *name)
/* DESCRIPTION
/*	The file holds one `Key value` setting per line; `#` at the start
/*	of a line or after white space starts a comment (so "[#NUMBER]" is
/*	a value); keys are case-insensitive. ticket-milter.conf(5) lists the
/*	keys. config_load() returns a complete configuration with defaults
/*	for what the file leaves out.
/*
/*	A configuration is reference-counted, so that a reload can replace
/*	it while connections still use the old one (config_current(3)).
/*	config_ref() takes one more reference; config_free() drops one and
/*	releases the configuration with the last (a null one is ignored).
/*
/*	Some keys are read at start only (Socket, UserID, PidFile,
/*	Database, ...: ticket-milter.conf(5) marks them).
/*	config_keep_restart_keys() sets those of fresh to the values of
/*	running, appends the names of the ones that differed to names
/*	("Socket, UserID") and returns how many did.
/*
/*	config_local_socket() returns the path of a "local:" or "unix:"
/*	socket specification, or NULL for another kind.
/*
/*	config_mail_options() fills options for the parser: its defaults
/*	with TicketTagFormat, ReplyMarker and SpamHeader (borrowed from config).
/*	The regions are the databases mail is kept in: regions[0] is
/*	"default", the Database, and each `Region NAME CONNINFO` line adds
/*	one (the key may repeat; the names are unique).
/*	config_region_find() returns the index of a region by name, or -1.
/* DIAGNOSTICS
/*	config_load() returns NULL and sets err to "FILE, line N: Key:
/*	problem" for an unknown key, a bad value, a key given twice (but
/*	Region) or a
/*	required key that is missing, or a SocketMode or SocketGroup for a
/*	socket that is not local.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>
#include <milter/util/netlist.h>

/* Parser library. */
#include <parser/mail.h>

/* What becomes of the MTA's own copy of a support message once stored. */
#define MTA_COPY_REMOVE		0	/* delete the support recipients */
#define MTA_COPY_KEEP		1	/* let the MTA deliver as it routes */
#define MTA_COPY_REDIRECT	2	/* deliver to one archive address */

/* Failure actions, in the manner of OpenDKIM's On-* keys. */
#define ACTION_TEMPFAIL		0
#define ACTION_ACCEPT		1
#define ACTION_REJECT		2

typedef struct CONFIG {
    char   *path;			/* the file it came from */
    char   *socket;			/* Socket: libmilter socket spec */
    int     socket_mode;		/* SocketMode, or -1: the umask decides */
    char   *socket_group;		/* SocketGroup, or NULL */
    char   *database;			/* Database: libpq conninfo */
    char   *pid_file;			/* PidFile */
    char   *user_id;			/* UserID: user[:group] */
    int     syslog;			/* Syslog: log to syslog, not stderr */
    int     syslog_facility;		/* SyslogFacility */
    int     log_verbose;		/* LogVerbose */
    char   *temp_dir;			/* TemporaryDirectory */
    size_t  max_message_size;		/* MaximumMessageSize */
    size_t  body_memory_limit;		/* BodyMemoryLimit: then a temp file */
    int     mta_copy;			/* MtaCopy */
    char   *mta_copy_address;		/* MtaCopy redirect ADDRESS */
    char   *recipient_delimiter;	/* RecipientDelimiter */
    int     database_timeout;		/* DatabaseTimeout, seconds */
    int     database_connections;	/* DatabaseConnections: pool size */
    int     milter_timeout;		/* MilterTimeout, seconds */
    int     queue_refresh;		/* QueueRefresh, seconds */
    int     on_database_error;		/* On-DatabaseError */
    int     on_internal_error;		/* On-InternalError */
    char   *authserv_id;		/* AuthservID: in Authentication-Results */
    int     verify_senders;		/* VerifySenders: SPF, DKIM, DMARC */
    int     dns_timeout;		/* DNSTimeout, seconds per query */
    size_t  dns_cache_size;		/* DNSCacheSize: bytes, 0: no cache */
    int     dmarc_reject_action;	/* DmarcRejectAction: ACTION_* */
    NETLIST *internal_hosts;		/* InternalHosts */
    char   *public_suffix_list;	/* PublicSuffixList: file */
    char   *ticket_number_format;	/* TicketNumberFormat */
    char   *ticket_tag_format;		/* TicketTagFormat */
    char   *reply_marker;		/* ReplyMarker, or NULL */
    const char *spam_header;		/* SpamHeader: mail_spam_header_name(), or NULL */
    int     reopen_window;		/* ReopenWindow, seconds */
    int     solved_close_days;		/* SolvedCloseDays: 0 never */
    char   *outbox_relay;		/* OutboxRelay: host:port, or none */
    int     outbox_max_attempts;	/* OutboxMaxAttempts */
    int     outbox_poll;		/* OutboxPoll, seconds */
    int     outbox_senders;		/* OutboxSenders: sender threads */
    int     outbox_retry_delay;		/* OutboxRetryDelay: first backoff, seconds */
    int     webhook_senders;		/* WebhookSenders: threads a region */
    int     webhook_max_attempts;	/* WebhookMaxAttempts */
    int     webhook_retry_delay;	/* WebhookRetryDelay: first backoff, seconds */
    int     webhook_timeout;		/* WebhookTimeout: one POST, seconds */
    int     autoreply_per_address_hour;	/* AutoReplyPerAddressHour */
    int     autoreply_per_address_day;	/* AutoReplyPerAddressDay */
    int     automail_per_ticket_hour;	/* AutoMailPerTicketHour */
    int     bounce_hold;		/* BounceHold, seconds */
    int     max_recipients;		/* MaximumRecipients of one agent answer */
    size_t  notify_attachment_limit;	/* NotifyAttachmentLimit: bytes of
					 * attachments one notification carries */
    MAIL_LIMITS limits;			/* MaximumMimeDepth, ... */
    char   *api_socket;			/* ApiSocket: ticket-api's inet socket */
    int     api_threads;		/* ApiThreads: its connection threads */
    size_t  api_max_body;		/* ApiMaximumBody: bytes of a request body */
    int     api_requests_per_minute;	/* ApiRequestsPerMinute: per key */
    struct CONFIG_REGION *regions;	/* [0] "default" (Database), then Region lines */
    int     region_count;
} CONFIG;

/* One region: a name and the database its queues' mail is kept in. */
typedef struct CONFIG_REGION {
    char   *name;			/* "default", or a Region's NAME */
    char   *conninfo;			/* libpq conninfo */
} CONFIG_REGION;

extern CONFIG *config_load(const char *, TM_ERROR *);
extern const CONFIG *config_ref(const CONFIG *);
extern void config_free(const CONFIG *);
extern int config_keep_restart_keys(CONFIG *, const CONFIG *, GString *);
extern const char *config_local_socket(const char *);
extern const char *config_action_name(int);
extern void config_mail_options(const CONFIG *, MAIL_OPTIONS *);
extern int config_region_find(const CONFIG *, const char *);

#endif
