/*++
/* NAME
/*	auth_dkim 3
/* SUMMARY
/*	DKIM (RFC 6376) with libopendkim, behind auth_check.h
/* DESCRIPTION
/*	See auth_check.h. One library handle serves every thread, as
/*	libopendkim allows; each message has a verifying handle of its
/*	own. Every signature is verified (not only the first), with body
/*	lengths (l=) and canonicalization as the library does them; each
/*	result says whether h= covers From and whether l= was used, which
/*	policy_dkim_vouches() needs. libopendkim asks the RESOLVER given
/*	to auth_dkim_init() (its query service): the same answers, parsed
/*	by the same code, whether the DNS backend or a test's table
/*	answers. libopendkim's own ways (its resolver stub; DKIM_QUERY_FILE
/*	or a key lookup callback, which skip its parsing of the DNS
/*	answer) are not used.
/*--*/

/* System library. */
#include <sys/types.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* External libraries. */
#include <opendkim/dkim.h>

/* Global library. */
#include <milter/core/auth_check.h>

/* Set once by auth_dkim_init(), before any thread verifies. */
static DKIM_LIB *dkim_lib;
static RESOLVER *dkim_resolver;

/* A query of libopendkim's, answered before it asks for the answer. */
typedef struct DKIM_QUERY {
    int     error;
    size_t  len;
} DKIM_QUERY;

/* dkim_query_start - ask the resolver (the query service) now */

static int dkim_query_start(void *service, int type, unsigned char *name,
			            unsigned char *buf, size_t size, void **handle)
{
    DKIM_QUERY *query = g_new0(DKIM_QUERY, 1);
    int     len = resolver_query(service, (const char *) name, type, buf, size);

    query->error = len < 0 ? ETIMEDOUT : 0;
    query->len = len < 0 ? 0 : (size_t) len;
    *handle = query;
    return (DKIM_DNS_SUCCESS);
}

/* dkim_query_wait - the answer is there already: no wait, no timeout */

static int dkim_query_wait(void *service, void *handle, struct timeval *timeout,
			           size_t *bytes, int *error, int *dnssec)
{
    DKIM_QUERY *query = handle;

    if (bytes)
	*bytes = query->len;
    if (error)
	*error = query->error;
    if (dnssec)
	*dnssec = DKIM_DNSSEC_UNKNOWN;
    return (DKIM_DNS_SUCCESS);
}

/* dkim_query_cancel - forget a query */

static int dkim_query_cancel(void *service, void *handle)
{
    g_free(handle);
    return (0);
}

/* auth_dkim_init - start the library; it asks resolver */

int     auth_dkim_init(RESOLVER *resolver, TM_ERROR *err)
{
    if (dkim_lib == NULL && (dkim_lib = dkim_init(NULL, NULL)) == NULL)
	return (tm_error(err, "libopendkim did not start"));
    dkim_resolver = resolver;
    /* A service set: libopendkim does not start its own resolver stub. */
    (void) dkim_dns_set_query_service(dkim_lib, resolver);
    dkim_dns_set_query_start(dkim_lib, dkim_query_start);
    dkim_dns_set_query_waitreply(dkim_lib, dkim_query_wait);
    dkim_dns_set_query_cancel(dkim_lib, dkim_query_cancel);
    return (0);
}

/* key_lookup_result - why libopendkim found no key: none, or DNS trouble */

static AUTH_RESULT key_lookup_result(DKIM_SIGINFO *sig, const char **reason)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    char   *name = g_strdup_printf("%s._domainkey.%s", dkim_sig_getselector(sig),
				   dkim_sig_getdomain(sig));
    int     status = resolver_txt(dkim_resolver, name, texts);

    g_ptr_array_free(texts, TRUE);
    g_free(name);
    /*
     * libopendkim says NOKEY for any answer without records, SERVFAIL
     * included, and KEYFAIL when none came: the resolver tells which.
     */
    if (status == RESOLVER_NONE) {
	*reason = "no key";
	return (AUTH_PERMERROR);
    }
    *reason = "key not retrieved";
    return (AUTH_TEMPERROR);
}

/* sig_result - the RFC 8601 result of one signature, and why */

