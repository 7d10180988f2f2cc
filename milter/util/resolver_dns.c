/*++
/* NAME
/*	resolver_dns 3
/* SUMMARY
/*	the resolver backend that asks the name servers: short attempts,
/*	a bounded cache
/* DESCRIPTION
/*	See resolver.h. libspf2, libopendkim and our DMARC lookup all ask
/*	through it (auth_spf.c, auth_dkim.c, auth_dmarc.c). (libopendkim's
/*	own stub shares one resolver state between all threads, and
/*	concurrent queries then lose each other's answers.) Each query has
/*	resolver state and sockets of its own; the cache and the settings
/*	belong to the RESOLVER, nothing to the process.
/*
/*	Attempts. A resolver that drops a share of the queries under
/*	load must not cost seconds per lost packet, nor turn a proven
/*	sender's result into temperror. So a query goes out over UDP
/*	again and again, each time after a short wait (DNS_ATTEMPT_MS;
/*	it grows only after DNS_ATTEMPT_FLAT sends, up to
/*	DNS_ATTEMPT_MAX_MS), in turn to each name server of resolv.conf,
/*	until an answer comes or DNSTimeout has passed in all. Every send
/*	carries the same query, and the sockets of earlier sends are still
/*	read, so a late answer to any of them counts. (glibc's res_nsend()
/*	cannot do this: it counts its timeouts in whole seconds.) An
/*	answer must come from the server asked (a connected socket), carry
/*	our random query id and repeat our question; anything else is
/*	ignored. A server that nothing listens on (ICMP port unreachable)
/*	is given up for this query at once; when all are, the query fails
/*	without waiting. SERVFAIL, REFUSED or NOTIMP from one server sends
/*	the query on to the others; it is the answer when none of them
/*	answers.
/*
/*	An answer is read whole or not at all: a UDP answer with the TC
/*	flag (or larger than the buffer) is asked again over TCP with
/*	res_nsend(), which returns the full length of a TCP answer larger
/*	than the buffer it filled; so a length past the buffer, or an
/*	answer that still says it is truncated, is a failure (temperror),
/*	never parsed (resolver_truncated()).
/*
/*	The cache. Answers with rcode NOERROR or NXDOMAIN are kept as
/*	long as their TTL says: the smallest in the answer section, or
/*	for "no such name" and "no such record" the SOA's negative TTL
/*	(RFC 2308; without a SOA they are not kept), at most
/*	DNS_CACHE_TTL_MAX seconds, DNS_CACHE_NEGATIVE_MAX for negative
/*	answers. Failures (no answer, SERVFAIL, truncation) are never
/*	kept: the next lookup asks again. The cache holds at most
/*	DNSCacheSize bytes (answers, keys and a per-entry overhead
/*	counted); past that the oldest entries go first; 0 turns it off.
/*	One mutex guards it, held only to copy an answer in or out, never
/*	while the DNS is asked.
/*
/*	Why not libunbound. Measured against dnsmasq dropping 20 % of the
/*	queries, libunbound (Debian 12, forwarding to resolv.conf's
/*	servers) lost nothing either, its adaptive timeouts costing less
/*	per lost packet (worst 0.1 s in 100 queries; ours 0.2 s per lost
/*	packet). But out of the box it refuses to ask a resolver on
/*	127.0.0.1 (do-not-query-localhost), answers names under .test and
/*	other RFC 6761 zones NXDOMAIN itself, has no per-query deadline
/*	(DNSTimeout would need asynchronous queries and ub_cancel, as
/*	OpenDKIM's glue does) and would be one more library parsing DNS
/*	answers from the network. This file needs none of that, and its
/*	cache keeps only what it is told to.
/*--*/

/* System library. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Utility library. */
#include <milter/util/resolver.h>

#define DNS_ATTEMPT_MS	200		/* the wait after each of the first sends */
#define DNS_ATTEMPT_FLAT 6		/* sends before the wait doubles */
#define DNS_ATTEMPT_MAX_MS 2000		/* the longest wait after one send */
#define DNS_CACHE_TTL_MAX 3600		/* seconds an answer is kept, at most */
#define DNS_CACHE_NEGATIVE_MAX 600	/* the same for "no such name/record" */
#define DNS_CACHE_OVERHEAD 128		/* bytes counted per entry besides its data */

