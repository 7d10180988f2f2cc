/*++
/* NAME
/*	authres 3
/* SUMMARY
/*	our Authentication-Results header: forged ones out, ours in
/* DESCRIPTION
/*	See authres.h. The per-message state lives in the SESSION
/*	(ar_count, ar_forged), which session_reset_message() clears.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Global library. */
#include <milter/core/policy.h>

/* Application-specific. */
#include <milter/daemon/authres.h>

/* authres_init - start the verification libraries, or give up */

void    authres_init(const CONFIG *config)
{
    TM_ERROR err;

    /* The one place the daemon chooses a resolver: the name servers. */
    if (config->verify_senders
	&& auth_init(resolver_dns_new(config->dns_timeout, config->dns_cache_size),
		     config->public_suffix_list, &err) < 0)
	msg_fatal("cannot verify senders: %s (set VerifySenders no to run without)", err.text);
}

/* skip_cfws - past spaces and (nested) comments */

static const char *skip_cfws(const char *p)
{
    int     depth = 0;

    for (; *p; p++) {
	if (depth == 0 && !g_ascii_isspace(*p) && *p != '(')
	    break;
	if (*p == '\\' && depth && p[1])
	    p++;
	else if (*p == '(')
	    depth++;
	else if (*p == ')' && depth)
	    depth--;
    }
    return (p);
}

/* authres_claims_id - the field names our authserv-id */

int     authres_claims_id(const char *value, const char *authserv_id)
{
    const char *p = skip_cfws(value), *end;
    size_t  len = strlen(authserv_id);

    if (*p == '"')
	p++;
    end = p + strcspn(p, "\"/; \t\r\n(");
    return ((size_t) (end - p) == len && g_ascii_strncasecmp(p, authserv_id, len) == 0);
}

/* authres_note_header - count A-R fields, remember the forged ones */

void    authres_note_header(SESSION *session, const char *authserv_id,
			            const char *name, const char *value)
{
    guint   ordinal;

    if (strcasecmp(name, AUTHRES_NAME) != 0)
	return;
    ordinal = ++session->ar_count;
    if (authres_claims_id(value, authserv_id))
	g_array_append_val(session->ar_forged, ordinal);
}

/* log_results - the details, for debugging (msglog has the summary) */

static void log_results(const char *qid, const AUTH_RESULTS *results)
{
    GString *dkim = g_string_new(NULL);

    for (guint i = 0; i < results->dkim->len; i++) {
	const AUTH_DKIM *sig = g_ptr_array_index(results->dkim, i);

	g_string_append_printf(dkim, "%s%s:%s", i ? "," : "", sig->domain,
			       auth_result_name(sig->result));
    }
    msg_debug("%s: auth: spf=%s (%s %s) dkim=%s dmarc=%s (from %s, p=%s, dis=%s)",
	     qid, auth_result_name(results->spf.result), results->spf.scope,
	     results->spf.identity, dkim->len ? dkim->str : "none",
	     auth_result_name(results->dmarc.result),
	     results->dmarc.from_domain ? results->dmarc.from_domain : "-",
	     auth_policy_name(results->dmarc.policy) ? auth_policy_name(results->dmarc.policy) : "-",
	     auth_policy_name(results->dmarc.disposition));
    g_string_free(dkim, TRUE);
}

/* dmarc_duplicate_from - a second From: DMARC cannot pass (RFC 6376,
 * section 8.15; RFC 7489, section 6.6.1); the policy applies as to a failure */

static void dmarc_duplicate_from(AUTH_DMARC *dmarc)
{
    dmarc->spf_aligned = dmarc->dkim_aligned = 0;
    if (dmarc->result != AUTH_PASS)
	return;
    dmarc->result = AUTH_FAIL;
    dmarc->disposition = dmarc->policy ? dmarc->policy : 'n';
    g_free(dmarc->reason);
    dmarc->reason = g_strdup("more than one From field");
}

/* authres_check - verify the sender; refuse what DMARC says to reject */

sfsistat authres_check(SMFICTX *ctx, const CONFIG *config, SESSION *session,
		               const MAIL *mail, const char *raw, size_t len,
		               AUTH_RESULTS **results)
{
    const char *qid = smfi_getsymval(ctx, "i");
    const char *from = mail_from_address(mail);
    const char *at = from ? strrchr(from, '@') : NULL;
    AUTH_INPUT input = {
	.client_ip = session->client_ip,
	.helo = session->helo,
	.mail_from = session->sender,
	.from_domain = at ? at + 1 : NULL,
	.raw = raw,
	.raw_len = len,
    };
    char    text[300];

    *results = NULL;
    if (!config->verify_senders)
	return (SMFIS_CONTINUE);
    *results = auth_verify(&input);
    /* Only From: a second Subject is odd, not a forged sender. */
    if (session->twice_fields & SESSION_FIELD_FROM)
	dmarc_duplicate_from(&(*results)->dmarc);
    g_free(session->auth_json);
    session->auth_json = auth_results_json(*results);
    session->sender_authenticated = policy_sender_authenticated(*results, session->duplicate_header);
    log_results(qid ? qid : "NOQUEUE", *results);
    if ((*results)->dmarc.disposition != 'r' || config->dmarc_reject_action != ACTION_REJECT)
	return (SMFIS_CONTINUE);
    msg_info("%s: rejected: DMARC policy of %s is reject and the message failed it",
	     qid ? qid : "NOQUEUE", (*results)->dmarc.from_domain);
    snprintf(text, sizeof(text), "Message rejected: the DMARC policy of %.200s says reject, "
	     "and neither SPF nor DKIM proved the sender", (*results)->dmarc.from_domain);
    smfi_setreply(ctx, "550", "5.7.1", text);
    auth_results_free(*results);
    *results = NULL;
    return (SMFIS_REJECT);
}

/* authres_apply - delete the forged fields, last first; add ours on top */

void    authres_apply(SMFICTX *ctx, const CONFIG *config, const SESSION *session,
		              const AUTH_RESULTS *results)
{
    char   *value, *text;

    if (results == NULL)
	return;
    for (guint i = session->ar_forged->len; i > 0; i--) {
	guint   ordinal = g_array_index(session->ar_forged, guint, i - 1);

	if (smfi_chgheader(ctx, AUTHRES_NAME, (int) ordinal, NULL) != MI_SUCCESS)
	    msg_warn("cannot remove forged %s header #%u", AUTHRES_NAME, ordinal);
    }
    value = auth_results_header(results, config->authserv_id);
    text = session_header_value(session, value);
    if (smfi_insheader(ctx, 0, AUTHRES_NAME, text) != MI_SUCCESS)
	msg_warn("cannot add the %s header", AUTHRES_NAME);
    g_free(text);
    g_free(value);
}
