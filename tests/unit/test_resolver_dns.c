/* test_resolver_dns - the DNS backend: short attempts, the cache, spoofing */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <poll.h>
#include <glib.h>

#include <milter/util/resolver.h>

/*
 * A name server in a thread, on a port of 127.0.0.1: it answers every TXT
 * query with one record "hello", with the rcode and TTL the test sets;
 * it can drop the next queries, and before the answer send forgeries: one
 * with another id, one for another name (both saying "evil").
 */
static int server_fd;
static int server_port;
static gint queries;			/* queries received */
static gint drop_next;			/* queries still to drop */
static gint rcode;			/* of the answers */
static gint ttl = 60;			/* of the answers */
static gint forge;			/* send forgeries first */
static gint stop;
static RESOLVER *resolver;		/* a fresh one for each test */

/* answer - the response to query (len bytes) with one TXT record */

static size_t answer(const unsigned char *query, size_t len, unsigned char *out,
		             const char *text, int flip_id, int other_name)
{
    size_t  n = len, tlen = strlen(text);

    memcpy(out, query, len);
    out[2] |= 0x80;				/* QR */
    out[3] = (unsigned char) (0x80 | g_atomic_int_get(&rcode));
    if (flip_id)
	out[0] ^= 0xff;
    if (other_name)
	out[NS_HFIXEDSZ + 1] ^= 0x01;	/* a letter of the first label */
    if (g_atomic_int_get(&rcode) != 0)
	return (n);
    out[7] = 1;					/* ANCOUNT */
    out[n++] = 0xc0, out[n++] = NS_HFIXEDSZ;	/* the question's name */
    out[n++] = 0, out[n++] = ns_t_txt, out[n++] = 0, out[n++] = ns_c_in;
    ns_put32((u_int32_t) g_atomic_int_get(&ttl), out + n), n += 4;
    out[n++] = 0, out[n++] = (unsigned char) (tlen + 1), out[n++] = (unsigned char) tlen;
    memcpy(out + n, text, tlen);
    return (n + tlen);
}

/* serve - the name server's loop */

static gpointer serve(gpointer unused)
{
    unsigned char query[512], out[1024];
    struct sockaddr_in from;
    struct pollfd pfd = {.fd = server_fd,.events = POLLIN};

    while (!g_atomic_int_get(&stop)) {
	socklen_t flen = sizeof(from);
	ssize_t len;

	if (poll(&pfd, 1, 50) <= 0)
	    continue;
	if ((len = recvfrom(server_fd, query, sizeof(query), 0,
			    (struct sockaddr *) &from, &flen)) < NS_HFIXEDSZ)
	    continue;
	g_atomic_int_inc(&queries);
	if (g_atomic_int_get(&drop_next) > 0) {
	    g_atomic_int_add(&drop_next, -1);
	    continue;
	}
	if (g_atomic_int_get(&forge)) {
	    size_t n = answer(query, (size_t) len, out, "evil", 1, 0);

	    sendto(server_fd, out, n, 0, (struct sockaddr *) &from, flen);
	    n = answer(query, (size_t) len, out, "evil", 0, 1);
	    sendto(server_fd, out, n, 0, (struct sockaddr *) &from, flen);
	}
	len = (ssize_t) answer(query, (size_t) len, out, "hello", 0, 0);
	sendto(server_fd, out, (size_t) len, 0, (struct sockaddr *) &from, flen);
    }
    return (NULL);
}

/* txt - resolver_txt() of name: status, the first text in *text */

static int txt(const char *name, char **text)
{
    GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
    int     status = resolver_txt(resolver, name, texts);

    *text = texts->len ? g_strdup(g_ptr_array_index(texts, 0)) : NULL;
    g_ptr_array_unref(texts);
    return (status);
}

/* reset - the server's behaviour back to plain answers */

static int reset(void **state)
{
    g_atomic_int_set(&queries, 0);
    g_atomic_int_set(&drop_next, 0);
    g_atomic_int_set(&rcode, 0);
    g_atomic_int_set(&ttl, 60);
    g_atomic_int_set(&forge, 0);
    resolver_free(resolver);
    resolver = resolver_dns_new(5, 4 * 1024 * 1024);
    resolver_dns_server(resolver, "127.0.0.1", server_port);
    return (0);
}

