/*++
/* NAME
/*	region_ingest 3
/* SUMMARY
/*	store a support message in the region of each queue it is for
/* DESCRIPTION
/*	See region_ingest.h. The pools are made once at start and only
/*	read afterwards, so the milter's threads share them unguarded.
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Application-specific. */
#include <milter/daemon/outbox.h>
#include <milter/daemon/region_ingest.h>

static STORE **region_stores;		/* by region index */
static int region_count;

/* region_ingest_start - a pool for each region */

void    region_ingest_start(const CONFIG *config)
{
    region_count = config->region_count;
    region_stores = g_new0(STORE *, region_count);
    for (int i = 0; i < region_count; i++)
	region_stores[i] = store_create(config->regions[i].conninfo,
					config->database_connections, config->database_timeout);
}

/* region_ingest_stop - free the pools */

void    region_ingest_stop(void)
{
    for (int i = 0; i < region_count; i++)
	store_free(region_stores[i]);
    g_free(region_stores);
    region_stores = NULL;
    region_count = 0;
}

/* only_region - the members of list whose region (in regions) is region */

static GPtrArray *only_region(GPtrArray *list, GArray *regions, int region)
{
    GPtrArray *mine = g_ptr_array_new();

    for (guint i = 0; i < list->len; i++)
	if (g_array_index(regions, int, i) == region)
	    g_ptr_array_add(mine, g_ptr_array_index(list, i));
    return (mine);
}

/* join - a, then ",", then b (either may be NULL); a is freed */

static char *join(char *a, const char *b)
{
    char   *joined;

    if (b == NULL)
	return (a);
    if (a == NULL)
	return (g_strdup(b));
    joined = g_strconcat(a, ",", b, NULL);
    g_free(a);
    return (joined);
}

/* merge - what one more region said, into the result of several */

static void merge(INGEST_RESULT *into, INGEST_RESULT *one, const char *qid)
{
    into->ticket = join(into->ticket, one->ticket);
    into->rule = join(into->rule, one->rule);
    into->confirmation = join(into->confirmation, one->confirmation);
    into->notified = join(into->notified, one->notified);
    into->created |= one->created;
    into->duplicate &= one->duplicate;
    into->queued |= one->queued;
    if (into->relay == NULL)
	into->relay = g_steal_pointer(&one->relay);
    else if (one->relay)
	msg_warn("%s: an agent's answer to tickets of two regions: relayed for ticket"
		 " %s only", qid, into->ticket);
    /* The MTA's copy goes nowhere only if no region keeps it. */
    if (into->discard && one->discard)
	into->discard = join(into->discard, one->discard);
    else
	g_clear_pointer(&into->discard, g_free);
    ingest_result_clear(one);
}

/* region_store - store the message in one region */

static int region_store(const CONFIG *config, const SESSION *session, const char *qid,
			        int region, const MAIL *mail, const char *raw, size_t raw_len,
			        INGEST_RESULT *result, TM_ERROR *err)
{
    INGEST_ENVELOPE envelope;
    int     ret;

    session_envelope(session, qid, &envelope);
    envelope.queues = only_region(session->support_queues, session->queue_regions, region);
    envelope.tokens = only_region(session->reply_tokens, session->token_regions, region);
    ret = ingest_message(region_stores[region], config, &envelope, mail, raw, raw_len,
			 result, err);
    g_ptr_array_free(envelope.queues, TRUE);
    g_ptr_array_free(envelope.tokens, TRUE);
    /* Committed: mail it queued goes out now, without a NOTIFY (sql/015);
     * a message that queued none wakes no sender for a round in vain. */
    if (ret == 0 && result->queued)
	outbox_wake(region);
    if (ret < 0 && region_count > 1) {
	char   *why = g_strdup(err->text);

	snprintf(err->text, sizeof(err->text), "region %s: %s", config->regions[region].name, why);
	g_free(why);
    }
    return (ret);
}

/* has_region - a support queue of the message is in the region */

static int has_region(const SESSION *session, int region)
{
    for (guint i = 0; i < session->queue_regions->len; i++)
	if (g_array_index(session->queue_regions, int, i) == region)
	    return (1);
    return (0);
}

/* region_ingest - store the message in each region it is for */

int     region_ingest(const CONFIG *config, const SESSION *session, const char *qid,
		              const MAIL *mail, const char *raw, size_t raw_len,
		              INGEST_RESULT *result, TM_ERROR *err)
{
    INGEST_RESULT one;
    int     stored = 0;

    memset(result, 0, sizeof(*result));
    for (int region = 0; region < region_count; region++) {
	if (!has_region(session, region))
	    continue;
	if (region_store(config, session, qid, region, mail, raw, raw_len,
			 stored ? &one : result, err) < 0) {
	    ingest_result_clear(result);
	    return (-1);
	}
	if (stored++)
	    merge(result, &one, qid);
    }
    return (0);
}
