#ifndef MILTER_POLICY_H
#define MILTER_POLICY_H

/*++
/* NAME
/*	policy 3h
/* SUMMARY
/*	what the authentication results allow: small named predicates
/* SYNOPSIS
/*	#include <milter/policy.h>
/*
/*	int	policy_sender_authenticated(const AUTH_RESULTS *results)
/*
/*	int	policy_agent_authenticated(const AUTH_RESULTS *results,
/*					   const POLICY_CLIENT *client,
/*					   const char *agent_address,
/*					   const NETLIST *internal_hosts)
/* DESCRIPTION
/*	policy_sender_authenticated() is true when the From domain is
/*	proven: DMARC passes, or the domain has no DMARC record and SPF or
/*	a DKIM signature passed for an aligned domain. Auto-replies go only
/*	to such senders (unless a queue says otherwise).
/*
/*	policy_agent_authenticated() is true when a message that claims to
/*	come from agent_address may be taken as the agent's: the client
/*	logged in with SASL, or connects from InternalHosts, or a DKIM
/*	signature of the agent's domain (aligned, relaxed) passed. A forged
/*	From alone is never enough. results may be null (not verified).
/*--*/

#include <milter/auth.h>
#include <milter/netlist.h>

/* What the MTA told us about the client. */
typedef struct POLICY_CLIENT {
    const char *ip;			/* client address, or NULL */
    const char *sasl_login;		/* {auth_authen}, or NULL */
} POLICY_CLIENT;

extern int policy_sender_authenticated(const AUTH_RESULTS *);
extern int policy_agent_authenticated(const AUTH_RESULTS *, const POLICY_CLIENT *,
				              const char *, const NETLIST *);

#endif
