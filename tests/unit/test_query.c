/* test_query - deadline-bound queries: an answer, a stall cancelled at
 * the deadline, the project's own refusals, other errors, a lost
 * connection, COPY in pieces, and the wait for a notification or stop.
 * A scripted PostgreSQL server (the wire protocol's few messages) runs
 * in a thread on a loopback port. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <cmocka.h>

#include "loopback.h"

#include <glib.h>

#include <milter/core/query.h>
#include <milter/core/store.h>

#define FAKE_PID	4242
#define FAKE_KEY	777
#define CANCEL_CODE	80877102
#define SSL_CODE	80877103
#define GSS_CODE	80877104

/*
 * What the server does with each query, one letter a query, in order:
 * a = answer one row "42", s = stall until cancelled, t = refuse with
 * SQLSTATE TM001, e = fail with 42P01, h = hang up, c = take COPY data.
 */
typedef struct FAKE {
    int     listen_fd;
    int     stop_pipe[2];
    int     port;
    const char *script;
    int     queries;			/* queries seen */
    int     cancels;			/* cancel requests with our key */
    size_t  copied;			/* COPY data bytes received */
    int     copy_messages;		/* CopyData messages received */
    pthread_t thread;
} FAKE;

/* read_full - read exactly len bytes; 0 at the end of the connection */

static int read_full(int fd, void *buf, size_t len)
{
    char   *cp = buf;
    ssize_t n;

    while (len > 0) {
	if ((n = read(fd, cp, len)) <= 0)
	    return (0);
	cp += n;
	len -= (size_t) n;
    }
    return (1);
}

/* put32 - a big-endian 32-bit integer */

static void put32(GByteArray *out, uint32_t value)
{
    uint32_t be = htonl(value);

    g_byte_array_append(out, (const guint8 *) &be, 4);
}

/* put16 - a big-endian 16-bit integer */

static void put16(GByteArray *out, uint16_t value)
{
    uint16_t be = htons(value);

    g_byte_array_append(out, (const guint8 *) &be, 2);
}

/* put_str - a string with its null byte */

static void put_str(GByteArray *out, const char *text)
{
    g_byte_array_append(out, (const guint8 *) text, (guint) strlen(text) + 1);
}

/* msg_begin - start a message of type; msg_end fills in its length */

static guint msg_begin(GByteArray *out, char type)
{
    guint   at;

    g_byte_array_append(out, (const guint8 *) &type, 1);
    at = out->len;
    put32(out, 0);
    return (at);
}

static void msg_end(GByteArray *out, guint at)
{
    uint32_t be = htonl(out->len - at);

    memcpy(out->data + at, &be, 4);
}

/* send_out - write what was built, and empty it */

static void send_out(int fd, GByteArray *out)
{
    if (write(fd, out->data, out->len) != (ssize_t) out->len)
	fail_msg("fake server: write");
    g_byte_array_set_size(out, 0);
}

/* ready - ReadyForQuery, idle */

static void ready(GByteArray *out)
{
    guint   at = msg_begin(out, 'Z');

    g_byte_array_append(out, (const guint8 *) "I", 1);
    msg_end(out, at);
}

/* error - an ErrorResponse with code and text, then ReadyForQuery */

static void error(GByteArray *out, const char *code, const char *text)
{
    guint   at = msg_begin(out, 'E');

    put_str(out, "SERROR");
    put_str(out, "VERROR");
    g_byte_array_append(out, (const guint8 *) "C", 1);
    put_str(out, code);
    g_byte_array_append(out, (const guint8 *) "M", 1);
    put_str(out, text);
    g_byte_array_append(out, (const guint8 *) "", 1);
    msg_end(out, at);
    ready(out);
}

/* answer - one int4 column "x", one row 42, for the extended protocol */

static void answer(GByteArray *out)
{
    guint   at;

    at = msg_begin(out, '1');
    msg_end(out, at);
    at = msg_begin(out, '2');
    msg_end(out, at);
    at = msg_begin(out, 'T');
    put16(out, 1);
    put_str(out, "x");
    put32(out, 0);
    put16(out, 0);
    put32(out, 23);
    put16(out, 4);
    put32(out, (uint32_t) -1);
    put16(out, 0);
    msg_end(out, at);
    at = msg_begin(out, 'D');
    put16(out, 1);
    put32(out, 2);
    g_byte_array_append(out, (const guint8 *) "42", 2);
    msg_end(out, at);
    at = msg_begin(out, 'C');
    put_str(out, "SELECT 1");
    msg_end(out, at);
    ready(out);
}

