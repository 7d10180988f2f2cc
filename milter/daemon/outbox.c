/*++
/* NAME
/*	outbox 3
/* SUMMARY
/*	the outbox sender: submit queued outgoing mail, with retries
/* DESCRIPTION
/*	See outbox.h. Each sender thread has its own database connection
/*	and its own SMTP client, whose connection to the relay stays open
/*	between mails. A thread takes one due mail at a time with FOR
/*	UPDATE SKIP LOCKED, so threads and daemons never take the same
/*	mail, and holds the row lock while the mail is submitted; if the
/*	process dies in between, the lock goes with its connection and
/*	the mail is sent again later (at least once, never lost). A
/*	recipient that addr_unsafe() refuses is never rendered nor
/*	submitted: the mail fails at once, and the log line shows the
/*	address escaped.
/*
/*	The wake-up is a pipe: outbox_wake() writes a byte (never
/*	blocking: a full pipe already wakes), and every idle sender polls
/*	it with its stop pipe and its database socket. The first to read
/*	takes every byte there and does a round; the others sleep on, so
/*	one stored message wakes one idle sender, not all. A byte written
/*	while the senders work stays readable, so no wake-up is lost; a
/*	sender in a round goes on until nothing unlocked is due, so a
/*	backlog keeps every busy sender at work.
/*--*/

/* System library. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/addr_check.h>
#include <milter/util/log.h>
#include <milter/util/smtp_submit.h>

/* Global library. */
#include <milter/core/compose.h>
#include <milter/core/query.h>
#include <milter/core/worker.h>

/* Application-specific. */
#include <milter/daemon/config_current.h>
#include <milter/daemon/outbox.h>

#define OUTBOX_SENDERS_MAX	64

typedef struct SENDER {
    WORKER  worker;
    const CONFIG *start;		/* the settings at start */
    int     region;			/* whose outbox it sends */
    char    name[48];			/* "outbox", or "outbox of region NAME" */
    SMTP_CLIENT *smtp;			/* this thread's relay connection */
} SENDER;

static SENDER *senders;
static int sender_count;
static int (*wake_pipes)[2];		/* one per region; NULL: none started */
static int wake_count;

/* exec_simple - run a statement by the DatabaseTimeout; 0, or -1 logged */

static int exec_simple(SENDER *sender, PGconn *conn, const CONFIG *config, const char *what,
		               const char *sql, int nparams, const char *const *params,
		               PGresult **result)
{
    return (worker_exec(&sender->worker, conn, config->database_timeout, what, sql, nparams,
			params, result));
}

/* The database an attachment is read from, and how long it may take. */
typedef struct BLOB_SOURCE {
    PGconn *conn;
    int     timeout;
    int     savepoint;			/* SAVEPOINT blobs was set */
    int     unanswered;			/* the database did not deliver one */
    int     broken;			/* and the connection is gone */
} BLOB_SOURCE;

/* fetch_blob - an attachment's bytes, by SHA-256 (NOTIFY_FETCH), within
 * the DatabaseTimeout: copied once out of the result, freed at once. The
 * first read sets a savepoint, so that a read that fails can be undone
 * and the attempt recorded in the same transaction. */

static int fetch_blob(void *context, const char *sha256, GByteArray **bytes, TM_ERROR *err)
{
    BLOB_SOURCE *source = context;
    const char *params[1] = {sha256};
    PGresult *res;

    if (!source->savepoint) {
	res = query_sent(source->conn, PQsendQuery(source->conn, "SAVEPOINT blobs"),
			 query_deadline(source->timeout), &source->broken, err);
	if (res == NULL) {
	    source->unanswered = 1;
	    return (-1);
	}
	PQclear(res);
	source->savepoint = 1;
    }
    res = query_sent(source->conn, PQsendQueryParams(source->conn,
			  "SELECT content FROM blobs WHERE sha256 = $1", 1, 0, params, 0, 0, 1),
		     query_deadline(source->timeout), &source->broken, err);
    if (res == NULL) {
	source->unanswered = 1;
	return (-1);
    }
    if (PQntuples(res) != 1) {
	tm_error(err, "cannot read attachment %s: not stored", sha256);
	PQclear(res);
	return (-1);
    }
    *bytes = g_byte_array_sized_new((guint) PQgetlength(res, 0, 0));
    g_byte_array_append(*bytes, (const guint8 *) PQgetvalue(res, 0, 0), (guint) PQgetlength(res, 0, 0));
    PQclear(res);
    return (0);
}

