/*++
/* NAME
/*	policy 3
/* SUMMARY
/*	what the authentication results allow: small named predicates
/* DESCRIPTION
/*	See policy.h.
/*--*/

/* System library. */
#include <string.h>

/* Global library. */
#include <milter/core/policy.h>

/* policy_sender_authenticated - the From domain is proven */

int     policy_sender_authenticated(const AUTH_RESULTS *results, int duplicate_header)
{
    const AUTH_DMARC *dmarc;

    if (results == NULL || duplicate_header)
	return (0);
    dmarc = &results->dmarc;
    if (dmarc->record)
	return (dmarc->result == AUTH_PASS);
    /* No DMARC record (or no answer): alignment as DMARC would see it. */
    return (dmarc->result == AUTH_NONE && (dmarc->spf_aligned || dmarc->dkim_aligned));
}

/* policy_dkim_vouches - a passing signature of the From domain covers From */

int     policy_dkim_vouches(const AUTH_RESULTS *results, const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;

    if (results == NULL || at == NULL || at[1] == 0)
	return (0);
    for (guint i = 0; i < results->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	if (sig->result == AUTH_PASS && sig->signs_from && !sig->body_length
	    && auth_domains_aligned(sig->domain, at + 1, 1))
	    return (1);
    }
    return (0);
}

/* policy_agent_proof - the proofs a message carries for its From agent */

int     policy_agent_proof(const AUTH_RESULTS *results, const POLICY_CLIENT *client,
			           const char *from_address, const NETLIST *internal_hosts,
			           int duplicate_header)
{
    int     proof = 0;

    if (duplicate_header || from_address == NULL)
	return (0);
    if (client && client->sasl_login && *client->sasl_login)
	proof |= POLICY_PROOF_SASL;
    if (client && netlist_contains(internal_hosts, client->ip))
	proof |= POLICY_PROOF_INTERNAL;
    if (policy_dkim_vouches(results, from_address))
	proof |= POLICY_PROOF_DKIM;
    return (proof);
}