/* startup - answer a new connection; 1 a session, 0 done (cancel) */

static int startup(FAKE *fake, int fd)
{
    GByteArray *out = g_byte_array_new();
    uint32_t len, body[64];
    guint   at;

    for (;;) {
	if (!read_full(fd, &len, 4) || (len = ntohl(len)) < 8 || len - 4 > sizeof(body)
	    || !read_full(fd, body, len - 4))
	    break;
	if (ntohl(body[0]) == SSL_CODE || ntohl(body[0]) == GSS_CODE) {
	    if (write(fd, "N", 1) != 1)
		break;
	    continue;
	}
	if (ntohl(body[0]) == CANCEL_CODE) {
	    if (ntohl(body[1]) == FAKE_PID && ntohl(body[2]) == FAKE_KEY)
		fake->cancels++;
	    break;
	}
	at = msg_begin(out, 'R');
	put32(out, 0);
	msg_end(out, at);
	at = msg_begin(out, 'S');
	put_str(out, "server_version");
	put_str(out, "16.0");
	msg_end(out, at);
	at = msg_begin(out, 'S');
	put_str(out, "client_encoding");
	put_str(out, "UTF8");
	msg_end(out, at);
	at = msg_begin(out, 'K');
	put32(out, FAKE_PID);
	put32(out, FAKE_KEY);
	msg_end(out, at);
	ready(out);
	send_out(fd, out);
	g_byte_array_free(out, TRUE);
	return (1);
    }
    g_byte_array_free(out, TRUE);
    close(fd);
    return (0);
}

/* act - do what the script says to the query just ended; 0 = hang up */

static int act(FAKE *fake, int fd, int *stalled)
{
    GByteArray *out = g_byte_array_new();
    char    what = fake->script[fake->queries] ? fake->script[fake->queries] : 'a';
    guint   at;

    fake->queries++;
    switch (what) {
    case 'a':
	answer(out);
	break;
    case 's':
	*stalled = 1;
	break;
    case 't':
	error(out, "TM001", "Mail refused by policy");
	break;
    case 'e':
	error(out, "42P01", "relation \"nothing\" does not exist");
	break;
    case 'c':
	at = msg_begin(out, 'G');
	g_byte_array_append(out, (const guint8 *) "\1", 1);
	put16(out, 0);
	msg_end(out, at);
	break;
    case 'h':
	g_byte_array_free(out, TRUE);
	return (0);
    }
    send_out(fd, out);
    g_byte_array_free(out, TRUE);
    return (1);
}

/* message - read and handle one message of a session; 0 = closed */

static int message(FAKE *fake, int fd, int *stalled)
{
    GByteArray *out;
    char    type;
    uint32_t len;
    char   *body;
    guint   at;
    int     ok = 1;

    if (!read_full(fd, &type, 1) || !read_full(fd, &len, 4) || (len = ntohl(len)) < 4)
	return (0);
    body = g_malloc(len);
    if (!read_full(fd, body, len - 4))
	ok = 0;
    else if (type == 'X')
	ok = 0;
    else if (type == 'S' || type == 'Q')
	ok = act(fake, fd, stalled);
    else if (type == 'd') {
	fake->copied += len - 4;
	fake->copy_messages++;
    } else if (type == 'c') {
	out = g_byte_array_new();
	at = msg_begin(out, 'C');
	put_str(out, "COPY 1");
	msg_end(out, at);
	ready(out);
	send_out(fd, out);
	g_byte_array_free(out, TRUE);
    }
    g_free(body);
    return (ok);
}

/* fake_main - serve one session at a time, and cancel requests beside it */