/* rollback - end the transaction, unless conn is still busy (then closed) */

static void rollback(SENDER *sender, PGconn *conn, const CONFIG *config)
{
    worker_rollback(&sender->worker, conn, config->database_timeout);
}

/* outbox_deliver - render and submit one locked mail; record the outcome */

static int outbox_deliver(SENDER *sender, PGconn *conn, const CONFIG *config, const char *id)
{
    const char *params[5] = {id, config->recipient_delimiter};
    BLOB_SOURCE blobs = {conn, config->database_timeout, 0, 0, 0};
    COMPOSE_SETTINGS settings = {config->ticket_tag_format, config->notify_attachment_limit,
    fetch_blob, &blobs};
    PGresult *res;
    TM_ERROR err;
    COMPOSED mail = {0};
    char   *rcpt, *shown, *json;
    const char *why;
    int     permanent = 0, ret = -1;
    char    max_attempts[16], first_delay[16];

    if (exec_simple(sender, conn, config, "rendering a mail",
		    "SELECT outbox_mail($1, $2), recipient FROM outbox WHERE id = $1", 2, params,
		    &res) < 0)
	return (-1);
    rcpt = g_strdup(PQgetvalue(res, 0, 1));
    json = g_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    shown = addr_escape(rcpt);
    if ((why = addr_unsafe(rcpt)) != NULL)
	tm_error(&err, "the recipient address has %s: not sent", why);
    else
	ret = compose_mail(json, &settings, &mail, &err);
    g_free(json);
    /*
     * The database, not the mail. Timed out or gone (the connection is
     * closed): the row stays pending, untouched, as when any other query
     * of a sender stalls. A refusal: undo the read and count an attempt,
     * tried again later (OutboxRetryDelay, doubling) up to
     * OutboxMaxAttempts, as for a relay that is down.
     */
    if (ret < 0 && blobs.unanswered
	&& (blobs.broken || exec_simple(sender, conn, config, "undoing a failed attachment read",
					"ROLLBACK TO SAVEPOINT blobs", 0, 0, NULL) < 0)) {
	if (blobs.broken)
	    msg_warn("%s: mail %s to <%s>: %s (will retry)", sender->name, id, shown, err.text);
	compose_free(&mail);
	g_free(rcpt);
	g_free(shown);
	return (-1);
    }
    if (ret < 0)
	permanent = !blobs.unanswered;
    else if (smtp_client_send(sender->smtp, config->outbox_relay, config->database_timeout,
			      mail.envelope_from, rcpt, mail.data, mail.len, &permanent, &err) == 0) {
	const char *sent[7] = {id, mail.record, mail.envelope_from, mail.subject, mail.from_address,
	mail.from_name, mail.text};
	int     lengths[7] = {0, (int) mail.record_len};
	int     formats[7] = {0, 1};
	char    what[64];

	snprintf(what, sizeof(what), "recording mail %s as sent", id);
	res = worker_query(&sender->worker, conn, config->database_timeout, what,
			   "SELECT outbox_sent($1, $2::bytea, $3, $4, $5, $6, $7)", 7, sent,
			   lengths, formats);
	ret = res ? 0 : -1;
	if (ret == 0)
	    msg_info("%s: mail %s to <%s> sent", sender->name, id, shown);
	PQclear(res);
	compose_free(&mail);
	g_free(rcpt);
	g_free(shown);
	return (ret);
    }
    snprintf(max_attempts, sizeof(max_attempts), "%d", config->outbox_max_attempts);
    snprintf(first_delay, sizeof(first_delay), "%d", config->outbox_retry_delay);
    params[1] = err.text;
    params[2] = permanent ? "true" : "false";
    params[3] = max_attempts;
    params[4] = first_delay;
    ret = exec_simple(sender, conn, config, "recording a failed attempt",
		      "SELECT outbox_failed($1, $2, $3::boolean, $4::integer, $5::integer)",
		      5, params, &res);
    if (ret == 0) {
	msg_warn("%s: mail %s to <%s>: %s (%s)", sender->name, id, shown, err.text,
		 strcmp(PQgetvalue(res, 0, 0), "failed") == 0 ? "gave up" : "will retry");
	PQclear(res);
    }
    compose_free(&mail);
    g_free(rcpt);
    g_free(shown);
    return (ret);
}

