/*++
/* NAME
/*	auth_dmarc 3
/* SUMMARY
/*	DMARC (RFC 7489): policy lookup and alignment, behind auth_check.h
/* DESCRIPTION
/*	See auth_check.h. libopendmarc parses the DMARC record; the lookup
/*	is ours (resolver_txt()), so it honours DNSTimeout and tells a
/*	missing record from DNS trouble, and organizational domains come from
/*	libpsl, which applies the Public Suffix List's implicit "*" rule
/*	(libopendmarc's own lookup knows no domain under an unlisted TLD).
/*	The record is looked up at the From domain, then at its
/*	organizational domain, whose sp= then applies.
/*--*/

/* System library. */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

/* External libraries. */
#include <libpsl.h>
#include <opendmarc/dmarc.h>

/* Global library. */
#include <milter/core/auth_check.h>

static psl_ctx_t *psl;

/* auth_dmarc_init - load the Public Suffix List; start libopendmarc */

int     auth_dmarc_init(const char *psl_path, TM_ERROR *err)
{
    OPENDMARC_LIB_T lib;

    if (psl == NULL && (psl = psl_load_file(psl_path)) == NULL)
	return (tm_error(err, "%s: cannot read the Public Suffix List", psl_path));
    memset(&lib, 0, sizeof(lib));
    lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
    if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY)
	return (tm_error(err, "libopendmarc did not start"));
    return (0);
}

/* auth_org_domain - the organizational domain, or NULL */

char   *auth_org_domain(const char *domain)
{
    char   *lower, *org = NULL;
    const char *reg;

    if (domain == NULL || *domain == 0)
	return (NULL);
    lower = g_ascii_strdown(domain, -1);
    if (lower[strlen(lower) - 1] == '.')
	lower[strlen(lower) - 1] = 0;
    if (psl == NULL) {
	/* Before auth_init(): the last two labels. */
	char  **labels = g_strsplit(lower, ".", -1);
	guint   n = g_strv_length(labels);

	if (n >= 2 && *labels[n - 2] && *labels[n - 1])
	    org = g_strconcat(labels[n - 2], ".", labels[n - 1], NULL);
	g_strfreev(labels);
    } else if ((reg = psl_registrable_domain(psl, lower)) != NULL) {
	org = g_strdup(reg);
    }
    g_free(lower);
    return (org);
}

/* auth_domains_aligned - DMARC alignment: strict equal, relaxed same org */

int     auth_domains_aligned(const char *a, const char *b, int strict)
{
    char   *org_a, *org_b;
    int     aligned;

    if (a == NULL || b == NULL || *a == 0 || *b == 0)
	return (0);
    if (g_ascii_strcasecmp(a, b) == 0)
	return (1);
    if (strict)
	return (0);
    org_a = auth_org_domain(a);
    org_b = auth_org_domain(b);
    aligned = org_a && org_b && strcmp(org_a, org_b) == 0;
    g_free(org_a);
    g_free(org_b);
    return (aligned);
}

/* dmarc_record - the one DMARC record at _dmarc.DOMAIN */

static int dmarc_record(RESOLVER *resolver, const char *domain, char **record)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    char   *name = g_strconcat("_dmarc.", domain, NULL);
    int     status = resolver_txt(resolver, name, texts), found = 0;

    *record = NULL;
    for (guint i = 0; status == RESOLVER_FOUND && i < texts->len; i++) {
	const char *text = g_ptr_array_index(texts, i);

	if (g_ascii_strncasecmp(text, "v=DMARC1", 8) == 0
	    && (text[8] == 0 || text[8] == ';' || g_ascii_isspace(text[8]))) {
	    g_free(*record);
	    *record = g_strdup(text);
	    found++;
	}
    }
    /* RFC 7489 6.6.3: more than one record is as good as none. */
    if (found != 1)
	g_clear_pointer(record, g_free);
    g_ptr_array_free(texts, TRUE);
    g_free(name);
    return (status == RESOLVER_TEMPFAIL ? RESOLVER_TEMPFAIL
	    : *record ? RESOLVER_FOUND : RESOLVER_NONE);
}

/* dmarc_find_record - the record for the From domain, or its org domain */

static int dmarc_find_record(RESOLVER *resolver, AUTH_DMARC *dmarc, char **record)
{
    char   *org;
    int     status;

    if ((status = dmarc_record(resolver, dmarc->from_domain, record)) == RESOLVER_FOUND)
	dmarc->record_domain = g_strdup(dmarc->from_domain);
    if (status != RESOLVER_NONE)
	return (status);
    org = auth_org_domain(dmarc->from_domain);
    if (org && strcmp(org, dmarc->from_domain) != 0
	&& (status = dmarc_record(resolver, org, record)) == RESOLVER_FOUND)
	dmarc->record_domain = g_strdup(org);
    g_free(org);
    return (status);
}

/* dmarc_alignment - SPF and DKIM alignment with the From domain */

static void dmarc_alignment(AUTH_RESULTS *results, int strict_spf, int strict_dkim)
{
    AUTH_DMARC *dmarc = &results->dmarc;

    dmarc->spf_aligned = results->spf.result == AUTH_PASS
	&& auth_domains_aligned(results->spf.domain, dmarc->from_domain, strict_spf);
    dmarc->dkim_aligned = 0;
    for (guint i = 0; i < results->dkim->len; i++) {
	AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	if (sig->result == AUTH_PASS
	    && auth_domains_aligned(sig->domain, dmarc->from_domain, strict_dkim))
	    dmarc->dkim_aligned = 1;
    }
}