/* One cached answer. */
typedef struct DNS_CACHED {
    char   *key;			/* "type/name", the name in lower case */
    unsigned char *answer;		/* the whole DNS message */
    size_t  len;
    size_t  cost;			/* what it counts against DNSCacheSize */
    gint64  expires;			/* monotonic microseconds */
    GList  *link;			/* its place in cache_order */
} DNS_CACHED;

/* The name servers of one query and its sockets. */
typedef struct DNS_SERVERS {
    int     count;
    struct sockaddr_storage addr[MAXNS];
    socklen_t addr_len[MAXNS];
    int     fd[MAXNS];			/* -1: not opened (yet) */
    int     given_up[MAXNS];		/* unreachable, or failed this query */
} DNS_SERVERS;

/* The backend's state; the interface comes first. */
typedef struct RESOLVER_DNS {
    RESOLVER resolver;
    int     timeout;			/* seconds a query may take in all */
    size_t  cache_limit;		/* DNSCacheSize; 0: no cache */
    struct sockaddr_in server;		/* unit tests: the one name server */
    GMutex  cache_lock;			/* guards what follows */
    GHashTable *cache;			/* key -> DNS_CACHED */
    GQueue  cache_order;		/* oldest first */
    size_t  cache_bytes;
} RESOLVER_DNS;

/* cache_key - "type/name", the name in lower case without the final dot */

static char *cache_key(const char *name, int type)
{
    char   *key = g_strdup_printf("%d/%s", type, name);
    size_t  len = strlen(key);

    if (key[len - 1] == '.')
	key[len - 1] = 0;
    for (char *p = key; *p; p++)
	*p = g_ascii_tolower(*p);
    return (key);
}

/* cache_drop - forget one entry; the lock is held */

static void cache_drop(RESOLVER_DNS *dns, DNS_CACHED *entry)
{
    g_queue_delete_link(&dns->cache_order, entry->link);
    dns->cache_bytes -= entry->cost;
    g_hash_table_remove(dns->cache, entry->key);
}

/* cache_free - one entry's memory (the table's value destructor) */

static void cache_free(gpointer data)
{
    DNS_CACHED *entry = data;

    g_free(entry->key);
    g_free(entry->answer);
    g_free(entry);
}

/* cache_get - a live cached answer copied into answer: its length, or -1 */

static int cache_get(RESOLVER_DNS *dns, const char *key, unsigned char *answer, size_t size)
{
    DNS_CACHED *entry;
    int     len = -1;

    g_mutex_lock(&dns->cache_lock);
    if ((entry = g_hash_table_lookup(dns->cache, key)) != NULL) {
	if (entry->expires <= g_get_monotonic_time()) {
	    cache_drop(dns, entry);
	} else if (entry->len <= size) {
	    memcpy(answer, entry->answer, entry->len);
	    len = (int) entry->len;
	}
    }
    g_mutex_unlock(&dns->cache_lock);
    return (len);
}

/* cache_put - keep an answer for ttl seconds, within DNSCacheSize */

static void cache_put(RESOLVER_DNS *dns, const char *key, const unsigned char *answer,
		              size_t len, int ttl)
{
    DNS_CACHED *entry, *old;
    size_t  cost = len + strlen(key) + 1 + DNS_CACHE_OVERHEAD;

    if (ttl <= 0 || cost > dns->cache_limit)
	return;
    entry = g_new0(DNS_CACHED, 1);
    entry->key = g_strdup(key);
    entry->answer = g_memdup2(answer, len);
    entry->len = len;
    entry->cost = cost;
    entry->expires = g_get_monotonic_time() + (gint64) ttl * G_USEC_PER_SEC;
    g_mutex_lock(&dns->cache_lock);
    if ((old = g_hash_table_lookup(dns->cache, key)) != NULL)
	cache_drop(dns, old);
    /* Oldest first: expired or not, they are the nearest to expiring. */
    while (dns->cache_bytes + cost > dns->cache_limit
	   && (old = g_queue_peek_head(&dns->cache_order)) != NULL)
	cache_drop(dns, old);
    g_queue_push_tail(&dns->cache_order, entry);
    entry->link = g_queue_peek_tail_link(&dns->cache_order);
    dns->cache_bytes += cost;
    g_hash_table_insert(dns->cache, entry->key, entry);
    g_mutex_unlock(&dns->cache_lock);
}

/* negative_ttl - RFC 2308: the SOA's TTL or its MINIMUM, whichever is less */