/* outbox_send_one - lock the next due mail and deliver it; 1 sent or
 * tried, 0 nothing due, -1 database trouble */

static int outbox_send_one(SENDER *sender, PGconn *conn, const CONFIG *config)
{
    PGresult *res;
    char   *id;
    int     ret;

    if (exec_simple(sender, conn, config, "beginning a transaction", "BEGIN", 0, 0, NULL) < 0)
	return (-1);
    if (exec_simple(sender, conn, config, "taking the next due mail",
		    "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()"
		    " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED", 0, 0, &res) < 0) {
	rollback(sender, conn, config);
	return (-1);
    }
    if (PQntuples(res) == 0) {
	PQclear(res);
	return (exec_simple(sender, conn, config, "committing", "COMMIT", 0, 0, NULL));
    }
    id = g_strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    ret = outbox_deliver(sender, conn, config, id);
    g_free(id);
    if (ret < 0) {
	rollback(sender, conn, config);
	return (-1);
    }
    return (exec_simple(sender, conn, config, "committing", "COMMIT", 0, 0, NULL) < 0 ? -1 : 1);
}

/* send_due - send every mail that is due now; how many, or -1 */

static int send_due(SENDER *sender, PGconn *conn, const CONFIG *config)
{
    int     count = 0, ret;

    while ((ret = outbox_send_one(sender, conn, config)) > 0)
	count++;
    return (ret < 0 ? -1 : count);
}

/* next_due - seconds until the next pending mail is due, at most limit; -1 */

static int next_due(SENDER *sender, PGconn *conn, const CONFIG *config, int limit)
{
    return (worker_seconds(&sender->worker, conn, config->database_timeout,
			   "looking for the next mail due",
			   "SELECT ceil(extract(epoch FROM min(next_attempt_at) - now()))"
			   " FROM outbox WHERE status = 'pending'", limit));
}

/* wake_take - read what outbox_wake() wrote; 0 if another sender did */

static int wake_take(int fd)
{
    char    buf[256];
    int     got = 0;

    while (read(fd, buf, sizeof(buf)) > 0)
	got = 1;
    return (got);
}

/* sender_wait - sleep until woken, notified, the time, or stop; 1 = stop */

static int sender_wait(SENDER *sender, PGconn *conn, int seconds)
{
    struct pollfd pfd[3] = {
	{.fd = sender->worker.stop_pipe[0], .events = POLLIN},
	{.fd = wake_pipes[sender->region][0], .events = POLLIN},
	{.fd = conn ? PQsocket(conn) : -1, .events = POLLIN},
    };
    gint64  deadline = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
    gint64  left;
    int     n;

    /* A notification read along with an earlier query's result waits here. */
    if (query_notified(conn))
	return (0);
    /* A wake-up another idle sender took is not ours: sleep on. */
    while ((left = deadline - g_get_monotonic_time()) > 0) {
	n = poll(pfd, conn ? 3 : 2, (int) ((left + 999) / 1000));
	if (n > 0 && pfd[0].revents)
	    return (1);
	if (conn && n > 0 && pfd[2].revents) {
	    PQconsumeInput(conn);
	    query_notified(conn);
	    return (0);
	}
	if (n <= 0 || wake_take(pfd[1].fd))
	    return (0);
    }
    return (0);
}

