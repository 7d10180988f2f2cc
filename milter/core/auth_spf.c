/*++
/* NAME
/*	auth_spf 3
/* SUMMARY
/*	SPF (RFC 7208) with libspf2, behind auth_check.h
/* DESCRIPTION
/*	See auth_check.h. libspf2 is old and has had security bugs, so
/*	nothing but this file includes it, and what it returns is copied
/*	into our own strings at once. Each check has a server object of
/*	its own (libmilter runs one thread per connection), and a DNS
/*	layer of its own (libspf2's SPF_dns_server_t, its hook the
/*	RESOLVER) that asks the resolver it is given: in the daemon the
/*	DNS backend (short attempts, each query bounded by DNSTimeout,
/*	answers cached for their TTL and failures never), in unit tests a
/*	table. libspf2's own cache keeps a SERVFAIL for 30 minutes, so it
/*	is not used; its own resolv layer takes its timeouts from the
/*	resolver configuration that the process loaded first, which
/*	DNSTimeout could not change; its zone layer would answer SPF's
/*	questions only, not DKIM's and DMARC's.
/*--*/

/* System library. */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <string.h>

/* External libraries. */
#include <spf2/spf.h>

/* Global library. */
#include <milter/core/auth_check.h>

/* spf_quiet - libspf2's warnings and notes go to our debug log */

static void spf_quiet(const char *file, int line, const char *text)
{
    msg_debug("libspf2: %s", text ? text : "");
}

/* spf_dns_rdata - copy one answer record into libspf2's RR set */

static int spf_dns_rdata(SPF_dns_rr_t *set, int n, const ns_msg *msg, const ns_rr *rr)
{
    const unsigned char *rdata = ns_rr_rdata(*rr);
    size_t  len = ns_rr_rdlen(*rr);
    char    name[NS_MAXDNAME], *text;

    switch (ns_rr_type(*rr)) {
    case ns_t_a:
	if (len != 4 || SPF_dns_rr_buf_realloc(set, n, sizeof(struct in_addr)) != SPF_E_SUCCESS)
	    return (-1);
	memcpy(&set->rr[n]->a, rdata, 4);
	return (0);
    case ns_t_aaaa:
	if (len != 16 || SPF_dns_rr_buf_realloc(set, n, sizeof(struct in6_addr)) != SPF_E_SUCCESS)
	    return (-1);
	memcpy(&set->rr[n]->aaaa, rdata, 16);
	return (0);
    case ns_t_txt:
	text = resolver_txt_rdata(rdata, len);
	break;
    case ns_t_mx:
	if (len < 3 || ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rdata + 2,
					  name, sizeof(name)) < 0)
	    return (-1);
	text = g_strdup(name);
	break;
    case ns_t_ptr:
	if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rdata, name, sizeof(name)) < 0)
	    return (-1);
	text = g_strdup(name);
	break;
    default:
	return (-1);
    }
    if (SPF_dns_rr_buf_realloc(set, n, strlen(text) + 1) != SPF_E_SUCCESS) {
	g_free(text);
	return (-1);
    }
    /* The union's txt, mx and ptr members share one buffer. */
    memcpy(set->rr[n]->txt, text, strlen(text) + 1);
    g_free(text);
    return (0);
}

/* spf_dns_lookup - libspf2 asks the layer's resolver */

static SPF_dns_rr_t *spf_dns_lookup(SPF_dns_server_t *layer, const char *domain,
				            ns_type type, int should_cache)
{
    unsigned char answer[8192];
    SPF_dns_rr_t *set;
    ns_msg  msg;
    ns_rr   rr;
    int     len, n = 0;

    if ((len = resolver_query(layer->hook, domain, type, answer, sizeof(answer))) < 0
	|| ns_initparse(answer, len, &msg) < 0)
	return (SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN));
    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
	break;
    case ns_r_nxdomain:
	return (SPF_dns_rr_new_init(layer, domain, type, 0, HOST_NOT_FOUND));
    default:
	return (SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN));
    }
    set = SPF_dns_rr_new_init(layer, domain, type, 0, NETDB_SUCCESS);
    for (int i = 0; set && i < ns_msg_count(msg, ns_s_an); i++) {
	/* CNAMEs on the way are followed by the server; keep the answers. */
	if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != type)
	    continue;
	if (spf_dns_rdata(set, n, &msg, &rr) == 0)
	    n++;
    }
    if (set) {
	set->num_rr = n;
	if (n == 0)
	    set->herrno = NO_DATA;
    }
    return (set);
}

/* auth_spf_init - libspf2's chatter to our log */

int     auth_spf_init(TM_ERROR *err)
{
    SPF_warning_handler = spf_quiet;
    SPF_info_handler = spf_quiet;
    SPF_debug_handler = spf_quiet;
    return (0);
}