/* dmarc_aligned_temperror - an aligned check failed for want of DNS */

static int dmarc_aligned_temperror(const AUTH_RESULTS *results, int strict_spf, int strict_dkim)
{
    const char *from = results->dmarc.from_domain;

    if (results->spf.result == AUTH_TEMPERROR
	&& auth_domains_aligned(results->spf.domain, from, strict_spf))
	return (1);
    for (guint i = 0; i < results->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	if (sig->result == AUTH_TEMPERROR && auth_domains_aligned(sig->domain, from, strict_dkim))
	    return (1);
    }
    return (0);
}

/* dmarc_disposition - the policy for this message, pct= sampling applied */

static char dmarc_disposition(const AUTH_DMARC *dmarc)
{
    if (dmarc->result != AUTH_FAIL)
	return (DMARC_RECORD_P_NONE);
    if (dmarc->pct >= 100 || g_random_int_range(0, 100) < dmarc->pct)
	return (dmarc->policy);
    /* RFC 7489 6.6.4: outside the sample, the next policy down. */
    return (dmarc->policy == DMARC_RECORD_P_REJECT ? DMARC_RECORD_P_QUARANTINE
	    : DMARC_RECORD_P_NONE);
}

/* dmarc_apply_record - parse the record; evaluate alignment and policy */

static void dmarc_apply_record(const AUTH_INPUT *input, AUTH_RESULTS *results,
			               const char *record)
{
    AUTH_DMARC *dmarc = &results->dmarc;
    int     v6 = input->client_ip && strchr(input->client_ip, ':');
    DMARC_POLICY_T *pctx;
    int     p = 0, sp = 0, adkim = 0, aspf = 0, pct = 100;

    pctx = opendmarc_policy_connect_init((u_char *) (input->client_ip ? input->client_ip : "0.0.0.0"),
			   v6 ? DMARC_POLICY_IP_TYPE_IPV6 : DMARC_POLICY_IP_TYPE_IPV4);
    if (pctx == NULL
	|| opendmarc_policy_parse_dmarc(pctx, (u_char *) dmarc->record_domain,
					(u_char *) record) != DMARC_PARSE_OKAY) {
	/* RFC 7489 6.6.3: an invalid record is no record. */
	dmarc->result = AUTH_NONE;
	dmarc->reason = g_strdup("invalid DMARC record");
	if (pctx)
	    opendmarc_policy_connect_shutdown(pctx);
	return;
    }
    opendmarc_policy_fetch_p(pctx, &p);
    opendmarc_policy_fetch_sp(pctx, &sp);
    opendmarc_policy_fetch_adkim(pctx, &adkim);
    opendmarc_policy_fetch_aspf(pctx, &aspf);
    opendmarc_policy_fetch_pct(pctx, &pct);
    opendmarc_policy_connect_shutdown(pctx);
    dmarc->record = 1;
    dmarc->pct = pct;
    dmarc->subdomain_policy = strcmp(dmarc->record_domain, dmarc->from_domain) != 0
	&& sp != DMARC_RECORD_P_UNSPECIFIED;
    dmarc->policy = dmarc->subdomain_policy ? sp : p ? p : DMARC_RECORD_P_NONE;
    dmarc_alignment(results, aspf == DMARC_RECORD_A_STRICT, adkim == DMARC_RECORD_A_STRICT);
    if (dmarc->spf_aligned || dmarc->dkim_aligned) {
	dmarc->result = AUTH_PASS;
    } else if (dmarc_aligned_temperror(results, aspf == DMARC_RECORD_A_STRICT,
				       adkim == DMARC_RECORD_A_STRICT)) {
	/* Our DNS failed, not the sender: no policy on a maybe. */
	dmarc->result = AUTH_TEMPERROR;
	dmarc->reason = g_strdup("an aligned SPF or DKIM check failed for want of DNS");
    } else {
	dmarc->result = AUTH_FAIL;
    }
    dmarc->disposition = dmarc_disposition(dmarc);
}

/* auth_dmarc_check - DMARC for the From domain of one message */

void    auth_dmarc_check(RESOLVER *resolver, const AUTH_INPUT *input, AUTH_RESULTS *results)
{
    AUTH_DMARC *dmarc = &results->dmarc;
    char   *record = NULL;

    dmarc->pct = 100;
    dmarc->disposition = DMARC_RECORD_P_NONE;
    if (input->from_domain == NULL || strchr(input->from_domain, '.') == NULL) {
	dmarc->result = AUTH_NONE;
	dmarc->reason = g_strdup("no From domain");
	return;
    }
    dmarc->from_domain = g_ascii_strdown(input->from_domain, -1);
    switch (dmarc_find_record(resolver, dmarc, &record)) {
    case RESOLVER_TEMPFAIL:
	dmarc->result = AUTH_TEMPERROR;
	dmarc->reason = g_strdup("DNS lookup of the DMARC record failed");
	/* Alignment is still worth knowing to the policy layer. */
	dmarc_alignment(results, 0, 0);
	break;
    case RESOLVER_NONE:
	dmarc->result = AUTH_NONE;
	dmarc->reason = g_strdup("no DMARC record");
	dmarc_alignment(results, 0, 0);
	break;
    default:
	dmarc_apply_record(input, results, record);
	break;
    }
    g_free(record);
}
