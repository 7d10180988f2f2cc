/*++
/* NAME
/*	webhook 3
/* SUMMARY
/*	the webhook sender: POST queued deliveries, signed, with retries
/* DESCRIPTION
/*	See webhook.h. Modelled on the outbox sender (outbox.c): one
/*	delivery a transaction, the row locked while it is sent.
/*--*/

/* System library. */
#include <stdio.h>
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/http_post.h>
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/worker.h>

/* Application-specific. */
#include <milter/daemon/config_current.h>
#include <milter/daemon/webhook.h>

#define WEBHOOK_SENDERS_MAX	16
#define WEBHOOK_POLL		30	/* seconds between looks, besides NOTIFY */

typedef struct HOOK_SENDER {
    WORKER  worker;
    const CONFIG *start;		/* the settings at start */
    int     region;			/* whose deliveries it sends */
    char    name[48];			/* "webhook", or "webhook of region NAME" */
} HOOK_SENDER;

/* One locked delivery, as webhook_next() gives it. */
typedef struct HOOK_DELIVERY {
    const char *id;
    const char *url;
    const char *secret;
    const char *uuid;
    const char *event;
    const char *payload;
} HOOK_DELIVERY;

static HOOK_SENDER *senders;
static int sender_count;

/* hook_exec - one statement within the DatabaseTimeout; 0, or -1 logged */

static int hook_exec(HOOK_SENDER *sender, PGconn *conn, const CONFIG *config, const char *what,
		             const char *sql, int nparams, const char *const *params,
		             PGresult **result)
{
    return (worker_exec(&sender->worker, conn, config->database_timeout, what, sql, nparams,
			params, result));
}

/* hook_signature - "sha256=" and the hex HMAC-SHA256 of body by secret */

static char *hook_signature(const char *secret, const char *body)
{
    GHmac  *hmac = g_hmac_new(G_CHECKSUM_SHA256, (const guchar *) secret, strlen(secret));
    char   *sig;

    g_hmac_update(hmac, (const guchar *) body, (gssize) strlen(body));
    sig = g_strconcat("sha256=", g_hmac_get_string(hmac), NULL);
    g_hmac_unref(hmac);
    return (sig);
}

/* hook_post - POST one delivery; 0 and the status when it was answered */

static int hook_post(const HOOK_DELIVERY *d, const CONFIG *config, long *status, TM_ERROR *err)
{
    char   *sig = hook_signature(d->secret, d->payload);
    char   *lines[4] = {
	g_strconcat("X-Ticket-Signature: ", sig, NULL),
	g_strconcat("X-Ticket-Delivery: ", d->uuid, NULL),
	g_strconcat("X-Ticket-Event: ", d->event, NULL),
    NULL};
    const char *headers[5] = {"Content-Type: application/json", lines[0], lines[1], lines[2], NULL};
    int     ret;

    ret = http_post(d->url, headers, d->payload, strlen(d->payload), config->webhook_timeout,
		    status, err);
    for (int i = 0; lines[i]; i++)
	g_free(lines[i]);
    g_free(sig);
    return (ret);
}

/* hook_record - record the outcome of one POST in the open transaction */

static int hook_record(HOOK_SENDER *sender, PGconn *conn, const CONFIG *config,
		               const HOOK_DELIVERY *d, int posted, long status, TM_ERROR *err)
{
    char    code[16], max_attempts[16], first_delay[16];
    const char *params[5] = {d->id, code, NULL, max_attempts, first_delay};
    PGresult *res;

    snprintf(code, sizeof(code), "%ld", status);
    if (posted == 0 && status >= 200 && status < 300) {
	if (hook_exec(sender, conn, config, "recording a delivery",
		      "SELECT webhook_delivered($1::bigint, $2::integer)", 2, params, NULL) < 0)
	    return (-1);
	msg_info("%s: delivery %s (%s %s) delivered: %ld", sender->name, d->id, d->event,
		 d->uuid, status);
	return (0);
    }
    if (posted == 0)
	tm_error(err, "HTTP status %ld", status);
    params[1] = posted == 0 ? code : NULL;
    params[2] = err->text;
    snprintf(max_attempts, sizeof(max_attempts), "%d", config->webhook_max_attempts);
    snprintf(first_delay, sizeof(first_delay), "%d", config->webhook_retry_delay);
    if (hook_exec(sender, conn, config, "recording a failed attempt",
		  "SELECT webhook_failed($1::bigint, $3, $2::integer, $4::integer, $5::integer)",
		  5, params, &res) < 0)
	return (-1);
    msg_warn("%s: delivery %s (%s %s): %s (%s)", sender->name, d->id, d->event, d->uuid, err->text,
	     strcmp(PQgetvalue(res, 0, 0), "failed") == 0 ? "gave up" : "will retry");
    PQclear(res);
    return (0);
}

