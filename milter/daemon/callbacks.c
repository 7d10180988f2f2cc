/*++
/* NAME
/*	callbacks 3
/* SUMMARY
/*	the libmilter callbacks: classify, collect, store, answer
/* DESCRIPTION
/*	See callbacks.h. Each callback is small; the work is done by
/*	session, queue_cache, msgbuf, the parser and ingest.
/*--*/

/* System library. */
#include <string.h>

/* Global library. */
#include <milter/core/ingest.h>
#include <milter/core/policy.h>
#include <milter/core/queue_addr.h>

/* Application-specific. */
#include <milter/daemon/authres.h>
#include <milter/daemon/relay.h>
#include <milter/daemon/callbacks.h>
#include <milter/daemon/config_current.h>
#include <milter/daemon/inflight.h>
#include <milter/daemon/msglog.h>
#include <milter/daemon/outbox.h>
#include <milter/daemon/queue_cache.h>
#include <milter/daemon/region_ingest.h>
#include <milter/daemon/session.h>

/*
 * What we ask of the MTA. Most mail is not for support, so each step it
 * must send and wait for costs every message: no CONNECT event (the client
 * comes as macros with MAIL FROM), and no reply awaited before DATA, where
 * mail that is not for support is accepted and the milter steps aside.
 * Leaving out HELO and MAIL FROM as well (their values as macros at RCPT
 * TO) measured no faster: the cost is in the milter connection itself.
 */
#define WANT_PROTOCOL	(SMFIP_HDR_LEADSPC | SMFIP_NOCONNECT | SMFIP_NOUNKNOWN | \
			 SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			 SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)
#define WANT_ACTIONS	(SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGHDRS | \
			 SMFIF_CHGFROM | SMFIF_CHGBODY)
/* The macros we read, by step; no others are sent. */
#define MAIL_MACROS	"{client_addr} {client_name} {auth_authen}"
#define RCPT_MACROS	"i"			/* only to keep each RCPT small */

/* callbacks_init - set what the callbacks work with */

void    callbacks_init(const CONFIG *config)
{
    authres_init(config);
}

/* session_of - this connection's session, created on first use */

static SESSION *session_of(SMFICTX *ctx)
{
    SESSION *session = smfi_getpriv(ctx);

    if (session == NULL) {
	session = session_create();
	session->config = config_current_get();
	smfi_setpriv(ctx, session);
    }
    return (session);
}

/* queue_id - the MTA's queue id for log lines */

static const char *queue_id(SMFICTX *ctx)
{
    const char *id = smfi_getsymval(ctx, "i");

    return (id ? id : "NOQUEUE");
}

/* reply - set an SMTP reply and return the matching milter status */

static sfsistat reply(SMFICTX *ctx, int action, const char *rcode,
		              const char *xcode, const char *text)
{
    switch (action) {
    case ACTION_ACCEPT:
	return (SMFIS_ACCEPT);
    case ACTION_REJECT:
	rcode = "550";
	xcode = "5.3.0";
	/* FALLTHROUGH */
    default:
	/* The text never holds a '%': it is our own, not the client's. */
	smfi_setreply(ctx, (char *) rcode, (char *) xcode, (char *) text);
	return (action == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL);
    }
}

/* cb_negotiate - ask for the actions and protocol steps we use */

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			             unsigned long f2, unsigned long f3,
			             unsigned long *pf0, unsigned long *pf1,
			             unsigned long *pf2, unsigned long *pf3)
{
    SESSION *session = session_of(ctx);

    *pf0 = f0 & WANT_ACTIONS;
    *pf1 = f1 & WANT_PROTOCOL;
    *pf2 = *pf3 = 0;
    session->protocol = *pf1;
    if ((f0 & SMFIF_SETSYMLIST)
	&& smfi_setsymlist(ctx, SMFIM_ENVFROM, MAIL_MACROS) == MI_SUCCESS
	&& smfi_setsymlist(ctx, SMFIM_ENVRCPT, RCPT_MACROS) == MI_SUCCESS)
	*pf0 |= SMFIF_SETSYMLIST;
    return (SMFIS_CONTINUE);
}

/* no_reply - the status for a step the MTA may not wait for */

