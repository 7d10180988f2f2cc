/*++
/* NAME
/*	auth 3
/* SUMMARY
/*	who really sent it: SPF, DKIM and DMARC results for one message
/* DESCRIPTION
/*	See auth.h. This file runs the three checks in order (DMARC needs
/*	the other two) and writes their results as an
/*	Authentication-Results value and as JSON.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* Parser library. */
#include <parser/util/json_out.h>

/* Global library. */
#include <milter/core/auth_check.h>

/* Set once by auth_init(), before any thread verifies. */
static RESOLVER *auth_resolver;

static const char *result_names[] = {
    "none", "pass", "fail", "softfail", "neutral", "temperror", "permerror",
};

/* auth_result_name - the RFC 8601 word for a result */

const char *auth_result_name(AUTH_RESULT result)
{
    return (result_names[result]);
}

/* auth_policy_name - the DMARC policy word for p= and sp= letters */

const char *auth_policy_name(char policy)
{
    switch (policy) {
    case 'n':
	return ("none");
    case 'q':
	return ("quarantine");
    case 'r':
	return ("reject");
    default:
	return (NULL);
    }
}

/* auth_init - the resolver to ask; load the suffix list, start libraries */

int     auth_init(RESOLVER *resolver, const char *psl_path, TM_ERROR *err)
{
    /* Every library asks this resolver, nothing else. */
    auth_resolver = resolver;
    if (auth_spf_init(err) < 0 || auth_dkim_init(resolver, err) < 0
	|| auth_dmarc_init(psl_path, err) < 0)
	return (-1);
    return (0);
}

/* auth_verify - SPF, DKIM, then DMARC for one message */

AUTH_RESULTS *auth_verify(const AUTH_INPUT *input)
{
    AUTH_RESULTS *results = g_new0(AUTH_RESULTS, 1);

    results->dkim = g_ptr_array_new();
    auth_spf_check(auth_resolver, input, &results->spf);
    if (input->raw && input->raw_len)
	auth_dkim_check(input, results->dkim);
    auth_dmarc_check(auth_resolver, input, results);
    return (results);
}

/* auth_results_free - release the results */

void    auth_results_free(AUTH_RESULTS *results)
{
    if (results == NULL)
	return;
    g_free(results->spf.identity);
    g_free(results->spf.domain);
    g_free(results->spf.reason);
    for (guint i = 0; i < results->dkim->len; i++) {
	AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	g_free(sig->domain);
	g_free(sig->selector);
	g_free(sig->b_prefix);
	g_free(sig->reason);
	g_free(sig);
    }
    g_ptr_array_free(results->dkim, TRUE);
    g_free(results->dmarc.from_domain);
    g_free(results->dmarc.record_domain);
    g_free(results->dmarc.reason);
    g_free(results);
}

/* append_value - a property value: as is when safe, else quoted */

static void append_value(GString *out, const char *value)
{
    const char *p;

    for (p = value; *p; p++)
	if (!g_ascii_isalnum(*p) && strchr("!#$%&'*+-/=?^_`{|}~.@", *p) == NULL)
	    break;
    if (*p == 0 && *value) {
	g_string_append(out, value);
	return;
    }
    g_string_append_c(out, '"');
    for (p = value; *p; p++) {
	if (*p == '"' || *p == '\\')
	    g_string_append_c(out, '\\');
	g_string_append_c(out, (*p < 0x20 || *p >= 0x7f) ? '?' : *p);
    }
    g_string_append_c(out, '"');
}

/* append_comment - " (text)", cleaned of what would end a comment */

static void append_comment(GString *out, const char *text)
{
    size_t  n = 0;

    if (text == NULL || *text == 0)
	return;
    g_string_append(out, " (");
    for (const char *p = text; *p && n < 160; p++, n++) {
	if (*p == '(' || *p == ')' || *p == '\\')
	    continue;
	g_string_append_c(out, (*p < 0x20 || *p >= 0x7f) ? '?' : *p);
    }
    g_string_append_c(out, ')');
}

/* append_method - ";\n\tmethod=result" and a reason */