/* hook_send_one - lock the next due delivery and send it; 1 sent or
 * tried, 0 nothing due, -1 database trouble */

static int hook_send_one(HOOK_SENDER *sender, PGconn *conn, const CONFIG *config)
{
    PGresult *res;
    HOOK_DELIVERY d;
    TM_ERROR err = {0};
    long    status;
    int     posted;

    if (hook_exec(sender, conn, config, "beginning a transaction", "BEGIN", 0, 0, NULL) < 0)
	return (-1);
    if (hook_exec(sender, conn, config, "taking the next due delivery",
		  "SELECT id, url, secret, delivery, event, payload FROM webhook_next()",
		  0, 0, &res) < 0) {
	worker_rollback(&sender->worker, conn, config->database_timeout);
	return (-1);
    }
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (hook_exec(sender, conn, config, "committing", "COMMIT", 0, 0, NULL));
    }
    d = (HOOK_DELIVERY) {PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
    PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5)};
    posted = hook_post(&d, config, &status, &err);
    if (hook_record(sender, conn, config, &d, posted, status, &err) < 0) {
	PQclear(res);
	worker_rollback(&sender->worker, conn, config->database_timeout);
	return (-1);
    }
    PQclear(res);
    return (hook_exec(sender, conn, config, "committing", "COMMIT", 0, 0, NULL) < 0 ? -1 : 1);
}

/* hook_next_due - seconds until the next pending delivery, at most limit; -1 */

static int hook_next_due(HOOK_SENDER *sender, PGconn *conn, const CONFIG *config, int limit)
{
    return (worker_seconds(&sender->worker, conn, config->database_timeout,
			   "looking for the next delivery due",
			   "SELECT ceil(extract(epoch FROM min(next_attempt) - now()))"
			   " FROM webhook_deliveries WHERE state = 'pending'", limit));
}

/* hook_main - one sender thread: connect, LISTEN, send, wait */

static void *hook_main(void *context)
{
    HOOK_SENDER *sender = context;
    const CONFIG *start = sender->start, *config;
    PGconn *conn = NULL;
    int     wait, ret;

    for (;;) {
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	    PQfinish(conn);
	    conn = worker_connect(&sender->worker, start->regions[sender->region].conninfo,
				  start->database_timeout, "ticket_milter_webhook");
	    if (conn == NULL) {
		if (worker_wait(&sender->worker, NULL, 2))
		    break;
		continue;
	    }
	}
	/* Per round, the settings in force: a reload (SIGUSR1) applies. */
	config = config_current_get();
	while ((ret = hook_send_one(sender, conn, config ? config : start)) > 0)
	     /* void */ ;
	if (ret < 0
	    || (wait = hook_next_due(sender, conn, config ? config : start, WEBHOOK_POLL)) < 0) {
	    /* Closed, what it began rolls back: the delivery stays pending. */
	    PQfinish(conn);
	    conn = NULL;
	    wait = 2;
	}
	config_current_put(config);
	if (worker_wait(&sender->worker, conn, wait))
	    break;
    }
    PQfinish(conn);
    return (NULL);
}

/* webhook_start - start the sender threads of every region */

void    webhook_start(const CONFIG *config)
{
    int     per_region = config->webhook_senders < WEBHOOK_SENDERS_MAX ? config->webhook_senders
    : WEBHOOK_SENDERS_MAX;

    if (per_region < config->webhook_senders)
	msg_warn("webhook: WebhookSenders %d: starting %d, the most there may be",
		 config->webhook_senders, per_region);
    sender_count = per_region * config->region_count;
    senders = g_new0(HOOK_SENDER, sender_count);
    for (int i = 0; i < sender_count; i++) {
	senders[i].start = config;
	senders[i].region = i / per_region;
	snprintf(senders[i].name, sizeof(senders[i].name), "webhook%s%s",
		 config->region_count > 1 ? " of region " : "",
		 config->region_count > 1 ? config->regions[senders[i].region].name : "");
	worker_start(&senders[i].worker, senders[i].name, hook_main, &senders[i]);
    }
    msg_info("webhook: %d sender(s) for each of %d region(s)", per_region, config->region_count);
}

/* webhook_stop - stop the sender threads */

void    webhook_stop(void)
{
    for (int i = 0; i < sender_count; i++)
	worker_stop(&senders[i].worker);
    g_free(senders);
    senders = NULL;
    sender_count = 0;
}