static sfsistat no_reply(const SESSION *session, unsigned long flag)
{
    return ((session->protocol & flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE);
}

/* client_ip - the client's address from the MTA's macro, or NULL */

static char *client_ip(SMFICTX *ctx)
{
    const char *addr = smfi_getsymval(ctx, "{client_addr}");

    if (addr == NULL || *addr == 0)
	return (NULL);
    /* Sendmail writes IPv6 addresses in their RFC 5321 form. */
    if (g_ascii_strncasecmp(addr, "IPv6:", 5) == 0)
	addr += 5;
    return (g_strdup(addr));
}

/* cb_helo - remember the HELO name */

static sfsistat cb_helo(SMFICTX *ctx, char *helo)
{
    SESSION *session = session_of(ctx);

    g_free(session->helo);
    session->helo = g_strdup(helo);
    return (no_reply(session, SMFIP_NR_HELO));
}

/* strip_brackets - an SMTP path without its angle brackets */

static char *strip_brackets(const char *path)
{
    size_t  len = strlen(path);

    if (len >= 2 && path[0] == '<' && path[len - 1] == '>')
	return (g_strndup(path + 1, len - 2));
    return (g_strdup(path));
}

/* cb_envfrom - a new message: remember sender, SASL login and client */

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    SESSION *session = session_of(ctx);
    const char *auth = smfi_getsymval(ctx, "{auth_authen}");
    const char *name = smfi_getsymval(ctx, "{client_name}");

    session_reset_message(session);
    session->sender = strip_brackets(argv[0]);
    session->auth_authen = auth ? g_strdup(auth) : NULL;
    if (session->client_ip == NULL)
	session->client_ip = client_ip(ctx);
    if (session->client_name == NULL && name)
	session->client_name = g_strdup(name);
    return (no_reply(session, SMFIP_NR_MAIL));
}

/* cb_envrcpt - classify one recipient: support queue or other */

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    SESSION *session = session_of(ctx);
    char   *token = NULL;
    char   *base = queue_addr_base(argv[0], session->config->recipient_delimiter, &token);
    int     region = 0;
    int     found = base ? queue_cache_lookup(base, &region) : 0;

    g_ptr_array_add(session->recipients, strip_brackets(argv[0]));
    if (found < 0) {
	session->queues_unknown = 1;
    } else if (found) {
	g_ptr_array_add(session->support_rcpts, g_strdup(argv[0]));
	g_ptr_array_add(session->support_queues, g_steal_pointer(&base));
	g_array_append_val(session->queue_regions, region);
	if (token) {
	    g_ptr_array_add(session->reply_tokens, g_steal_pointer(&token));
	    g_array_append_val(session->token_regions, region);
	}
    }
    g_free(base);
    g_free(token);
    return (no_reply(session, SMFIP_NR_RCPT));
}

/* cb_data - not for support: step aside; else start collecting */

static sfsistat cb_data(SMFICTX *ctx)
{
    SESSION *session = session_of(ctx);

    if (session->queues_unknown) {
	msg_warn("%s: support queues not loaded yet (database unreachable?): %s",
		 queue_id(ctx), msglog_action(session->config->on_database_error));
	return (reply(ctx, session->config->on_database_error, "451", "4.3.0",
		      "Help desk temporarily unavailable, please try again later"));
    }
    if (session->support_queues->len == 0)
	return (SMFIS_ACCEPT);
    if (inflight_begin() < 0)
	return (reply(ctx, ACTION_TEMPFAIL, "451", "4.3.2",
		      "Help desk is stopping, please try again later"));
    session->in_flight = 1;
    session->message = msgbuf_create(session->config->body_memory_limit, session->config->temp_dir);
    return (SMFIS_CONTINUE);
}

/* collect - append bytes to the message unless it is already too big */

static void collect(SESSION *session, const void *data, size_t len)
{
    TM_ERROR err;

    if (session->too_big || session->failed || session->message == NULL)
	return;
    if (msgbuf_size(session->message) + len > session->config->max_message_size) {
	session->too_big = 1;
	return;
    }
    if (msgbuf_append(session->message, data, len, &err) < 0) {
	msg_error("%s", err.text);
	session->failed = 1;
    }
}

