/*++
/* NAME
/*	policy 3
/* SUMMARY
/*	what the authentication results allow: small named predicates
/* DESCRIPTION
/*	See policy.h.
/*--*/

#include <string.h>

#include <milter/policy.h>

/* policy_sender_authenticated - the From domain is proven */

int     policy_sender_authenticated(const AUTH_RESULTS *results)
{
    const AUTH_DMARC *dmarc;

    if (results == NULL)
	return (0);
    dmarc = &results->dmarc;
    if (dmarc->record)
	return (dmarc->result == AUTH_PASS);
    /* No DMARC record (or no answer): alignment as DMARC would see it. */
    return (dmarc->result == AUTH_NONE && (dmarc->spf_aligned || dmarc->dkim_aligned));
}

/* dkim_pass_for - a DKIM signature passed for a domain aligned with addr */

static int dkim_pass_for(const AUTH_RESULTS *results, const char *address)
{
    const char *at = address ? strrchr(address, '@') : NULL;

    if (results == NULL || at == NULL || at[1] == 0)
	return (0);
    for (guint i = 0; i < results->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	if (sig->result == AUTH_PASS && auth_domains_aligned(sig->domain, at + 1, 0))
	    return (1);
    }
    return (0);
}

/* policy_agent_authenticated - the message may be taken as the agent's */

int     policy_agent_authenticated(const AUTH_RESULTS *results, const POLICY_CLIENT *client,
				           const char *agent_address,
				           const NETLIST *internal_hosts)
{
    if (client && client->sasl_login && *client->sasl_login)
	return (1);
    if (client && netlist_contains(internal_hosts, client->ip))
	return (1);
    return (dkim_pass_for(results, agent_address));
}
