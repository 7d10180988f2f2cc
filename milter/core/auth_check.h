#ifndef MILTER_AUTH_CHECK_H
#define MILTER_AUTH_CHECK_H

/*++
/* NAME
/*	auth_check 3h
/* SUMMARY
/*	the SPF, DKIM and DMARC pieces behind auth.h
/* SYNOPSIS
/*	#include <milter/core/auth_check.h>
/*
/*	int	auth_spf_init(TM_ERROR *err)
/*	void	auth_spf_check(RESOLVER *resolver, const AUTH_INPUT *input,
/*			       AUTH_SPF *spf)
/*
/*	int	auth_dkim_init(RESOLVER *resolver, TM_ERROR *err)
/*	void	auth_dkim_check(const AUTH_INPUT *input, GPtrArray *sigs)
/*
/*	int	auth_dmarc_init(const char *psl_path, TM_ERROR *err)
/*	void	auth_dmarc_check(RESOLVER *resolver, const AUTH_INPUT *input,
/*				 AUTH_RESULTS *results)
/*	char	*auth_org_domain(const char *domain)
/* DESCRIPTION
/*	One file per library, so that each of libspf2, libopendkim and
/*	libopendmarc stays behind this small interface. Every DNS
/*	question goes to a RESOLVER (milter/util/resolver.h): the checks
/*	are the same whether it asks the name servers or a test's table.
/*
/*	auth_spf_check() fills spf (free its strings with the results),
/*	asking resolver.
/*
/*	auth_dkim_init() starts libopendkim once and makes it ask resolver
/*	(its one library handle serves every thread, so the resolver is
/*	the handle's: call it before any thread verifies).
/*	auth_dkim_check() appends one AUTH_DKIM per signature to sigs.
/*
/*	auth_dmarc_check() fills results->dmarc from the From domain, the
/*	SPF and DKIM results and the DMARC record resolver finds.
/*	auth_org_domain() returns the organizational domain (g_free it), or
/*	NULL for a public suffix or no domain.
/*--*/

/* Utility library. */
#include <milter/util/resolver.h>

/* Global library. */
#include <milter/core/auth.h>

extern int auth_spf_init(TM_ERROR *);
extern void auth_spf_check(RESOLVER *, const AUTH_INPUT *, AUTH_SPF *);

extern int auth_dkim_init(RESOLVER *, TM_ERROR *);
extern void auth_dkim_check(const AUTH_INPUT *, GPtrArray *);

extern int auth_dmarc_init(const char *, TM_ERROR *);
extern void auth_dmarc_check(RESOLVER *, const AUTH_INPUT *, AUTH_RESULTS *);
extern char *auth_org_domain(const char *);

#endif