/* note_singleton - a second From, To or Cc, as the MTA shows the header */

static void note_singleton(SESSION *session, const char *name)
{
    static const struct {
	const char *name;
	unsigned bit;
    }       singletons[] = {
	{"From", SESSION_FIELD_FROM}, {"To", SESSION_FIELD_TO}, {"Cc", SESSION_FIELD_CC}, {0},
    };

    for (int i = 0; singletons[i].name; i++) {
	if (g_ascii_strcasecmp(name, singletons[i].name) == 0) {
	    if (session->seen_fields & singletons[i].bit) {
		session->twice_fields |= singletons[i].bit;
		session->duplicate_header = 1;
	    }
	    session->seen_fields |= singletons[i].bit;
	    return;
	}
    }
}

/* cb_header - append one header field, as it was sent, in CRLF form */

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
    SESSION *session = session_of(ctx);
    GString *line = g_string_sized_new(strlen(name) + strlen(value) + 4);

    authres_note_header(session, session->config->authserv_id, name, value);
    note_singleton(session, name);
    g_string_append(line, name);
    g_string_append_c(line, ':');
    /* Without HDR_LEADSPC the MTA removed the space after the colon. */
    if (!(session->protocol & SMFIP_HDR_LEADSPC))
	g_string_append_c(line, ' ');
    for (const char *p = value; *p; p++) {
	if (*p == '\n' && (p == value || p[-1] != '\r'))
	    g_string_append_c(line, '\r');
	g_string_append_c(line, *p);
    }
    g_string_append(line, "\r\n");
    collect(session, line->str, line->len);
    g_string_free(line, TRUE);
    return (no_reply(session, SMFIP_NR_HDR));
}

/* cb_eoh - the blank line between header and body */

static sfsistat cb_eoh(SMFICTX *ctx)
{
    SESSION *session = session_of(ctx);

    collect(session, "\r\n", 2);
    return (no_reply(session, SMFIP_NR_EOH));
}

/* cb_body - append a body chunk */

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    SESSION *session = session_of(ctx);

    collect(session, chunk, len);
    return (no_reply(session, SMFIP_NR_BODY));
}

/* add_header - add a header field, with the space the MTA expects */

static void add_header(SMFICTX *ctx, const SESSION *session, const char *name,
		               const char *value)
{
    char   *text = session_header_value(session, value);

    if (smfi_addheader(ctx, (char *) name, text) != MI_SUCCESS)
	msg_warn("%s: cannot add header %s", queue_id(ctx), name);
    g_free(text);
}

/* mta_copy - apply MtaCopy to the MTA's copy of a stored message */

static sfsistat mta_copy(SMFICTX *ctx, SESSION *session, const char *ticket)
{
    const CONFIG *config = session->config;
    guint   i;

    switch (config->mta_copy) {
    case MTA_COPY_KEEP:
	add_header(ctx, session, "X-Ticket-Number", ticket);
	return (SMFIS_CONTINUE);
    case MTA_COPY_REDIRECT:
	add_header(ctx, session, "X-Ticket-Number", ticket);
	if (smfi_addrcpt(ctx, config->mta_copy_address) != MI_SUCCESS)
	    msg_warn("%s: cannot add recipient %s", queue_id(ctx), config->mta_copy_address);
	break;
    default:
	/* Only support recipients: nothing is left for the MTA to deliver. */
	if (session->support_rcpts->len == session->recipients->len)
	    return (SMFIS_DISCARD);
	break;
    }
    for (i = 0; i < session->support_rcpts->len; i++)
	if (smfi_delrcpt(ctx, g_ptr_array_index(session->support_rcpts, i)) != MI_SUCCESS)
	    msg_warn("%s: cannot remove recipient %s", queue_id(ctx),
		     (char *) g_ptr_array_index(session->support_rcpts, i));
    return (SMFIS_CONTINUE);
}

/* What became of a support message at its end (eom_decide()). */
typedef enum EOM_OUTCOME {
    EOM_STORED,				/* stored, or stored before */
    EOM_TOO_BIG,			/* past MaximumMessageSize */
    EOM_LOCAL_ERROR,			/* our own trouble: On-InternalError */
    EOM_AUTH,				/* the sender checks decided (status) */
    EOM_REFUSED,			/* the database refused it (err) */
    EOM_DATABASE_ERROR,			/* not stored: On-DatabaseError */
} EOM_OUTCOME;

