/*++
/* NAME
/*	store 3
/* SUMMARY
/*	PostgreSQL connections: connect one, or share a pool
/* DESCRIPTION
/*	See store.h. The pool is a stack of idle connections under a
/*	mutex; a thread that finds none free and the pool full waits on a
/*	condition until one is returned or its deadline passes.
/*--*/

/* System library. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* External libraries. */
#include <glib.h>

/* Global library. */
#include <milter/core/query.h>
#include <milter/core/store.h>

struct STORE {
    char   *conninfo;
    int     timeout;			/* seconds, per operation */
    int     pool_size;			/* connections at most */
    int     open_count;			/* connections open now */
    GPtrArray *idle;			/* PGconn *, ready for use */
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

/* tls_hint - what libpq's terse "certificate verify failed" means here */

static const char *tls_hint(PGconn *conn)
{
    if (conn && strstr(PQerrorMessage(conn), "certificate verify failed"))
	return (" (the server's TLS certificate is not signed by a CA in the"
		" file sslrootcert names, or is not valid now)");
    return ("");
}

/* host_count - how many hosts the conninfo lists (host=a,b: 2); 1 if unsure */

static int host_count(const char *conninfo)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *opt;
    int     count = 1;

    for (opt = opts; opt && opt->keyword; opt++) {
	if ((strcmp(opt->keyword, "host") == 0 || strcmp(opt->keyword, "hostaddr") == 0)
	    && opt->val && *opt->val) {
	    int     n = 1;

	    for (const char *cp = opt->val; *cp; cp++)
		n += *cp == ',';
	    count = n > count ? n : count;
	}
    }
    PQconninfoFree(opts);
    return (count);
}

/* store_connect - open one connection, bounded by timeout seconds */

PGconn *store_connect(const char *conninfo, int timeout, TM_ERROR *err)
{
    char    timeout_text[16];
    /* Defaults first: the admin's conninfo (expanded from dbname) wins. */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", 0};
    const char *values[] = {timeout_text, "ticket-milter", conninfo, 0};
    PGconn *conn;
    int     per_host;

    /*
     * libpq's connect_timeout holds for each host in turn: a host that
     * accepts but never answers (stopped, cut off) must leave time for the
     * next, the primary after a failover. libpq takes 2 s at least.
     */
    per_host = timeout / host_count(conninfo);
    snprintf(timeout_text, sizeof(timeout_text), "%d", per_host > 2 ? per_host : 2);
    conn = PQconnectdbParams(keys, values, 1);
    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
	tm_error(err, "cannot connect to the database: %s%s", query_error_line(conn), tls_hint(conn));
	PQfinish(conn);
	return (NULL);
    }
    return (conn);
}

/* store_create - a pool of connections, opened on demand */

STORE  *store_create(const char *conninfo, int pool_size, int timeout)
{
    STORE  *store = g_new0(STORE, 1);

    store->conninfo = g_strdup(conninfo);
    store->pool_size = pool_size;
    store->timeout = timeout;
    store->idle = g_ptr_array_new();
    pthread_mutex_init(&store->lock, 0);
    pthread_cond_init(&store->freed, 0);
    return (store);
}

/* store_free - close every idle connection and release the pool */

void    store_free(STORE *store)
{
    if (store == NULL)
	return;
    for (guint i = 0; i < store->idle->len; i++)
	PQfinish(g_ptr_array_index(store->idle, i));
    g_ptr_array_free(store->idle, TRUE);
    pthread_mutex_destroy(&store->lock);
    pthread_cond_destroy(&store->freed);
    g_free(store->conninfo);
    g_free(store);
}

/* store_timeout - the seconds each operation through the pool may take */

int     store_timeout(const STORE *store)
{
    return (store->timeout);
}

/* conn_alive - false if the server has closed an idle connection */

static int conn_alive(PGconn *conn)
{
    struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};

    if (PQstatus(conn) != CONNECTION_OK || pfd.fd < 0)
	return (0);
    /* An idle connection has nothing to read unless the server hung up. */
    if (poll(&pfd, 1, 0) > 0) {
	if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
	    return (0);
    }
    return (1);
}

/* store_acquire - a live connection from the pool, by the deadline */

PGconn *store_acquire(STORE *store, long long deadline, int *fresh, TM_ERROR *err)
{
    PGconn *conn = NULL;

    *fresh = 0;
    pthread_mutex_lock(&store->lock);
    for (;;) {
	while (store->idle->len > 0) {
	    conn = g_ptr_array_remove_index(store->idle, store->idle->len - 1);
	    if (conn_alive(conn)) {
		pthread_mutex_unlock(&store->lock);
		return (conn);
	    }
	    PQfinish(conn);
	    store->open_count--;
	}
	if (store->open_count < store->pool_size)
	    break;
	struct timespec ts;
	long long left = deadline - query_now_ms();

	if (left <= 0) {
	    pthread_mutex_unlock(&store->lock);
	    tm_error(err, "all %d database connections are busy", store->pool_size);
	    return (NULL);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += left / 1000;
	ts.tv_nsec += (left % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
	    ts.tv_sec++;
	    ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&store->freed, &store->lock, &ts);
    }
    store->open_count++;
    pthread_mutex_unlock(&store->lock);
    if ((conn = store_connect(store->conninfo, store->timeout, err)) == NULL) {
	pthread_mutex_lock(&store->lock);
	store->open_count--;
	pthread_cond_signal(&store->freed);
	pthread_mutex_unlock(&store->lock);
    } else {
	*fresh = 1;
    }
    return (conn);
}

/* store_release - return a connection; a broken one is closed */

void    store_release(STORE *store, PGconn *conn, int broken)
{
    /* Behind a proxy, a notification for another session can land here. */
    query_notified(conn);
    pthread_mutex_lock(&store->lock);
    if (broken || PQstatus(conn) != CONNECTION_OK
	|| PQtransactionStatus(conn) != PQTRANS_IDLE) {
	PQfinish(conn);
	store->open_count--;
    } else {
	g_ptr_array_add(store->idle, conn);
    }
    pthread_cond_signal(&store->freed);
    pthread_mutex_unlock(&store->lock);
}
