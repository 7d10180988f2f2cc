#ifndef MILTER_CONFIG_H
#define MILTER_CONFIG_H

/*++
/* NAME
/*	config 3h
/* SUMMARY
/*	the configuration file, in the OpenDKIM style
/* SYNOPSIS
/*	#include <milter/config.h>
/*
/*	CONFIG	*config_load(const char *path, TM_ERROR *err)
/*
/*	void	config_free(CONFIG *config)
/*
/*	const char *config_action_name(int action)
/* DESCRIPTION
/*	The file holds one `Key value` setting per line; `#` at the start
/*	of a line or after white space starts a comment (so "[#NUMBER]" is
/*	a value); keys are case-insensitive. ticket-milter.conf(5) lists the
/*	keys. config_load() returns a complete configuration with defaults
/*	for what the file leaves out.
/* DIAGNOSTICS
/*	config_load() returns NULL and sets err to "FILE, line N: Key:
/*	problem" for an unknown key, a bad value, a key given twice or a
/*	required key that is missing.
/*--*/

#include <stddef.h>
#include <milter/log.h>
#include <milter/netlist.h>
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
    int     dmarc_reject_action;	/* DmarcRejectAction: ACTION_* */
    NETLIST *internal_hosts;		/* InternalHosts */
    char   *public_suffix_list;	/* PublicSuffixList: file */
    char   *ticket_number_format;	/* TicketNumberFormat */
    char   *ticket_tag_format;		/* TicketTagFormat */
    char   *reply_marker;		/* ReplyMarker, or NULL */
    int     reopen_window;		/* ReopenWindow, seconds */
    MAIL_LIMITS limits;			/* MaximumMimeDepth, ... */
} CONFIG;

extern CONFIG *config_load(const char *, TM_ERROR *);
extern void config_free(CONFIG *);
extern const char *config_action_name(int);

#endif
