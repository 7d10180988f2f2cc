#ifndef MILTER_POLICY_H
#define MILTER_POLICY_H

/*++
/* NAME
/*	policy 3h
/* SUMMARY
/*	what the authentication results allow: small named predicates
/* SYNOPSIS
/*	#include <milter/core/policy.h>
/*
/*	int	policy_sender_authenticated(const AUTH_RESULTS *results,
/*					    int duplicate_header)
/*
/*	int	policy_agent_proof(const AUTH_RESULTS *results,
/*				   const POLICY_CLIENT *client,
/*				   const char *from_address,
/*				   const NETLIST *internal_hosts,
/*				   int duplicate_header)
/*
/*	int	policy_dkim_vouches(const AUTH_RESULTS *results,
/*				    const char *from_address)
/* DESCRIPTION
/*	duplicate_header is nonzero when the message has a second From (or
/*	another field that must appear once: the parser's
/*	MAIL_DEFECT_DUPLICATE_HEADER, or the MTA showed two From fields).
/*	DKIM signs the last instance of a field, readers show the first:
/*	such a message proves nothing (RFC 6376, section 8.15).
/*
/*	policy_sender_authenticated() is true when the From domain is
/*	proven: DMARC passes, or the domain has no DMARC record and SPF or
/*	a DKIM signature passed for an aligned domain; never with a
/*	duplicate header. Auto-replies go only to such senders (unless a
/*	queue says otherwise).
/*
/*	policy_agent_proof() says which proofs a message claiming to come
/*	from from_address carries, as POLICY_PROOF_* bits: SASL (the
/*	client logged in: which login, and whether it is bound to that
/*	agent, is decided by the database, message_kind() in
/*	sql/functions/agent_reply.sql), INTERNAL (the client is in
/*	InternalHosts: a separate, documented trust decision) and DKIM
/*	(policy_dkim_vouches()). With a duplicate header it is 0. A From
/*	header alone is never a proof. results may be null (not verified).
/*
/*	policy_dkim_vouches() is true when a passing DKIM signature
/*	vouches for the From mailbox itself: its d= equals the From
/*	domain (strict alignment: a sibling subdomain of the same
/*	organization cannot speak for an agent), its h= covers From, and
/*	it has no l= (body length), which would let anyone append to a
/*	signed body.
/*--*/

/* Utility library. */
#include <milter/util/netlist.h>

/* Global library. */
#include <milter/core/auth.h>

/* What the MTA told us about the client. */
typedef struct POLICY_CLIENT {
    const char *ip;			/* client address, or NULL */
    const char *sasl_login;		/* {auth_authen}, or NULL */
} POLICY_CLIENT;

#define POLICY_PROOF_SASL	(1<<0)	/* logged in with SASL */
#define POLICY_PROOF_INTERNAL	(1<<1)	/* client in InternalHosts */
#define POLICY_PROOF_DKIM	(1<<2)	/* a signature vouches for From */

extern int policy_sender_authenticated(const AUTH_RESULTS *, int);
extern int policy_agent_proof(const AUTH_RESULTS *, const POLICY_CLIENT *,
			              const char *, const NETLIST *, int);
extern int policy_dkim_vouches(const AUTH_RESULTS *, const char *);

#endif