/* spf_result - libspf2's result as ours */

static AUTH_RESULT spf_result(SPF_result_t result)
{
    switch (result) {
    case SPF_RESULT_PASS:
	return (AUTH_PASS);
    case SPF_RESULT_FAIL:
	return (AUTH_FAIL);
    case SPF_RESULT_SOFTFAIL:
	return (AUTH_SOFTFAIL);
    case SPF_RESULT_NEUTRAL:
	return (AUTH_NEUTRAL);
    case SPF_RESULT_NONE:
	return (AUTH_NONE);
    case SPF_RESULT_TEMPERROR:
	return (AUTH_TEMPERROR);
    default:
	return (AUTH_PERMERROR);
    }
}

/* spf_dns_failed - libspf2 saw a DNS failure (it may call it permerror) */

static int spf_dns_failed(SPF_response_t *resp)
{
    if (SPF_response_errcode(resp) == SPF_E_DNS_ERROR)
	return (1);
    for (int i = 0; i < SPF_response_messages(resp); i++)
	if (SPF_error_code(SPF_response_message(resp, i)) == SPF_E_DNS_ERROR)
	    return (1);
    return (0);
}

/* spf_identity - what is checked: MAIL FROM, or HELO for a null sender */

static void spf_identity(const AUTH_INPUT *input, AUTH_SPF *spf)
{
    const char *at;

    if (input->mail_from && *input->mail_from) {
	spf->scope = "mailfrom";
	spf->identity = g_strdup(input->mail_from);
	at = strrchr(input->mail_from, '@');
	spf->domain = g_ascii_strdown(at ? at + 1 : input->mail_from, -1);
    } else {
	spf->scope = "helo";
	spf->identity = g_strdup(input->helo ? input->helo : "");
	spf->domain = g_ascii_strdown(spf->identity, -1);
    }
}

/* spf_set_client - the client address, IPv4 or IPv6 */

static int spf_set_client(SPF_request_t *req, const char *ip)
{
    if (ip == NULL)
	return (-1);
    if (strchr(ip, ':'))
	return (SPF_request_set_ipv6_str(req, ip) == SPF_E_SUCCESS ? 0 : -1);
    return (SPF_request_set_ipv4_str(req, ip) == SPF_E_SUCCESS ? 0 : -1);
}

/* auth_spf_check - evaluate SPF for one message */

void    auth_spf_check(RESOLVER *resolver, const AUTH_INPUT *input, AUTH_SPF *spf)
{
    /* No destroy function: the server leaves the layer alone. */
    SPF_dns_server_t layer = {
	.lookup = spf_dns_lookup, .name = "ticket-milter", .hook = resolver,
    };
    SPF_server_t *server;
    SPF_request_t *req;
    SPF_response_t *resp = NULL;
    const char *comment;

    spf_identity(input, spf);
    if (*spf->domain == 0 || strchr(spf->domain, '.') == NULL || spf->domain[0] == '[') {
	spf->result = AUTH_NONE;
	spf->reason = g_strdup("no domain to check");
	return;
    }
    server = SPF_server_new_dns(&layer, 0);
    if (server == NULL) {
	spf->result = AUTH_TEMPERROR;
	spf->reason = g_strdup("SPF library did not start");
	return;
    }
    req = SPF_request_new(server);
    if (spf_set_client(req, input->client_ip) < 0) {
	spf->result = AUTH_NONE;
	spf->reason = g_strdup("no client address");
    } else if (SPF_request_is_loopback(req)) {
	/* libspf2 passes any loopback client; it proves nothing of the domain. */
	spf->result = AUTH_NONE;
	spf->reason = g_strdup("loopback client: SPF does not apply");
    } else {
	if (input->helo)
	    SPF_request_set_helo_dom(req, input->helo);
	/* For <> libspf2 checks postmaster@HELO, as RFC 7208 2.4 says. */
	SPF_request_set_env_from(req, input->mail_from && *input->mail_from
				 ? input->mail_from : "");
	SPF_request_query_mailfrom(req, &resp);
	spf->result = resp ? spf_result(SPF_response_result(resp)) : AUTH_TEMPERROR;
	/* RFC 7208 2.6.6: a DNS failure is temporary, not the record's fault. */
	if (resp && spf->result == AUTH_PERMERROR && spf_dns_failed(resp))
	    spf->result = AUTH_TEMPERROR;
	comment = resp ? SPF_response_get_header_comment(resp) : NULL;
	spf->reason = g_strdup(comment ? comment : resp ? SPF_strreason(SPF_response_reason(resp)) : "no answer");
	if (resp)
	    SPF_response_free(resp);
    }
    SPF_request_free(req);
    SPF_server_free(server);
}
