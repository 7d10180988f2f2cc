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
#include <milter/core/worker.h>

/* Application-specific. */
#include <milter/daemon/queue_cache.h>

static pthread_rwlock_t cache_lock = PTHREAD_RWLOCK_INITIALIZER;
static GHashTable *cache_addresses;	/* address -> itself; NULL: never loaded */
static WORKER cache_worker;
static char *cache_conninfo;
static int cache_refresh;
static int cache_timeout;

/* cache_load - read the queue addresses; -1 on a database error, logged */

static int cache_load(PGconn *conn)
{
    PGresult *res = worker_query(&cache_worker, conn, cache_timeout,
				 "reading the support addresses",
				 "SELECT address FROM queues WHERE retired_at IS NULL", 0, 0, 0, 0);
    GHashTable *table, *old;

    if (res == NULL)
	return (-1);
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (int i = 0; i < PQntuples(res); i++) {
	char   *addr = g_strdup(PQgetvalue(res, i, 0));

	g_hash_table_add(table, addr);
    }
    PQclear(res);
    pthread_rwlock_wrlock(&cache_lock);
    old = cache_addresses;
    cache_addresses = table;
    pthread_rwlock_unlock(&cache_lock);
    if (old != NULL)
	g_hash_table_destroy(old);
    /* Every load, so that an admin (and a test) sees a queue change arrive. */
    msg_info("loaded %u support address(es)", g_hash_table_size(table));
    return (0);
}

/* cache_schema - on each new connection: a database that was away at
 * start, or restored, gets this build's functions too */

static void cache_schema(PGconn *conn)
{
    TM_ERROR err;

    switch (migrations_ready(conn, &err)) {
    case -1:
	msg_warn("%s; support mail is tempfailed until then", err.text);
	break;
    case 1:
	msg_info("applied the SQL functions of this build (sql/functions/)");
    }
}

/* cache_main - the refresher thread: LISTEN, load, wait, repeat */

static void *cache_main(void *unused)
{
    PGconn *conn = NULL;

    for (;;) {
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	    PQfinish(conn);
	    conn = worker_connect(&cache_worker, cache_conninfo, cache_timeout,
				  "ticket_milter_queues");
	    if (conn == NULL) {
		if (worker_wait(&cache_worker, NULL, 2))
		    break;
		continue;
	    }
	    cache_schema(conn);
	}
	if (cache_load(conn) < 0) {
	    PQfinish(conn);
	    conn = NULL;
	    if (worker_wait(&cache_worker, NULL, 2))
		break;
	    continue;
	}
	if (worker_wait(&cache_worker, conn, cache_refresh))
	    break;
    }
    PQfinish(conn);
    return (NULL);
}

/* queue_cache_start - start the refresher thread */

void    queue_cache_start(const char *conninfo, int refresh, int timeout)
{
    cache_conninfo = g_strdup(conninfo);
    cache_refresh = refresh;
    cache_timeout = timeout;
    worker_start(&cache_worker, "support queues", cache_main, NULL);
}

/* queue_cache_lookup - 1 support, 0 other, -1 not known yet */

int     queue_cache_lookup(const char *address)
{
    int     found;

    pthread_rwlock_rdlock(&cache_lock);
    if (cache_addresses == NULL)
	found = -1;
    else
	found = g_hash_table_contains(cache_addresses, address);
    pthread_rwlock_unlock(&cache_lock);
    return (found);
}

/* queue_cache_stop - stop the thread and release the list */

void    queue_cache_stop(void)
{
    worker_stop(&cache_worker);
    pthread_rwlock_wrlock(&cache_lock);
    if (cache_addresses)
	g_hash_table_destroy(cache_addresses);
    cache_addresses = NULL;
    pthread_rwlock_unlock(&cache_lock);
    g_free(cache_conninfo);
    cache_conninfo = NULL;
}
