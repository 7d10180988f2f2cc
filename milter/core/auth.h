#ifndef MILTER_AUTH_H
#define MILTER_AUTH_H

/*++
/* NAME
/*	auth 3h
/* SUMMARY
/*	who really sent it: SPF, DKIM and DMARC results for one message
/* SYNOPSIS
/*	#include <milter/core/auth.h>
/*
/*	int	auth_init(RESOLVER *resolver, const char *psl_path,
/*			  TM_ERROR *err)
/*
/*	AUTH_RESULTS *auth_verify(const AUTH_INPUT *input)
/*
/*	void	auth_results_free(AUTH_RESULTS *results)
/*
/*	char	*auth_results_header(const AUTH_RESULTS *results,
/*				     const char *authserv_id)
/*
/*	char	*auth_results_json(const AUTH_RESULTS *results)
/*
/*	const char *auth_result_name(AUTH_RESULT result)
/*
/*	int	auth_domains_aligned(const char *a, const char *b, int strict)
/* DESCRIPTION
/*	This module knows nothing of libmilter or libpq: it takes what the
/*	MTA told us (client IP, HELO, MAIL FROM), the header From domain
/*	and the raw message bytes (CRLF line ends), and returns what the
/*	DNS says about them.
/*
/*	auth_init() is called once, before any thread starts: every DNS
/*	question of the checks (libspf2's, libopendkim's and our own) goes
/*	to resolver from then on, which must outlive the checks. The
/*	daemon gives the DNS backend (resolver_dns_new(), with DNSTimeout
/*	and DNSCacheSize), unit tests a table (resolver_table_new()). It
/*	loads the Public Suffix List from psl_path, which defines
/*	organizational domains.
/*
/*	auth_verify() evaluates SPF (RFC 7208) for the MAIL FROM identity,
/*	or for the HELO identity when MAIL FROM is null; verifies every
/*	DKIM signature (RFC 6376); and evaluates DMARC (RFC 7489) for the
/*	From domain, with the organizational domain's policy and its sp=
/*	for subdomains. DNS trouble gives temperror results, never a
/*	failure of the call.
/*
/*	auth_results_header() formats the value of one
/*	Authentication-Results header field (RFC 8601), without leading
/*	space; values that came from the message are quoted or cleaned,
/*	so the text can never hold a CR, LF or a foreign method.
/*	auth_results_json() gives the same results as a JSON object (see
/*	README.md, "Authentication"). Both return g_malloc()ed text.
/*
/*	auth_domains_aligned() compares two domains as DMARC does: equal
/*	(strict), or with the same organizational domain (relaxed).
/* DIAGNOSTICS
/*	auth_init() returns -1 and fills err when the Public Suffix List
/*	cannot be read or a library does not start.
/*--*/

/* System library. */
#include <stddef.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>
#include <milter/util/resolver.h>

/* RFC 8601 result words; not every method uses all of them. */
typedef enum AUTH_RESULT {
    AUTH_NONE, AUTH_PASS, AUTH_FAIL, AUTH_SOFTFAIL, AUTH_NEUTRAL,
    AUTH_TEMPERROR, AUTH_PERMERROR,
} AUTH_RESULT;

typedef struct AUTH_INPUT {
    const char *client_ip;		/* NULL when unknown */
    const char *helo;			/* NULL when not given */
    const char *mail_from;		/* envelope sender, "" for <> */
    const char *from_domain;		/* header From domain, or NULL */
    const char *raw;			/* header and body, CRLF */
    size_t  raw_len;
} AUTH_INPUT;

typedef struct AUTH_SPF {
    AUTH_RESULT result;
    const char *scope;			/* "mailfrom" or "helo" (static) */
    char   *identity;			/* the address or HELO name checked */
    char   *domain;			/* its domain: what DMARC aligns */
    char   *reason;			/* a human text, or NULL */
} AUTH_SPF;

typedef struct AUTH_DKIM {
    AUTH_RESULT result;
    char   *domain;			/* d= */
    char   *selector;			/* s= */
    char   *b_prefix;			/* first characters of b=, RFC 6008 */
    char   *reason;			/* why not pass, or NULL */
    int     signs_from;			/* h= lists From */
    int     body_length;		/* l= limits the signed body */
} AUTH_DKIM;

typedef struct AUTH_DMARC {
    AUTH_RESULT result;			/* pass, fail, none, temperror, permerror */
    char   *from_domain;		/* header From domain, or NULL */
    char   *record_domain;		/* where the record was found, or NULL */
    int     record;			/* a DMARC record applies */
    char    policy;			/* 'n', 'q', 'r' (p= or sp=), 0 without record */
    int     subdomain_policy;		/* policy came from sp= */
    int     pct;			/* pct=, 100 when absent */
    char    disposition;		/* what the policy asks of this message:
					 * 'q' or 'r' for a sampled failure,
					 * else 'n' */
    int     spf_aligned;		/* SPF passed for an aligned domain */
    int     dkim_aligned;		/* a DKIM pass for an aligned domain */
    char   *reason;			/* a human text, or NULL */
} AUTH_DMARC;

typedef struct AUTH_RESULTS {
    AUTH_SPF spf;
    GPtrArray *dkim;			/* AUTH_DKIM *, one per signature */
    AUTH_DMARC dmarc;
} AUTH_RESULTS;

extern int auth_init(RESOLVER *, const char *, TM_ERROR *);
extern AUTH_RESULTS *auth_verify(const AUTH_INPUT *);
extern void auth_results_free(AUTH_RESULTS *);
extern char *auth_results_header(const AUTH_RESULTS *, const char *);
extern char *auth_results_json(const AUTH_RESULTS *);
extern const char *auth_result_name(AUTH_RESULT);
extern const char *auth_policy_name(char);
extern int auth_domains_aligned(const char *, const char *, int);

#endif