static void test_lost_queries_cost_short_attempts(void **state)
{
    char   *text;
    gint64  start = g_get_monotonic_time(), ms;

    g_atomic_int_set(&drop_next, 2);
    assert_int_equal(txt("lost.test", &text), RESOLVER_FOUND);
    ms = (g_get_monotonic_time() - start) / 1000;
    assert_string_equal(text, "hello");
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 3);
    /* Two lost: two short waits, not two DNSTimeouts (5 s). */
    assert_true(ms >= 300 && ms < 1000);
}

static void test_answers_cached_for_their_ttl(void **state)
{
    char   *text;

    assert_int_equal(txt("cached.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(txt("CACHED.test.", &text), RESOLVER_FOUND);
    assert_string_equal(text, "hello");
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 1);
}

static void test_ttl_zero_not_cached(void **state)
{
    char   *text;

    g_atomic_int_set(&ttl, 0);
    assert_int_equal(txt("zero.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(txt("zero.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 2);
}

static void test_servfail_not_cached(void **state)
{
    char   *text;

    g_atomic_int_set(&rcode, ns_r_servfail);
    assert_int_equal(txt("flaky.test", &text), RESOLVER_TEMPFAIL);
    g_atomic_int_set(&rcode, 0);
    assert_int_equal(txt("flaky.test", &text), RESOLVER_FOUND);
    assert_string_equal(text, "hello");
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 2);
}

static void test_forged_answers_ignored(void **state)
{
    char   *text;

    /* An answer with another id, one to another question: neither counts. */
    g_atomic_int_set(&forge, 1);
    assert_int_equal(txt("forged.test", &text), RESOLVER_FOUND);
    assert_string_equal(text, "hello");
    g_free(text);
}

static void test_cache_bounded(void **state)
{
    char   *text;

    /* Room for one answer: the second pushes the first out. */
    resolver_free(resolver);
    resolver = resolver_dns_new(5, 300);
    resolver_dns_server(resolver, "127.0.0.1", server_port);
    assert_int_equal(txt("first.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(txt("second.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(txt("second.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 2);
    assert_int_equal(txt("first.test", &text), RESOLVER_FOUND);
    g_free(text);
    assert_int_equal(g_atomic_int_get(&queries), 3);
}

static void test_nothing_listening_fails_at_once(void **state)
{
    int     fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    char   *text;
    gint64  start;

    /* A port that was free a moment ago: ICMP port unreachable. */
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
    close(fd);
    resolver_dns_server(resolver, "127.0.0.1", ntohs(sin.sin_port));
    start = g_get_monotonic_time();
    assert_int_equal(txt("nobody.test", &text), RESOLVER_TEMPFAIL);
    assert_true(g_get_monotonic_time() - start < 500 * 1000);
}

int     main(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    GThread *thread;
    int     failed;
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup(test_lost_queries_cost_short_attempts, reset),
	cmocka_unit_test_setup(test_answers_cached_for_their_ttl, reset),
	cmocka_unit_test_setup(test_ttl_zero_not_cached, reset),
	cmocka_unit_test_setup(test_servfail_not_cached, reset),
	cmocka_unit_test_setup(test_forged_answers_ignored, reset),
	cmocka_unit_test_setup(test_cache_bounded, reset),
	cmocka_unit_test_setup(test_nothing_listening_fails_at_once, reset),
    };

    server_fd = socket(AF_INET, SOCK_DGRAM, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (server_fd < 0 || bind(server_fd, (struct sockaddr *) &sin, sizeof(sin)) < 0
	|| getsockname(server_fd, (struct sockaddr *) &sin, &len) < 0) {
	perror("test_resolver_dns: a UDP socket on 127.0.0.1");
	return (1);
    }
    server_port = ntohs(sin.sin_port);
    thread = g_thread_new("dns", serve, NULL);
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    g_atomic_int_set(&stop, 1);
    g_thread_join(thread);
    resolver_free(resolver);
    close(server_fd);
    return (failed);
}
