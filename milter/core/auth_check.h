#ifndef MILTER_AUTH_CHECK_H
#define MILTER_AUTH_CHECK_H

/*++
/* NAME
/*	auth_check 3h
/* SUMMARY
/*	the SPF, DKIM, DMARC and DNS pieces behind auth.h
/* SYNOPSIS
/*	#include <milter/core/auth_check.h>
/*
/*	int	auth_spf_init(TM_ERROR *err)
/*	void	auth_spf_check(const AUTH_INPUT *input, AUTH_SPF *spf)
/*	void	auth_spf_test_zone(const char *name, const char *txt)
/*
/*	int	auth_dkim_init(int dns_timeout, TM_ERROR *err)
/*	void	auth_dkim_check(const AUTH_INPUT *input, GPtrArray *sigs)
/*	int	auth_dkim_test_keys(const char *path, TM_ERROR *err)
/*
/*	int	auth_dmarc_init(const char *psl_path, TM_ERROR *err)
/*	void	auth_dmarc_check(const AUTH_INPUT *input, AUTH_RESULTS *results)
/*	char	*auth_org_domain(const char *domain)
/*
/*	void	auth_dns_init(int dns_timeout, size_t cache_size)
/*	int	auth_dns_query(const char *name, int type,
/*			       unsigned char *answer, size_t size)
/*
/*	int	auth_dns_txt(const char *name, GPtrArray *texts)
/*	char	*auth_dns_txt_rdata(const unsigned char *rdata, size_t len)
/*
/*	void	auth_dns_test_zone(const char *name, const char *txt)
/*	void	auth_dns_test_server(const char *ip, int port)
/* DESCRIPTION
/*	One file per library, so that each of libspf2, libopendkim and
/*	libopendmarc stays behind this small interface.
/*
/*	auth_spf_check() fills spf (free its strings with the results).
/*	auth_spf_test_zone() is for unit tests: from the first call on,
/*	SPF looks up TXT records in a table of our own instead of the DNS.
/*
/*	auth_dkim_check() appends one AUTH_DKIM per signature to sigs.
/*	auth_dkim_test_keys() is for unit tests: keys come from a file of
/*	"selector._domainkey.domain key-record" lines instead of the DNS.
/*
/*	auth_dmarc_check() fills results->dmarc from the From domain, the
/*	SPF and DKIM results and the DMARC record found in the DNS.
/*	auth_org_domain() returns the organizational domain (g_free it), or
/*	NULL for a public suffix or no domain.
/*
/*	auth_dns_init() bounds each query to dns_timeout seconds in all
/*	(several short attempts, see auth_dns.c) and sizes the answer
/*	cache to cache_size bytes (0: no cache); call it before any
/*	thread asks.
/*
/*	auth_dns_query() asks one question (class IN) and returns the
/*	length of the whole answer in answer, whatever its rcode, or -1
/*	when none came (timeout, no server) or it was truncated: longer
/*	than size, or with the TC flag still set after the TCP retry.
/*	A NOERROR or NXDOMAIN answer may come from the cache (for its
/*	TTL); a failure never does.
/*
/*	auth_dns_txt() appends the TXT records of name to texts (each
/*	record's strings joined) and returns AUTH_DNS_FOUND, AUTH_DNS_NONE
/*	(no such name, or no TXT) or AUTH_DNS_TEMPFAIL (timeout, SERVFAIL).
/*	auth_dns_txt_rdata() joins the character-strings of one TXT record
/*	(g_free the result).
/*
/*	auth_dns_test_zone() is for unit tests: from the first call on,
/*	TXT records come from a table of our own; txt NULL makes the name
/*	fail temporarily.
/*
/*	auth_dns_test_server() is for unit tests: from the first call on,
/*	auth_dns_query() asks this IPv4 server (UDP; TCP goes to
/*	resolv.conf's) instead of the name servers of resolv.conf.
/*--*/

/* Global library. */
#include <milter/core/auth.h>

#define AUTH_DNS_FOUND		0
#define AUTH_DNS_NONE		1
#define AUTH_DNS_TEMPFAIL	2

extern int auth_spf_init(TM_ERROR *);
extern void auth_spf_check(const AUTH_INPUT *, AUTH_SPF *);
extern void auth_spf_test_zone(const char *, const char *);

extern int auth_dkim_init(int, TM_ERROR *);
extern void auth_dkim_check(const AUTH_INPUT *, GPtrArray *);
extern int auth_dkim_test_keys(const char *, TM_ERROR *);

extern int auth_dmarc_init(const char *, TM_ERROR *);
extern void auth_dmarc_check(const AUTH_INPUT *, AUTH_RESULTS *);
extern char *auth_org_domain(const char *);

extern void auth_dns_init(int, size_t);
extern int auth_dns_query(const char *, int, unsigned char *, size_t);
extern int auth_dns_txt(const char *, GPtrArray *);
extern char *auth_dns_txt_rdata(const unsigned char *, size_t);
extern void auth_dns_test_zone(const char *, const char *);
extern void auth_dns_test_server(const char *, int);

#endif
