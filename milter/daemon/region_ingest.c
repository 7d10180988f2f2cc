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
#include <milter/daemon/queue_cache.h>
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

static void merge(INGEST_RESULT *into, INGEST_RESULT *one)
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
    /* The MTA's copy goes nowhere only if no region keeps it. */
    if (into->discard && one->discard)
	into->discard = join(into->discard, one->discard);
    else
	g_clear_pointer(&into->discard, g_free);
    ingest_result_clear(one);
}

/* region_name_error - prefix the region's name to err, with several */

static void region_name_error(const CONFIG *config, int region, TM_ERROR *err)
{
    char   *why;

    if (region_count < 2)
	return;
    why = g_strdup(err->text);
    snprintf(err->text, sizeof(err->text), "region %s: %s", config->regions[region].name, why);
    g_free(why);
}

/* region_store - store the message in one region; with held, its
 * transaction stays open */

static int region_store(const CONFIG *config, const SESSION *session, const char *qid,
			        int region, STORE_HELD *held, const MAIL *mail, const char *raw,
			        size_t raw_len, INGEST_RESULT *result, TM_ERROR *err)
{
    INGEST_ENVELOPE envelope;
    int     ret;

    session_envelope(session, qid, &envelope);
    envelope.queues = only_region(session->support_queues, session->queue_regions, region);
    envelope.tokens = only_region(session->reply_tokens, session->token_regions, region);
    /* Another region's queue is no customer and no participant here. */
    envelope.foreign_queues = region_count > 1 ? queue_cache_foreign(region) : NULL;
    ret = ingest_message(region_stores[region], held, config, &envelope, mail, raw, raw_len,
			 result, err);
    g_ptr_array_free(envelope.queues, TRUE);
    g_ptr_array_free(envelope.tokens, TRUE);
    if (envelope.foreign_queues)
	g_ptr_array_free(envelope.foreign_queues, TRUE);
    if (ret < 0)
	region_name_error(config, region, err);
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

/* regions_store - store the message in each region, each transaction
 * held open; -1 when one failed or two would relay (all rolled back) */

static int regions_store(const CONFIG *config, const SESSION *session, const char *qid,
			         STORE_HELD *held, const MAIL *mail, const char *raw,
			         size_t raw_len, INGEST_RESULT *result, TM_ERROR *err)
{
    INGEST_RESULT one;
    int     stored = 0, ret = 0, relays = 0;

    for (int region = 0; ret == 0 && region < region_count; region++) {
	if (!has_region(session, region))
	    continue;
	ret = region_store(config, session, qid, region, held + region, mail, raw, raw_len,
			   stored ? &one : result, err);
	if (ret == 0) {
	    relays += (stored ? one.relay : result->relay) != NULL;
	    if (stored++)
		merge(result, &one);
	}
    }
    /* One answer is relayed to one customer: refused before anything is kept. */
    if (ret == 0 && relays > 1) {
	ret = tm_error(err, "one message answers tickets of two regions: answer each ticket"
		       " on its own");
	snprintf(err->code, sizeof(err->code), "TM001");
    }
    if (ret < 0) {
	for (int region = 0; region < region_count; region++)
	    if (held[region].conn)
		store_held_end(held + region, 0, NULL);
	ingest_result_clear(result);
    }
    return (ret);
}

/* region_ingest - store the message in each region it is for */

int     region_ingest(const CONFIG *config, const SESSION *session, const char *qid,
		              const MAIL *mail, const char *raw, size_t raw_len,
		              INGEST_RESULT *result, TM_ERROR *err)
{
    STORE_HELD *held;
    int     ret = 0, only = -1, count = 0;

    memset(result, 0, sizeof(*result));
    for (int region = 0; region < region_count; region++)
	if (has_region(session, region)) {
	    only = region;
	    count++;
	}
    /* One region (nearly all mail): one transaction, committed at once. */
    if (count == 1) {
	if ((ret = region_store(config, session, qid, only, NULL, mail, raw, raw_len,
				result, err)) == 0 && result->queued)
	    outbox_wake(only);
	return (ret);
    }
    /* Several: commit in each only once every region has stored it. */
    held = g_new0(STORE_HELD, region_count);
    if ((ret = regions_store(config, session, qid, held, mail, raw, raw_len, result, err)) == 0) {
	for (int region = 0; region < region_count; region++) {
	    if (held[region].conn == NULL)
		continue;
	    if (ret == 0 && store_held_end(held + region, 1, err) < 0) {
		/* Those before committed: the client's retry finds them stored. */
		region_name_error(config, region, err);
		ret = -1;
	    } else if (ret < 0) {
		store_held_end(held + region, 0, NULL);
	    }
	}
	if (ret < 0)
	    ingest_result_clear(result);
    }
    /* Committed: queued mail goes out now, without a NOTIFY (sql/015). */
    for (int region = 0; ret == 0 && result->queued && region < region_count; region++)
	if (has_region(session, region))
	    outbox_wake(region);
    g_free(held);
    return (ret);
}