static AUTH_RESULT sig_result(DKIM_SIGINFO *sig, const char **reason)
{
    int     error = dkim_sig_geterror(sig);

    *reason = NULL;
    if (DKIM_SIG_CHECK(sig))
	return (AUTH_PASS);
    if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
	*reason = "body hash mismatch";
	return (AUTH_FAIL);
    }
    switch (error) {
    case DKIM_SIGERROR_KEYFAIL:
    case DKIM_SIGERROR_NOKEY:
	return (key_lookup_result(sig, reason));
    case DKIM_SIGERROR_DNSSYNTAX:
	*reason = "key record unreadable";
	return (AUTH_PERMERROR);
    case DKIM_SIGERROR_KEYREVOKED:
	/* The domain published an empty key: it disowns the signature. */
	*reason = "key revoked";
	return (AUTH_FAIL);
    case DKIM_SIGERROR_BADSIG:
	*reason = "signature mismatch";
	return (AUTH_FAIL);
    case DKIM_SIGERROR_OK:
    case DKIM_SIGERROR_UNKNOWN:
	if ((dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) == 0) {
	    *reason = "not verified";
	    return (AUTH_PERMERROR);
	}
	*reason = "signature mismatch";
	return (AUTH_FAIL);
    default:
	*reason = dkim_sig_geterrorstr(error);
	return (AUTH_PERMERROR);
    }
}

/* sig_b_prefix - the first 8 characters of b=, to tell signatures apart */

static char *sig_b_prefix(DKIM_SIGINFO *sig)
{
    const u_char *b = dkim_sig_gettagvalue(sig, false, (u_char *) "b");
    GString *prefix = g_string_new(NULL);

    for (; b && *b && prefix->len < 8; b++)
	if (g_ascii_isalnum(*b) || *b == '+' || *b == '/')
	    g_string_append_c(prefix, *b);
    return (g_string_free(prefix, FALSE));
}

/* sig_signs_from - h= names From (RFC 6376: colon-separated, any case) */

static int sig_signs_from(DKIM_SIGINFO *sig)
{
    const u_char *h = dkim_sig_gettagvalue(sig, false, (u_char *) "h");
    char  **names;
    int     found = 0;

    if (h == NULL)
	return (0);
    names = g_strsplit((const char *) h, ":", -1);
    for (char **n = names; *n && !found; n++)
	found = g_ascii_strcasecmp(g_strstrip(*n), "from") == 0;
    g_strfreev(names);
    return (found);
}

/* add_sig - one AUTH_DKIM for one signature */

static void add_sig(GPtrArray *sigs, DKIM_SIGINFO *sig)
{
    AUTH_DKIM *one = g_new0(AUTH_DKIM, 1);
    const u_char *domain = dkim_sig_getdomain(sig);
    const u_char *selector = dkim_sig_getselector(sig);
    const char *reason;

    one->result = sig_result(sig, &reason);
    one->domain = g_ascii_strdown(domain ? (const char *) domain : "", -1);
    one->selector = g_strdup(selector ? (const char *) selector : "");
    one->b_prefix = sig_b_prefix(sig);
    one->reason = g_strdup(reason);
    one->signs_from = sig_signs_from(sig);
    one->body_length = dkim_sig_gettagvalue(sig, false, (u_char *) "l") != NULL;
    g_ptr_array_add(sigs, one);
}

/* auth_dkim_check - verify every signature of one message */

void    auth_dkim_check(const AUTH_INPUT *input, GPtrArray *sigs)
{
    DKIM_STAT status;
    DKIM   *dkim;
    DKIM_SIGINFO **list = NULL;
    int     count = 0;

    if (dkim_lib == NULL || (dkim = dkim_verify(dkim_lib, (const u_char *) "auth", NULL,
						&status)) == NULL)
	return;
    status = dkim_chunk(dkim, (u_char *) input->raw, input->raw_len);
    if (status == DKIM_STAT_OK)
	status = dkim_chunk(dkim, NULL, 0);
    if (status == DKIM_STAT_OK)
	(void) dkim_eom(dkim, NULL);
    if (status != DKIM_STAT_NOSIG
	&& dkim_getsiglist(dkim, &list, &count) == DKIM_STAT_OK)
	for (int i = 0; i < count; i++)
	    add_sig(sigs, list[i]);
    dkim_free(dkim);
}
