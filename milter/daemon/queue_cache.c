/*++
/* NAME
/*	queue_cache 3
/* SUMMARY
/*	the support addresses, kept in memory and current
/* DESCRIPTION
/*	See queue_cache.h. The list is a GHashTable replaced whole on each
/*	reload under a read-write lock; lookups only take the read lock.
/*--*/

/* System library. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

/* External libraries. */
#include <glib.h>

/* Utility library. */
#include <milter/util/log.h>

/* Global library. */
#include <milter/core/migrations.h>
#include <milter/core/region.h>
#include <milter/core/worker.h>

/* Application-specific. */
#include <milter/daemon/queue_cache.h>

/* One region's queue addresses and the thread that keeps them. */
typedef struct CACHE_REGION {
    WORKER  worker;
    int     index;			/* in config->regions */
    GHashTable *addresses;		/* address -> itself; NULL: not loaded */
} CACHE_REGION;

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static CACHE_REGION *cache_regions;
static int cache_count;
static const CONFIG *cache_config;	/* a reference: the settings at start */

/* cache_replace - a region's list is now table (NULL: unknown) */

static void cache_replace(CACHE_REGION *region, GHashTable *table)
{
    GHashTable *old;

    pthread_rwlock_wrlock(&cache_lock);
    old = region->addresses;
    region->addresses = table;
    pthread_rwlock_unlock(&cache_lock);
    if (old != NULL)
	g_hash_table_destroy(old);
}

/* cache_load - read the queue addresses; -1 on a database error, logged */

static int cache_load(CACHE_REGION *region, PGconn *conn)
{
    PGresult *res = worker_query(&region->worker, conn, cache_config->database_timeout,
				 "reading the support addresses",
				 "SELECT address FROM queues WHERE retired_at IS NULL", 0, 0, 0, 0);
    GHashTable *table;

    if (res == NULL)
	return (-1);
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < PQntuples(res); i++)
	g_hash_table_add(table, g_strdup(PQgetvalue(res, i, 0)));
    PQclear(res);
    cache_replace(region, table);
    /* Every load, so that an admin (and a test) sees a queue change arrive. */
    if (cache_count > 1)
	msg_info("region %s: loaded %u support address(es)",
		 cache_config->regions[region->index].name, g_hash_table_size(table));
    else
	msg_info("loaded %u support address(es)", g_hash_table_size(table));
    return (0);
}

/* cache_schema - on each new connection: a database that was away at
 * start, or restored, gets this build's functions too; 1 when it is
 * not the region's own database (its mail is tempfailed), -1 when it
 * did not say */

static int cache_schema(CACHE_REGION *region, PGconn *conn)
{
    TM_ERROR err;

    switch (migrations_ready(conn, &err)) {
    case -1:
	msg_warn("%s; support mail is tempfailed until then", err.text);
	break;
    case 1:
	msg_info("applied the SQL functions of this build (sql/functions/)");
    }
    switch (region_verify(conn, cache_config, region->index, &err)) {
    case 1:
	msg_error("%s; the region's support mail is tempfailed until then", err.text);
	cache_replace(region, NULL);
	return (1);
    case -1:
	/* The server did not answer: its last list stays in use. */
	msg_warn("%s", err.text);
	return (-1);
    }
    return (0);
}

/* cache_main - the refresher thread: LISTEN, load, wait, repeat */

static void *cache_main(void *context)
{
    CACHE_REGION *region = context;
    PGconn *conn = NULL;
    int     wait, bad;

    for (;;) {
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	    PQfinish(conn);
	    conn = worker_connect(&region->worker, cache_config->regions[region->index].conninfo,
				  cache_config->database_timeout, "ticket_milter_queues");
	    wait = 2;
	    if (conn != NULL && (bad = cache_schema(region, conn)) != 0) {
		PQfinish(conn);
		conn = NULL;
		if (bad > 0)
		    wait = cache_config->queue_refresh;
	    }
	    if (conn == NULL) {
		if (worker_wait(&region->worker, NULL, wait))
		    break;
		continue;
	    }
	}
	if (cache_load(region, conn) < 0) {
	    PQfinish(conn);
	    conn = NULL;
	    if (worker_wait(&region->worker, NULL, 2))
		break;
	    continue;
	}
	if (worker_wait(&region->worker, conn, cache_config->queue_refresh))
	    break;
    }
    PQfinish(conn);
    return (NULL);
}

/* queue_cache_start - start a refresher thread per region */

void    queue_cache_start(const CONFIG *config)
{
    cache_config = config_ref(config);
    cache_count = config->region_count;
    cache_regions = g_new0(CACHE_REGION, cache_count);
    for (int i = 0; i < cache_count; i++) {
	cache_regions[i].index = i;
	worker_start(&cache_regions[i].worker, "support queues", cache_main, cache_regions + i);
    }
}

/* queue_cache_lookup - 1 support (in *region), 0 other, -1 not known */

int     queue_cache_lookup(const char *address, int *region)
{
    int     hits = 0, unknown = 0;

    pthread_rwlock_rdlock(&cache_lock);
    for (int i = 0; i < cache_count; i++) {
	if (cache_regions[i].addresses == NULL) {
	    unknown = 1;
	} else if (g_hash_table_contains(cache_regions[i].addresses, address)) {
	    hits++;
	    *region = i;
	}
    }
    pthread_rwlock_unlock(&cache_lock);
    if (hits > 1) {
	msg_error("%s is a queue of more than one region: its mail is tempfailed until"
		  " one of them removes it (ticketctl queue remove --region NAME)", address);
	return (-1);
    }
    return (hits ? 1 : unknown ? -1 : 0);
}

/* queue_cache_foreign - the queue addresses of the regions but one */

GPtrArray *queue_cache_foreign(int region)
{
    GPtrArray *addresses = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer address;

    pthread_rwlock_rdlock(&cache_lock);
    for (int i = 0; i < cache_count; i++) {
	if (i == region || cache_regions[i].addresses == NULL)
	    continue;
	g_hash_table_iter_init(&iter, cache_regions[i].addresses);
	while (g_hash_table_iter_next(&iter, &address, NULL))
	    g_ptr_array_add(addresses, g_strdup(address));
    }
    pthread_rwlock_unlock(&cache_lock);
    return (addresses);
}

/* queue_cache_stop - stop the threads and release the lists */

void    queue_cache_stop(void)
{
    CACHE_REGION *regions = cache_regions;
    int     count = cache_count;

    for (int i = 0; i < count; i++)
	worker_stop(&regions[i].worker);
    /* A connection still open may look up an address meanwhile. */
    pthread_rwlock_wrlock(&cache_lock);
    cache_regions = NULL;
    cache_count = 0;
    pthread_rwlock_unlock(&cache_lock);
    for (int i = 0; i < count; i++)
	if (regions[i].addresses)
	    g_hash_table_destroy(regions[i].addresses);
    g_free(regions);
    config_free(cache_config);
    cache_config = NULL;
}