/* outbox_main - one sender thread: connect, LISTEN, send, wait */

static void *outbox_main(void *context)
{
    SENDER *sender = context;
    const CONFIG *start = sender->start, *config;
    PGconn *conn = NULL;
    int     wait;

    for (;;) {
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	    PQfinish(conn);
	    conn = worker_connect(&sender->worker, start->regions[sender->region].conninfo,
				  start->database_timeout, "ticket_milter_outbox");
	    if (conn == NULL) {
		if (sender_wait(sender, NULL, 2))
		    break;
		continue;
	    }
	}
	/* Per round, the settings in force: a reload (SIGUSR1) applies. */
	config = config_current_get();
	if (send_due(sender, conn, config ? config : start) < 0
	    || (wait = next_due(sender, conn, config ? config : start, start->outbox_poll)) < 0) {
	    /* Closed, what it began rolls back: the mail stays pending. */
	    PQfinish(conn);
	    conn = NULL;
	    wait = 2;
	}
	config_current_put(config);
	if (sender_wait(sender, conn, wait))
	    break;
    }
    PQfinish(conn);
    return (NULL);
}

/* wake_pipes_open - a non-blocking wake-up pipe per region */

static void wake_pipes_open(int count)
{
    wake_pipes = g_malloc_n((gsize) count, sizeof(*wake_pipes));
    for (int r = 0; r < count; r++) {
	if (pipe(wake_pipes[r]) < 0)
	    msg_fatal("outbox: pipe: %m");
	for (int i = 0; i < 2; i++)
	    if (fcntl(wake_pipes[r][i], F_SETFL, fcntl(wake_pipes[r][i], F_GETFL) | O_NONBLOCK) < 0)
		msg_fatal("outbox: fcntl: %m");
    }
    wake_count = count;
}

/* outbox_start - start the sender threads, unless OutboxRelay is none */

void    outbox_start(const CONFIG *config)
{
    int     per_region, i;

    if (strcmp(config->outbox_relay, "none") == 0) {
	msg_info("outbox: OutboxRelay none: this daemon sends no mail");
	return;
    }
    wake_pipes_open(config->region_count);
    per_region = config->outbox_senders < OUTBOX_SENDERS_MAX ? config->outbox_senders
	: OUTBOX_SENDERS_MAX;
    if (per_region < config->outbox_senders)
	msg_warn("outbox: OutboxSenders %d: starting %d, the most there may be",
		 config->outbox_senders, per_region);
    sender_count = per_region * config->region_count;
    senders = g_new0(SENDER, sender_count);
    for (i = 0; i < sender_count; i++) {
	senders[i].start = config;
	senders[i].region = i / per_region;
	senders[i].smtp = smtp_client_new();
	snprintf(senders[i].name, sizeof(senders[i].name), "outbox%s%s",
		 config->region_count > 1 ? " of region " : "",
		 config->region_count > 1 ? config->regions[senders[i].region].name : "");
	worker_start(&senders[i].worker, senders[i].name, outbox_main, &senders[i]);
    }
    if (config->region_count > 1)
	msg_info("outbox: %d sender(s) for each of %d regions to %s", per_region,
		 config->region_count, config->outbox_relay);
    else
	msg_info("outbox: %d sender(s) to %s", sender_count, config->outbox_relay);
}

/* outbox_wake - after a commit that queued mail: wake an idle sender */

void    outbox_wake(int region)
{
    if (region < wake_count && write(wake_pipes[region][1], "w", 1) < 0 && errno != EAGAIN)
	msg_warn("outbox: cannot wake the senders: %m");
}

/* outbox_stop - stop the sender threads */

void    outbox_stop(void)
{
    int     i;

    for (i = 0; i < sender_count; i++) {
	worker_stop(&senders[i].worker);
	smtp_client_free(senders[i].smtp);
    }
    g_free(senders);
    senders = NULL;
    sender_count = 0;
    /* The wake pipes stay open: a connection still in flight may write. */
}