static int negative_ttl(ns_msg msg)
{
    ns_rr   rr;

    for (int i = 0; i < ns_msg_count(msg, ns_s_ns); i++) {
	if (ns_parserr(&msg, ns_s_ns, i, &rr) < 0 || ns_rr_type(rr) != ns_t_soa
	    || ns_rr_rdlen(rr) < 4)
	    continue;
	return (MIN(MIN(ns_rr_ttl(rr), ns_get32(ns_rr_rdata(rr) + ns_rr_rdlen(rr) - 4)),
		    DNS_CACHE_NEGATIVE_MAX));
    }
    return (0);
}

/* answer_ttl - how long an answer may be kept; 0: not at all */

static int answer_ttl(const unsigned char *answer, int len)
{
    ns_msg  msg;
    ns_rr   rr;
    unsigned ttl = DNS_CACHE_TTL_MAX;
    int     count;

    if (ns_initparse(answer, len, &msg) < 0)
	return (0);
    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_nxdomain:
	return (negative_ttl(msg));
    case ns_r_noerror:
	break;
    default:
	return (0);
    }
    if ((count = ns_msg_count(msg, ns_s_an)) == 0)
	return (negative_ttl(msg));
    for (int i = 0; i < count; i++) {
	if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
	    return (0);
	ttl = MIN(ttl, ns_rr_ttl(rr));
    }
    return ((int) ttl);
}

/* servers_load - the name servers that res_ninit() read from resolv.conf */

static void servers_load(const RESOLVER_DNS *dns, res_state res, DNS_SERVERS *servers)
{
    memset(servers, 0, sizeof(*servers));
    if (dns->server.sin_family == AF_INET) {
	memcpy(&servers->addr[0], &dns->server, sizeof(dns->server));
	servers->addr_len[0] = sizeof(dns->server);
	servers->fd[0] = -1;
	servers->count = 1;
	return;
    }
    for (int i = 0; i < res->nscount && i < MAXNS; i++) {
	int     n = servers->count;

	if (res->nsaddr_list[i].sin_family == AF_INET) {
	    memcpy(&servers->addr[n], &res->nsaddr_list[i], sizeof(res->nsaddr_list[i]));
	    servers->addr_len[n] = sizeof(res->nsaddr_list[i]);
	} else if (res->_u._ext.nsaddrs[i] != NULL
		   && res->_u._ext.nsaddrs[i]->sin6_family == AF_INET6) {
	    memcpy(&servers->addr[n], res->_u._ext.nsaddrs[i], sizeof(struct sockaddr_in6));
	    servers->addr_len[n] = sizeof(struct sockaddr_in6);
	} else {
	    continue;
	}
	servers->fd[n] = -1;
	servers->count++;
    }
}

/* servers_close - close the sockets of one query */

static void servers_close(DNS_SERVERS *servers)
{
    for (int i = 0; i < servers->count; i++)
	if (servers->fd[i] >= 0)
	    close(servers->fd[i]);
}

/* server_send - send the query to server i; -1 gives the server up */