static void append_method(GString *out, const char *method, AUTH_RESULT result,
			          const char *reason)
{
    g_string_append_printf(out, ";\n\t%s=%s", method, auth_result_name(result));
    append_comment(out, reason);
}

/* append_property - " ptype.property=value" */

static void append_property(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, " %s=", name);
    append_value(out, value);
}

/* auth_results_header - the Authentication-Results value (RFC 8601) */

char   *auth_results_header(const AUTH_RESULTS *results, const char *authserv_id)
{
    GString *out = g_string_new(NULL);
    const AUTH_DMARC *dmarc = &results->dmarc;

    append_value(out, authserv_id);
    append_method(out, "spf", results->spf.result, results->spf.reason);
    if (results->spf.identity && *results->spf.identity)
	append_property(out, strcmp(results->spf.scope, "helo") == 0
			? "smtp.helo" : "smtp.mailfrom", results->spf.identity);
    if (results->dkim->len == 0)
	append_method(out, "dkim", AUTH_NONE, NULL);
    for (guint i = 0; i < results->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	append_method(out, "dkim", sig->result, sig->reason);
	append_property(out, "header.d", sig->domain);
	append_property(out, "header.s", sig->selector);
	if (*sig->b_prefix)
	    append_property(out, "header.b", sig->b_prefix);
    }
    g_string_append_printf(out, ";\n\tdmarc=%s", auth_result_name(dmarc->result));
    if (dmarc->record)
	g_string_append_printf(out, " (p=%s%s dis=%s)", auth_policy_name(dmarc->policy),
			       dmarc->subdomain_policy ? " from sp" : "",
			       auth_policy_name(dmarc->disposition));
    else
	append_comment(out, dmarc->reason);
    if (dmarc->from_domain)
	append_property(out, "header.from", dmarc->from_domain);
    return (g_string_free(out, FALSE));
}

/* add_dkim - the "dkim" array: one object per signature */

static void add_dkim(JSON_OUT *out, const GPtrArray *sigs)
{
    json_out_open(out, "dkim", '[');
    for (guint i = 0; i < sigs->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(sigs, i);

	json_out_open(out, NULL, '{');
	json_out_string(out, "result", auth_result_name(sig->result));
	json_out_string(out, "domain", sig->domain);
	json_out_string(out, "selector", sig->selector);
	json_out_string(out, "reason", sig->reason);
	json_out_close(out, '}');
    }
    json_out_close(out, ']');
}

/* add_dmarc - the "dmarc" object */

static void add_dmarc(JSON_OUT *out, const AUTH_DMARC *dmarc)
{
    json_out_open(out, "dmarc", '{');
    json_out_string(out, "result", auth_result_name(dmarc->result));
    json_out_string(out, "from_domain", dmarc->from_domain);
    json_out_string(out, "record_domain", dmarc->record_domain);
    json_out_string(out, "policy", auth_policy_name(dmarc->policy));
    json_out_bool(out, "subdomain_policy", dmarc->subdomain_policy);
    json_out_string(out, "disposition", auth_policy_name(dmarc->disposition));
    json_out_int(out, "pct", dmarc->pct);
    json_out_bool(out, "spf_aligned", dmarc->spf_aligned);
    json_out_bool(out, "dkim_aligned", dmarc->dkim_aligned);
    json_out_string(out, "reason", dmarc->reason);
    json_out_close(out, '}');
}

/* auth_results_json - the results as one JSON object */

char   *auth_results_json(const AUTH_RESULTS *results)
{
    JSON_OUT *out = json_out_new();

    json_out_open(out, NULL, '{');
    json_out_open(out, "spf", '{');
    json_out_string(out, "result", auth_result_name(results->spf.result));
    json_out_string(out, "scope", results->spf.scope);
    json_out_string(out, "identity", results->spf.identity);
    json_out_string(out, "domain", results->spf.domain);
    json_out_string(out, "reason", results->spf.reason);
    json_out_close(out, '}');
    add_dkim(out, results->dkim);
    add_dmarc(out, &results->dmarc);
    json_out_close(out, '}');
    return (json_out_finish(out));
}
