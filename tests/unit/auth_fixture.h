/* auth_fixture - results objects for the auth unit tests */

#include <glib.h>
#include <milter/core/auth.h>

/* auth_fixture_results - results with one SPF and up to one DKIM outcome */

static inline AUTH_RESULTS *auth_fixture_results(AUTH_RESULT spf, const char *spf_domain,
					                 AUTH_RESULT dkim, const char *dkim_domain)
{
    AUTH_RESULTS *r = g_new0(AUTH_RESULTS, 1);

    r->dkim = g_ptr_array_new();
    r->spf.result = spf;
    r->spf.scope = "mailfrom";
    r->spf.identity = g_strconcat("bounce@", spf_domain, NULL);
    r->spf.domain = g_strdup(spf_domain);
    if (dkim_domain) {
	AUTH_DKIM *sig = g_new0(AUTH_DKIM, 1);

	sig->result = dkim;
	sig->domain = g_strdup(dkim_domain);
	sig->selector = g_strdup("sel");
	sig->b_prefix = g_strdup("AbCd0123");
	g_ptr_array_add(r->dkim, sig);
    }
    return (r);
}