static int server_send(DNS_SERVERS *servers, int i, const unsigned char *query, int len)
{
    if (servers->fd[i] < 0) {
	servers->fd[i] = socket(servers->addr[i].ss_family,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (servers->fd[i] < 0)
	    return (servers->given_up[i] = 1, -1);
	if (connect(servers->fd[i], (struct sockaddr *) &servers->addr[i],
		    servers->addr_len[i]) < 0) {
	    close(servers->fd[i]);
	    servers->fd[i] = -1;
	    return (servers->given_up[i] = 1, -1);
	}
    }
    if (send(servers->fd[i], query, len, MSG_NOSIGNAL) != len) {
	/* ECONNREFUSED: an earlier send drew a "port unreachable". */
	if (errno != EAGAIN && errno != EINTR)
	    servers->given_up[i] = 1;
	return (-1);
    }
    return (0);
}

/* same_question - the answer repeats our question (name, type, class) */

static int same_question(const unsigned char *query, int qlen,
			         const unsigned char *answer, int alen)
{
    char    qname[NS_MAXDNAME], aname[NS_MAXDNAME];
    int     qn, an;

    if (alen < NS_HFIXEDSZ || ns_get16(answer + 4) != 1)
	return (0);
    qn = dn_expand(query, query + qlen, query + NS_HFIXEDSZ, qname, sizeof(qname));
    an = dn_expand(answer, answer + alen, answer + NS_HFIXEDSZ, aname, sizeof(aname));
    if (qn < 0 || an < 0 || NS_HFIXEDSZ + an + 4 > alen || NS_HFIXEDSZ + qn + 4 > qlen)
	return (0);
    return (strcasecmp(qname, aname) == 0
	    && memcmp(query + NS_HFIXEDSZ + qn, answer + NS_HFIXEDSZ + an, 4) == 0);
}

/* server_read - one datagram from server i: its length when it is our answer */

static int server_read(DNS_SERVERS *servers, int i, const unsigned char *query, int qlen,
		               unsigned char *answer, size_t size)
{
    ssize_t len;

    len = recv(servers->fd[i], answer, size > INT_MAX ? INT_MAX : size, MSG_TRUNC);
    if (len < 0) {
	if (errno != EAGAIN && errno != EINTR)
	    servers->given_up[i] = 1;
	return (-1);
    }
    if (len < NS_HFIXEDSZ || (answer[2] & 0x80) == 0
	|| memcmp(answer, query, 2) != 0)
	return (-1);
    /* Cut short by our buffer: mark it truncated, to be asked over TCP. */
    if ((size_t) len > size) {
	answer[2] |= 0x02;
	return ((int) size);
    }
    if (!same_question(query, qlen, answer, (int) len))
	return (-1);
    return ((int) len);
}

/* attempt_ms - how long to wait for an answer after send number n */

static int attempt_ms(int n)
{
    if (n < DNS_ATTEMPT_FLAT)
	return (DNS_ATTEMPT_MS);
    return (MIN(DNS_ATTEMPT_MS << MIN(n - DNS_ATTEMPT_FLAT + 1, 4), DNS_ATTEMPT_MAX_MS));
}

/* servers_live - how many servers are not given up */

static int servers_live(const DNS_SERVERS *servers)
{
    int     live = 0;

    for (int i = 0; i < servers->count; i++)
	live += !servers->given_up[i];
    return (live);
}

/* soft_failure - SERVFAIL, REFUSED, NOTIMP: another server may do better */

static int soft_failure(const unsigned char *answer, int len)
{
    int     rcode = len >= NS_HFIXEDSZ ? (answer[3] & 0x0f) : ns_r_servfail;

    return (rcode == ns_r_servfail || rcode == ns_r_refused || rcode == ns_r_notimpl);
}

/* wait_answer - read the sockets until an answer or the time is up */

static int wait_answer(DNS_SERVERS *servers, const unsigned char *query, int qlen,
		               unsigned char *answer, size_t size, gint64 until,
		               unsigned char **fallback, int *fallback_len)
{
    struct pollfd fds[MAXNS];
    int     map[MAXNS], nfds, len, ms;
    gint64  now;

    while ((now = g_get_monotonic_time()) < until && servers_live(servers) > 0) {
	nfds = 0;
	for (int i = 0; i < servers->count; i++) {
	    if (servers->fd[i] >= 0 && !servers->given_up[i]) {
		fds[nfds].fd = servers->fd[i];
		fds[nfds].events = POLLIN;
		map[nfds++] = i;
	    }
	}
	ms = (int) ((until - now + 999) / 1000);
	if (nfds == 0 || poll(fds, nfds, ms) <= 0)
	    continue;
	for (int k = 0; k < nfds; k++) {
	    if ((fds[k].revents & (POLLIN | POLLERR)) == 0
		|| (len = server_read(servers, map[k], query, qlen, answer, size)) < 0)
		continue;
	    if (!soft_failure(answer, len) || servers_live(servers) == 1)
		return (len);
	    /* Keep the first failure in case no one else answers. */
	    servers->given_up[map[k]] = 1;
	    if (*fallback == NULL) {
		*fallback = g_memdup2(answer, len);
		*fallback_len = len;
	    }
	}
    }
    return (-1);
}

/* udp_exchange - the query over UDP, in short attempts, until the deadline */

static int udp_exchange(DNS_SERVERS *servers, const unsigned char *query, int qlen,
			        unsigned char *answer, size_t size, gint64 deadline)
{
    unsigned char *fallback = NULL;
    int     fallback_len = 0, len = -1, next = 0;

    for (int n = 0; len < 0 && servers_live(servers) > 0; n++) {
	gint64  now = g_get_monotonic_time(), until;

	if (now >= deadline)
	    break;
	/* The next server in turn that is still in the game. */
	for (int k = 0; k < servers->count; k++, next++)
	    if (!servers->given_up[next % servers->count])
		break;
	(void) server_send(servers, next++ % servers->count, query, qlen);
	until = MIN(deadline, now + (gint64) attempt_ms(n) * 1000);
	len = wait_answer(servers, query, qlen, answer, size, until, &fallback, &fallback_len);
    }
    if (len < 0 && fallback != NULL && (size_t) fallback_len <= size) {
	memcpy(answer, fallback, fallback_len);
	len = fallback_len;
    }
    g_free(fallback);
    return (len);
}

/* dns_ask - one question to the name servers: UDP, then TCP if truncated */

static int dns_ask(const RESOLVER_DNS *dns, const char *name, int type,
		          unsigned char *answer, size_t size)
{
    struct __res_state res;
    DNS_SERVERS servers;
    unsigned char query[NS_PACKETSZ];
    gint64  deadline = g_get_monotonic_time() + (gint64) dns->timeout * G_USEC_PER_SEC;
    uint16_t id;
    int     qlen, len = -1;

    memset(&res, 0, sizeof(res));
    if (res_ninit(&res) != 0)
	return (-1);
    qlen = res_nmkquery(&res, ns_o_query, name, ns_c_in, type, NULL, 0, NULL,
			query, sizeof(query));
    if (qlen >= NS_HFIXEDSZ && getrandom(&id, sizeof(id), 0) == sizeof(id)) {
	memcpy(query, &id, sizeof(id));
	servers_load(dns, &res, &servers);
	len = udp_exchange(&servers, query, qlen, answer, size, deadline);
	servers_close(&servers);
	if (len >= NS_HFIXEDSZ && (answer[2] & 0x02) != 0) {
	    /* Truncated: ask again over TCP, in what time is left. */
	    res.options |= RES_USEVC;
	    res.retry = 1;
	    res.retrans = (int) MAX(1, (deadline - g_get_monotonic_time()) / G_USEC_PER_SEC);
	    len = res_nsend(&res, query, qlen, answer, size > INT_MAX ? INT_MAX : (int) size);
	}
    }
    res_nclose(&res);
    return (len);
}

/* dns_query - one question: from the cache, or from the name servers */

static int dns_query(RESOLVER *resolver, const char *name, int type,
		             unsigned char *answer, size_t size)
{
    RESOLVER_DNS *dns = (RESOLVER_DNS *) resolver;
    char   *key = cache_key(name, type);
    int     len;

    if ((len = cache_get(dns, key, answer, size)) < 0) {
	len = dns_ask(dns, name, type, answer, size);
	if (resolver_truncated(answer, len, size))
	    len = -1;
	if (len > 0 && dns->cache_limit > 0)
	    cache_put(dns, key, answer, (size_t) len, answer_ttl(answer, len));
    }
    g_free(key);
    return (len);
}

/* dns_free - the cache and the state */

static void dns_free(RESOLVER *resolver)
{
    RESOLVER_DNS *dns = (RESOLVER_DNS *) resolver;

    g_queue_clear(&dns->cache_order);
    g_hash_table_destroy(dns->cache);
    g_mutex_clear(&dns->cache_lock);
    g_free(dns);
}

/* resolver_dns_new - a resolver that asks the name servers */

RESOLVER *resolver_dns_new(int timeout, size_t cache_size)
{
    RESOLVER_DNS *dns = g_new0(RESOLVER_DNS, 1);

    dns->resolver.name = "dns";
    dns->resolver.query = dns_query;
    dns->resolver.free = dns_free;
    dns->timeout = timeout;
    dns->cache_limit = cache_size;
    g_mutex_init(&dns->cache_lock);
    dns->cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, cache_free);
    g_queue_init(&dns->cache_order);
    return (&dns->resolver);
}

/* resolver_dns_server - unit tests: ask this server, not resolv.conf's */

void    resolver_dns_server(RESOLVER *resolver, const char *ip, int port)
{
    RESOLVER_DNS *dns = (RESOLVER_DNS *) resolver;

    if (resolver->query != dns_query)
	msg_fatal("resolver_dns_server: not a DNS resolver but \"%s\"", resolver->name);
    memset(&dns->server, 0, sizeof(dns->server));
    dns->server.sin_family = AF_INET;
    dns->server.sin_port = htons(port);
    inet_pton(AF_INET, ip, &dns->server.sin_addr);
}