static void *fake_main(void *context)
{
    FAKE   *fake = context;
    int     client = -1, stalled = 0, fd;
    GByteArray *out = g_byte_array_new();

    for (;;) {
	struct pollfd pfd[3] = {
	    {.fd = fake->stop_pipe[0], .events = POLLIN},
	    {.fd = fake->listen_fd, .events = POLLIN},
	    {.fd = client, .events = POLLIN},
	};

	if (poll(pfd, 3, -1) < 0 || pfd[0].revents)
	    break;
	if (pfd[1].revents && (fd = accept(fake->listen_fd, NULL, NULL)) >= 0) {
	    int     cancels = fake->cancels;

	    if (startup(fake, fd))
		client = fd;
	    /* A cancelled query ends as the server's would. */
	    if (fake->cancels > cancels && stalled && client >= 0) {
		error(out, "57014", "canceling statement due to user request");
		send_out(client, out);
		stalled = 0;
	    }
	}
	if (client >= 0 && pfd[2].revents && !message(fake, client, &stalled)) {
	    close(client);
	    client = -1;
	}
    }
    if (client >= 0)
	close(client);
    g_byte_array_free(out, TRUE);
    return (NULL);
}

/* fake_start - listen on a free loopback port, with a script */

static void fake_start(FAKE *fake, const char *script)
{
    memset(fake, 0, sizeof(*fake));
    fake->script = script;
    assert_int_equal(pipe(fake->stop_pipe), 0);
    fake->listen_fd = loopback_listen(&fake->port);
    assert_int_equal(pthread_create(&fake->thread, NULL, fake_main, fake), 0);
}

/* fake_stop - end the server thread */

static void fake_stop(FAKE *fake)
{
    if (write(fake->stop_pipe[1], "x", 1) != 1)
	fail_msg("fake server: cannot stop");
    pthread_join(fake->thread, NULL);
    close(fake->listen_fd);
    close(fake->stop_pipe[0]);
    close(fake->stop_pipe[1]);
}

/* fake_connect - a connection to the fake server */

static PGconn *fake_connect(FAKE *fake)
{
    char   *conninfo = g_strdup_printf("host=127.0.0.1 port=%d user=t dbname=t sslmode=disable"
				       " gssencmode=disable", fake->port);
    TM_ERROR err;
    PGconn *conn = store_connect(conninfo, 5, &err);

    if (conn == NULL)
	fail_msg("cannot connect to the fake server: %s", err.text);
    g_free(conninfo);
    return (conn);
}

/* run - query_exec("SELECT x") with a deadline ms from now */

static PGresult *run(PGconn *conn, int ms, int *broken, TM_ERROR *err)
{
    return (query_exec(conn, query_now_ms() + ms, "SELECT x FROM t WHERE y = $1", 1,
		       (const char *const[]) {"1"}, 0, 0, broken, err));
}

static void test_answer(void **state)
{
    FAKE    fake;
    PGconn *conn;
    PGresult *res;
    TM_ERROR err;
    int     broken = 0;

    fake_start(&fake, "aa");
    conn = fake_connect(&fake);
    for (int i = 0; i < 2; i++) {
	res = run(conn, 5000, &broken, &err);
	assert_non_null(res);
	assert_string_equal(PQgetvalue(res, 0, 0), "42");
	PQclear(res);
    }
    assert_int_equal(broken, 0);
    PQfinish(conn);
    fake_stop(&fake);
    assert_int_equal(fake.queries, 2);
}

static void test_stall_cancelled(void **state)
{
    FAKE    fake;
    PGconn *conn;
    TM_ERROR err;
    int     broken = 0;
    long long start, took;

    fake_start(&fake, "s");
    conn = fake_connect(&fake);
    start = query_now_ms();
    assert_null(run(conn, 300, &broken, &err));
    took = query_now_ms() - start;
    /* At the deadline, not before and not long after. */
    assert_true(took >= 290 && took < 2000);
    assert_int_equal(broken, 1);
    assert_string_equal(err.code, QUERY_TIMED_OUT);
    assert_string_equal(err.text, "the database did not answer within the DatabaseTimeout");
    PQfinish(conn);
    fake_stop(&fake);
    /* The server was asked to stop the query, with the connection's key. */
    assert_int_equal(fake.cancels, 1);
}

