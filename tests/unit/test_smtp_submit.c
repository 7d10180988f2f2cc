/* test_smtp_submit - the relay's whole reply is kept; one connection
 * carries several mails. A scripted SMTP server runs in a thread. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include "loopback.h"

#include <curl/curl.h>
#include <glib.h>

#include <milter/util/smtp_submit.h>

typedef struct FAKE {
    int     listen_fd;
    int     port;
    const char *rcpt_reply;		/* the answer to RCPT TO */
    int     connections;		/* accepted */
    int     mails;			/* MAIL FROM commands seen */
    pthread_t thread;
} FAKE;

/* fake_line - read one line into buf; 0 at the end of the connection */

static int fake_line(int fd, char *buf, size_t size)
{
    size_t  n = 0;

    while (n + 1 < size && read(fd, buf + n, 1) == 1)
	if (buf[n++] == '\n') {
	    buf[n] = 0;
	    return (1);
	}
    return (0);
}

/* fake_say - write a reply */

static void fake_say(int fd, const char *text)
{
    if (write(fd, text, strlen(text)) < 0)
	fail_msg("fake server: write");
}

/* fake_session - answer one client until QUIT or the end */

static void fake_session(FAKE *fake, int fd)
{
    char    line[1024];

    fake_say(fd, "220 fake.test ESMTP\r\n");
    while (fake_line(fd, line, sizeof(line))) {
	if (g_ascii_strncasecmp(line, "EHLO", 4) == 0) {
	    fake_say(fd, "250-fake.test\r\n250 8BITMIME\r\n");
	} else if (g_ascii_strncasecmp(line, "MAIL", 4) == 0) {
	    fake->mails++;
	    fake_say(fd, "250 2.1.0 Ok\r\n");
	} else if (g_ascii_strncasecmp(line, "RCPT", 4) == 0) {
	    fake_say(fd, fake->rcpt_reply);
	} else if (g_ascii_strncasecmp(line, "DATA", 4) == 0) {
	    fake_say(fd, "354 go ahead\r\n");
	    while (fake_line(fd, line, sizeof(line)) && strcmp(line, ".\r\n") != 0)
		 /* void */ ;
	    fake_say(fd, "250 2.0.0 Ok: queued\r\n");
	} else if (g_ascii_strncasecmp(line, "QUIT", 4) == 0) {
	    fake_say(fd, "221 2.0.0 Bye\r\n");
	    break;
	} else {
	    fake_say(fd, "250 2.0.0 Ok\r\n");
	}
    }
    close(fd);
}

/* fake_main - accept connections until the listening socket is shut */

static void *fake_main(void *context)
{
    FAKE   *fake = context;
    int     fd;

    while ((fd = accept(fake->listen_fd, NULL, NULL)) >= 0) {
	fake->connections++;
	fake_session(fake, fd);
    }
    return (NULL);
}

/* fake_start - listen on a free loopback port */

static void fake_start(FAKE *fake, const char *rcpt_reply)
{
    memset(fake, 0, sizeof(*fake));
    fake->rcpt_reply = rcpt_reply;
    fake->listen_fd = loopback_listen(&fake->port);
    assert_int_equal(pthread_create(&fake->thread, NULL, fake_main, fake), 0);
}

/* fake_stop - end the server thread (after the client has gone) */

static void fake_stop(FAKE *fake)
{
    shutdown(fake->listen_fd, SHUT_RDWR);
    close(fake->listen_fd);
    pthread_join(fake->thread, NULL);
}

static const char mail[] = "From: desk@help.test\r\nSubject: x\r\n\r\nHello.\r\n";

static void test_whole_reply(void **state)
{
    FAKE    fake;
    SMTP_CLIENT *client = smtp_client_new();
    char   *relay, *want;
    TM_ERROR err;
    int     permanent = 0;

    fake_start(&fake, "550-5.1.1 <gone@c.test>: Recipient address rejected:\r\n"
	       "550 5.1.1 User unknown in local recipient table\r\n");
    relay = g_strdup_printf("127.0.0.1:%d", fake.port);
    assert_int_equal(smtp_client_send(client, relay, 5, "desk@help.test", "gone@c.test",
				      mail, sizeof(mail) - 1, &permanent, &err), -1);
    assert_true(permanent);
    /* Both lines, not libcurl's "RCPT failed: 550" alone, nor QUIT's 221. */
    want = g_strdup_printf("SMTP to %s: 550-5.1.1 <gone@c.test>: Recipient address rejected:"
			   " 550 5.1.1 User unknown in local recipient table (RCPT failed: 550)", relay);
    assert_string_equal(err.text, want);
    g_free(want);
    smtp_client_free(client);
    fake_stop(&fake);
    g_free(relay);
}

static void test_temporary(void **state)
{
    FAKE    fake;
    char   *relay;
    TM_ERROR err;
    int     permanent = 1;

    fake_start(&fake, "450 4.2.1 <busy@c.test>: Recipient address rejected: Mailbox busy\r\n");
    relay = g_strdup_printf("127.0.0.1:%d", fake.port);
    assert_int_equal(smtp_submit(relay, 5, "desk@help.test", "busy@c.test",
				 mail, sizeof(mail) - 1, &permanent, &err), -1);
    assert_false(permanent);
    assert_non_null(strstr(err.text, ": 450 4.2.1 <busy@c.test>: Recipient address rejected:"
			   " Mailbox busy (RCPT failed: 450)"));
    fake_stop(&fake);
    g_free(relay);
}

static void test_one_connection(void **state)
{
    FAKE    fake;
    SMTP_CLIENT *client = smtp_client_new();
    char   *relay;
    TM_ERROR err;
    int     permanent, i;

    fake_start(&fake, "250 2.1.5 Ok\r\n");
    relay = g_strdup_printf("127.0.0.1:%d", fake.port);
    for (i = 0; i < 3; i++)
	assert_int_equal(smtp_client_send(client, relay, 5, "desk@help.test", "a@c.test",
					  mail, sizeof(mail) - 1, &permanent, &err), 0);
    smtp_client_free(client);
    fake_stop(&fake);
    assert_int_equal(fake.mails, 3);
    assert_int_equal(fake.connections, 1);
    g_free(relay);
}

int     main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_whole_reply),
	cmocka_unit_test(test_temporary),
	cmocka_unit_test(test_one_connection),
    };
    int     ret;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ret = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return (ret);
}