/* What eom_decide() learned, for eom_answer(); eom_free() releases it. */
typedef struct EOM {
    MSGLOG  log;
    MAIL   *mail;
    AUTH_RESULTS *auth;
    INGEST_RESULT result;
    TM_ERROR err;
    const char *raw;
    size_t  size;
    sfsistat auth_status;		/* EOM_AUTH: the checks' answer */
} EOM;

/* eom_agent_proof - which proofs of an agent the message carries; whether
 * a login is the From agent's own is decided in the database */

static void eom_agent_proof(SESSION *session, const EOM *eom)
{
    POLICY_CLIENT client = {session->client_ip, session->auth_authen};

    session->agent_proof = policy_agent_proof(eom->auth, &client, mail_from_address(eom->mail),
					      session->config->internal_hosts,
					      session->duplicate_header);
}

/* eom_decide - parse, check and store the message; what became of it */

static EOM_OUTCOME eom_decide(SMFICTX *ctx, SESSION *session, const char *qid, EOM *eom)
{
    const CONFIG *config = session->config;
    MAIL_OPTIONS options;
    gint64  clock = g_get_monotonic_time();

    eom->log.size = eom->size = msgbuf_size(session->message);
    if (session->too_big)
	return (EOM_TOO_BIG);
    if (session->failed || (eom->raw = msgbuf_map(session->message, &eom->err)) == NULL) {
	if (!session->failed)
	    msg_error("%s: %s", qid, eom->err.text);
	return (EOM_LOCAL_ERROR);
    }
    config_mail_options(config, &options);
    eom->log.mail = eom->mail = mail_parse_bytes_with(eom->raw, eom->size, &config->limits, &options);
    eom->log.parse_us = msglog_since(&clock);

    /*
     * Two From fields: DKIM signs the last, readers show the first; two To
     * or Cc: who would get an answer is unclear. Such a message proves
     * nothing (policy.h). The parser knows more fields; the MTA's view
     * holds even where the parser's would differ.
     */
    if (mail_defects(eom->mail) & MAIL_DEFECT_DUPLICATE_HEADER)
	session->duplicate_header = 1;
    eom->auth_status = authres_check(ctx, config, session, eom->mail, eom->raw, eom->size, &eom->auth);
    eom->log.auth_us = config->verify_senders ? msglog_since(&clock) : 0;
    if (eom->auth_status != SMFIS_CONTINUE)
	return (EOM_AUTH);
    eom->log.auth = eom->auth;
    eom_agent_proof(session, eom);
    if (region_ingest(config, session, qid, eom->mail, eom->raw, eom->size,
		      &eom->result, &eom->err) < 0) {
	eom->log.db_us = msglog_since(&clock);
	return (strcmp(eom->err.code, "TM001") == 0 ? EOM_REFUSED : EOM_DATABASE_ERROR);
    }
    eom->log.db_us = msglog_since(&clock);
    return (EOM_STORED);
}

/* eom_deliver - a stored message: relay an agent's answer, discard a
 * note, or hand the MTA its copy */

static sfsistat eom_deliver(SMFICTX *ctx, SESSION *session, const char *qid, EOM *eom)
{
    const CONFIG *config = session->config;
    const INGEST_RESULT *result = &eom->result;

    if (result->relay) {
	/* Stored; now the MTA delivers it to the customer instead. */
	if (relay_apply(ctx, config, session, eom->mail, eom->raw, eom->size, result->relay,
			&eom->err) == 0)
	    return (SMFIS_CONTINUE);
	msg_error("%s: agent reply stored, but %s", qid, eom->err.text);
	return (reply(ctx, config->on_internal_error, "451", "4.3.0",
		      "Help desk cannot relay the reply now, please try again later"));
    }
    if (result->discard) {
	msg_info("%s: ticket %s: agent message not relayed: %s", qid,
		 result->ticket ? result->ticket : "-", result->discard);
	return (SMFIS_DISCARD);
    }
    authres_apply(ctx, config, session, eom->auth);
    return (mta_copy(ctx, session, result->ticket));
}