static void test_refused(void **state)
{
    FAKE    fake;
    PGconn *conn;
    PGresult *res;
    TM_ERROR err;
    int     broken = 0;

    fake_start(&fake, "ta");
    conn = fake_connect(&fake);
    assert_null(run(conn, 5000, &broken, &err));
    /* Our own refusal: its text alone, for the SMTP client. */
    assert_string_equal(err.text, "Mail refused by policy");
    assert_string_equal(err.code, "TM001");
    assert_int_equal(broken, 0);
    /* The connection goes on. */
    res = run(conn, 5000, &broken, &err);
    assert_non_null(res);
    PQclear(res);
    PQfinish(conn);
    fake_stop(&fake);
}

static void test_other_error(void **state)
{
    FAKE    fake;
    PGconn *conn;
    TM_ERROR err;
    int     broken = 0;

    fake_start(&fake, "e");
    conn = fake_connect(&fake);
    assert_null(run(conn, 5000, &broken, &err));
    assert_non_null(strstr(err.text, "database query failed: ERROR:  relation \"nothing\" does not exist"));
    assert_string_equal(err.code, "42P01");
    assert_int_equal(broken, 0);
    PQfinish(conn);
    fake_stop(&fake);
}

static void test_lost(void **state)
{
    FAKE    fake;
    PGconn *conn;
    TM_ERROR err;
    int     broken = 0;
    long long start;

    fake_start(&fake, "h");
    conn = fake_connect(&fake);
    start = query_now_ms();
    assert_null(run(conn, 5000, &broken, &err));
    /* Known at once, not at the deadline. */
    assert_true(query_now_ms() - start < 2000);
    assert_int_equal(broken, 1);
    assert_string_not_equal(err.code, QUERY_TIMED_OUT);
    PQfinish(conn);
    fake_stop(&fake);
    assert_int_equal(fake.cancels, 0);
}

static void test_copy(void **state)
{
    FAKE    fake;
    PGconn *conn;
    PGresult *res;
    TM_ERROR err;
    int     broken = 0;
    long long deadline = query_deadline(5);
    size_t  size = 600 * 1024;
    char   *data = g_malloc0(size);

    fake_start(&fake, "c");
    conn = fake_connect(&fake);
    assert_int_equal(query_copy_begin(conn, deadline, "COPY t FROM STDIN", &err), 0);
    assert_int_equal(query_copy_put(conn, deadline, "head", 4), 0);
    assert_int_equal(query_copy_put(conn, deadline, data, size), 0);
    assert_int_equal(query_copy_end(conn, deadline), 0);
    res = query_result(conn, deadline, &broken, &err);
    assert_non_null(res);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    assert_int_equal(PQisnonblocking(conn), 0);
    PQfinish(conn);
    fake_stop(&fake);
    assert_int_equal(fake.copied, size + 4);
    /* In pieces of 256 KB at most: the 600 KB went as three. */
    assert_int_equal(fake.copy_messages, 4);
    g_free(data);
}

static void test_copy_stall(void **state)
{
    FAKE    fake;
    PGconn *conn;
    TM_ERROR err;

    fake_start(&fake, "s");
    conn = fake_connect(&fake);
    assert_int_equal(query_copy_begin(conn, query_now_ms() + 300, "COPY t FROM STDIN", &err), -1);
    assert_string_equal(err.code, QUERY_TIMED_OUT);
    PQfinish(conn);
    fake_stop(&fake);
    assert_int_equal(fake.cancels, 1);
}

static void test_wait_notify(void **state)
{
    int     stop[2];
    long long start;

    assert_int_equal(pipe(stop), 0);
    start = query_now_ms();
    assert_int_equal(query_wait_notify(stop[0], NULL, 1), 0);
    assert_true(query_now_ms() - start >= 990);
    assert_int_equal(write(stop[1], "x", 1), 1);
    start = query_now_ms();
    assert_int_equal(query_wait_notify(stop[0], NULL, 10), 1);
    assert_true(query_now_ms() - start < 1000);
    close(stop[0]);
    close(stop[1]);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_answer),
	cmocka_unit_test(test_stall_cancelled),
	cmocka_unit_test(test_refused),
	cmocka_unit_test(test_other_error),
	cmocka_unit_test(test_lost),
	cmocka_unit_test(test_copy),
	cmocka_unit_test(test_copy_stall),
	cmocka_unit_test(test_wait_notify),
    };

    return (cmocka_run_group_tests(tests, NULL, NULL));
}
