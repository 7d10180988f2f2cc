#ifndef MILTER_AUTHRES_H
#define MILTER_AUTHRES_H

/*++
/* NAME
/*	authres 3h
/* SUMMARY
/*	our Authentication-Results header: forged ones out, ours in
/* SYNOPSIS
/*	#include <milter/daemon/authres.h>
/*
/*	void	authres_init(const CONFIG *config)
/*
/*	int	authres_claims_id(const char *value, const char *authserv_id)
/*
/*	void	authres_note_header(SESSION *session, const char *authserv_id,
/*				    const char *name, const char *value)
/*
/*	sfsistat authres_check(SMFICTX *ctx, const CONFIG *config,
/*			       SESSION *session, const MAIL *mail,
/*			       const char *raw, size_t len,
/*			       AUTH_RESULTS **results)
/*
/*	void	authres_apply(SMFICTX *ctx, const CONFIG *config,
/*			      const SESSION *session,
/*			      const AUTH_RESULTS *results)
/* DESCRIPTION
/*	An Authentication-Results field that names our authserv-id and
/*	did not come from us is forged (RFC 8601 section 5) and is removed.
/*
/*	authres_init() starts the verification libraries (auth_init()),
/*	asking the name servers of resolv.conf (resolver_dns_new(), with
/*	DNSTimeout and DNSCacheSize: the daemon has no other resolver),
/*	and must run before libmilter starts threads.
/*
/*	authres_claims_id() tells whether a field value claims authserv_id:
/*	the first word after comments and spaces, without quotes and
/*	without a /suffix, compared case-insensitively. A value we cannot
/*	parse further still claims it by its first word.
/*
/*	authres_note_header() is called for every header field: it counts
/*	the Authentication-Results fields and remembers the ordinals (1-
/*	based among fields of that name) of the forged ones.
/*
/*	authres_check() runs at end of message, before the message is
/*	stored: unless VerifySenders is off, it verifies the message
/*	(auth_verify()), logs the results, sets session->auth_json for the
/*	database and *results for authres_apply(). It returns SMFIS_REJECT
/*	with a 550 5.7.1 reply when the From domain's DMARC policy says
/*	reject, the message failed, and DmarcRejectAction is reject; else
/*	SMFIS_CONTINUE. *results is NULL when nothing was verified.
/*
/*	authres_apply() runs after the message was stored: it deletes the
/*	forged fields in descending order (so that deleting one does not
/*	shift the ordinals of the rest, the mistake behind CVE-2022-48521),
/*	then inserts ours at the top. Nothing changes when results is NULL.
/* DIAGNOSTICS
/*	authres_init() ends the program with a clear text when a library
/*	or the Public Suffix List cannot be loaded. authres_apply() logs
/*	what the MTA refused.
/*--*/

/* External libraries. */
#include <libmilter/mfapi.h>

/* Parser library. */
#include <parser/mail.h>

/* Global library. */
#include <milter/core/auth.h>
#include <milter/core/config.h>

/* Application-specific. */
#include <milter/daemon/session.h>

#define AUTHRES_NAME	"Authentication-Results"

extern void authres_init(const CONFIG *);
extern int authres_claims_id(const char *, const char *);
extern void authres_note_header(SESSION *, const char *, const char *, const char *);
extern sfsistat authres_check(SMFICTX *, const CONFIG *, SESSION *, const MAIL *,
			               const char *, size_t, AUTH_RESULTS **);
extern void authres_apply(SMFICTX *, const CONFIG *, const SESSION *, const AUTH_RESULTS *);

#endif