/* eom_answer - log the one line of the message and answer the MTA */

static sfsistat eom_answer(SMFICTX *ctx, SESSION *session, const char *qid,
			           EOM_OUTCOME outcome, EOM *eom)
{
    const CONFIG *config = session->config;
    const INGEST_RESULT *result = &eom->result;
    MSGLOG *log = &eom->log;
    char    text[128];
    sfsistat status;

    switch (outcome) {
    case EOM_TOO_BIG:
	log->decision = "rejected";
	log->rule = "too-big";
	snprintf(text, sizeof(text), "Message too big for the help desk (limit %zu bytes)",
		 config->max_message_size);
	smfi_setreply(ctx, "552", "5.3.4", text);
	status = SMFIS_REJECT;
	break;
    case EOM_LOCAL_ERROR:
	log->decision = msglog_action(config->on_internal_error);
	log->rule = "internal-error";
	status = reply(ctx, config->on_internal_error, "451", "4.3.0",
		       "Help desk cannot take the message now (local error), please try again later");
	break;
    case EOM_AUTH:
	status = eom->auth_status;
	log->decision = status == SMFIS_REJECT ? "rejected"
	    : status == SMFIS_TEMPFAIL ? "tempfailed" : "ignored";
	log->rule = "auth";
	break;
    case EOM_REFUSED:
	msg_info("%s: refused: %s", qid, eom->err.text);
	log->decision = "rejected";
	log->rule = "agent-not-in-queue";
	smfi_setreply(ctx, "550", "5.7.1", eom->err.text);
	status = SMFIS_REJECT;
	break;
    case EOM_DATABASE_ERROR:
	msg_error("%s: not stored: %s; answering %s", qid, eom->err.text,
		  config_action_name(config->on_database_error));
	log->decision = msglog_action(config->on_database_error);
	log->rule = "database-error";
	status = reply(ctx, config->on_database_error, "451", "4.3.0",
		       "Ticket database unavailable, please try again later");
	break;
    default:
	log->decision = result->duplicate ? "duplicate" : result->relay ? "agent-reply"
	    : result->discard ? "agent-note" : result->created ? "new" : "follow-up";
	log->rule = result->rule;
	log->ticket = result->ticket;
	log->confirmation = result->confirmation;
	log->notified = result->notified;
	msglog_line(qid, session, log);
	status = eom_deliver(ctx, session, qid, eom);
	session_reset_message(session);
	return (status);
    }
    msglog_line(qid, session, log);
    return (status);
}

/* cb_eom - parse, store, then let the message go */

static sfsistat cb_eom(SMFICTX *ctx)
{
    SESSION *session = session_of(ctx);
    const char *qid = queue_id(ctx);
    EOM     eom = {0};
    sfsistat status;

    if (session->message == NULL)
	return (SMFIS_CONTINUE);
    status = eom_answer(ctx, session, qid, eom_decide(ctx, session, qid, &eom), &eom);
    mail_free(eom.mail);
    auth_results_free(eom.auth);
    ingest_result_clear(&eom.result);
    return (status);
}

/* message_done - the message is answered: no longer in flight */

static void message_done(SESSION *session)
{
    if (session && session->in_flight) {
	session->in_flight = 0;
	inflight_end();
    }
}

/* cb_eom_answered - cb_eom, then a stop need no longer wait for it */

static sfsistat cb_eom_answered(SMFICTX *ctx)
{
    sfsistat status = cb_eom(ctx);

    message_done(session_of(ctx));
    return (status);
}

/* cb_abort - the MTA dropped the message */

static sfsistat cb_abort(SMFICTX *ctx)
{
    SESSION *session = smfi_getpriv(ctx);

    message_done(session);
    if (session)
	session_reset_message(session);
    return (SMFIS_CONTINUE);
}

/* cb_close - the connection is over */

static sfsistat cb_close(SMFICTX *ctx)
{
    SESSION *session = smfi_getpriv(ctx);

    message_done(session);
    session_free(session);
    smfi_setpriv(ctx, NULL);
    return (SMFIS_CONTINUE);
}

struct smfiDesc callbacks_desc = {
    .xxfi_name = "ticket-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = WANT_ACTIONS,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom_answered,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};
