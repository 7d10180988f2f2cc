/*++
/* NAME
/*	smtp_submit 3
/* SUMMARY
/*	hand messages to the MTA by SMTP (libcurl)
/* DESCRIPTION
/*	See smtp_submit.h. libcurl does the SMTP dialogue, dot-stuffing
/*	included; we feed it the bytes and read back the reply. One
/*	SMTP_CLIENT keeps one easy handle, so libcurl keeps the SMTP
/*	connection open between mails (MAIL FROM follows the last DATA at
/*	once). It closes it after a failure, when it has been idle for
/*	SMTP_IDLE_SECONDS (well below Postfix's smtpd_timeout), and once
/*	it is SMTP_LIFE_SECONDS old, so that a change of the relay's
/*	settings (postfix reload) reaches outgoing mail within that time.
/*
/*	libcurl's own error text names only the reply code ("RCPT failed:
/*	550"). The server's reply lines reach the debug callback as
/*	CURLINFO_HEADER_IN: the last 4xx or 5xx reply is kept, all its
/*	lines (control characters replaced, at most SMTP_REPLY_MAX bytes),
/*	and a failure reports it whole. Only a refusal is kept, since
/*	libcurl ends a failed transfer with QUIT, whose "221" comes last.
/*
/*	libcurl writes MAIL FROM and RCPT TO as it is given them: an
/*	address with CR LF would add SMTP commands of its own, so both
/*	are checked here, where they leave (addr_unsafe()).
/*--*/

/* System library. */
#include <string.h>

/* External libraries. */
#include <curl/curl.h>
#include <glib.h>

/* Utility library. */
#include <milter/util/addr_check.h>
#include <milter/util/smtp_submit.h>

#define SMTP_IDLE_SECONDS	10	/* reuse an idle connection this long */
#define SMTP_LIFE_SECONDS	60	/* reuse a connection this long at most */
#define SMTP_REPLY_MAX		400	/* bytes of the server's reply kept */

struct SMTP_CLIENT {
    CURL   *curl;
    GString *reply;			/* the server's last 4xx/5xx reply */
    int     replied;			/* reply lines follow a command */
    int     refusal;			/* ... and they are a 4xx/5xx */
};

typedef struct UPLOAD {
    const char *data;
    size_t  left;
} UPLOAD;

/* upload_read - give libcurl the next piece of the message */

static size_t upload_read(char *buf, size_t size, size_t nitems, void *context)
{
    UPLOAD *up = context;
    size_t  n = size * nitems < up->left ? size * nitems : up->left;

    memcpy(buf, up->data, n);
    up->data += n;
    up->left -= n;
    return (n);
}

/* reply_add - append one reply line from the server, control characters
 * replaced, the line end dropped */

static void reply_add(GString *reply, const char *data, size_t size)
{
    size_t  i;

    while (size > 0 && (data[size - 1] == '\n' || data[size - 1] == '\r'))
	size--;
    if (reply->len > 0 && reply->len < SMTP_REPLY_MAX)
	g_string_append_c(reply, ' ');
    for (i = 0; i < size && reply->len < SMTP_REPLY_MAX; i++)
	g_string_append_c(reply, (unsigned char) data[i] < 0x20 || data[i] == 0x7f ? '?' : data[i]);
}

/* reply_trace - libcurl's debug callback: keep the last refusal */

static int reply_trace(CURL *curl, curl_infotype type, char *data, size_t size, void *context)
{
    SMTP_CLIENT *client = context;

    (void) curl;
    if (type == CURLINFO_HEADER_OUT) {
	client->replied = 0;
    } else if (type == CURLINFO_HEADER_IN) {
	if (!client->replied) {
	    client->refusal = size > 0 && (data[0] == '4' || data[0] == '5');
	    if (client->refusal)
		g_string_truncate(client->reply, 0);
	}
	client->replied = 1;
	if (client->refusal)
	    reply_add(client->reply, data, size);
    }
    return (0);
}

/* smtp_client_new - a client with no connection yet */

SMTP_CLIENT *smtp_client_new(void)
{
    SMTP_CLIENT *client = g_new0(SMTP_CLIENT, 1);

    client->reply = g_string_new("");
    return (client);
}

/* smtp_client_free - close the connection, if any, and free */

void    smtp_client_free(SMTP_CLIENT *client)
{
    if (client == NULL)
	return;
    if (client->curl)
	curl_easy_cleanup(client->curl);
    g_string_free(client->reply, TRUE);
    g_free(client);
}

/* refuse_address - the reason an unsafe sender or recipient is not sent */

static int refuse_address(const char *from, const char *rcpt, int *permanent, TM_ERROR *err)
{
    const char *why = addr_unsafe(from) ? addr_unsafe(from) : addr_unsafe(rcpt);
    char   *shown = addr_escape(addr_unsafe(from) ? from : rcpt);
    int     ret;

    *permanent = 1;
    ret = tm_error(err, "refused to send: the %s address <%s> has %s",
		   addr_unsafe(from) ? "sender" : "recipient", shown, why);
    g_free(shown);
    return (ret);
}

/* smtp_client_send - send one message to one recipient through the relay */

int     smtp_client_send(SMTP_CLIENT *client, const char *relay, int timeout,
			         const char *from, const char *rcpt,
			         const char *data, size_t len, int *permanent, TM_ERROR *err)
{
    struct curl_slist *rcpts = NULL;
    char    errbuf[CURL_ERROR_SIZE] = "";
    char   *url, *mail_from, *rcpt_to;
    UPLOAD  up = {data, len};
    CURLcode code;
    long    reply = 0;
    int     ret = 0;

    *permanent = 0;
    if (addr_unsafe(from) != NULL || addr_unsafe(rcpt) != NULL)
	return (refuse_address(from, rcpt, permanent, err));
    if (client->curl == NULL && (client->curl = curl_easy_init()) == NULL)
	return (tm_error(err, "cannot start libcurl"));
    g_string_truncate(client->reply, 0);
    client->replied = client->refusal = 0;
    url = g_strdup_printf("smtp://%s", relay);
    mail_from = g_strdup_printf("<%s>", from);
    rcpt_to = g_strdup_printf("<%s>", rcpt);
    rcpts = curl_slist_append(rcpts, rcpt_to);
    curl_easy_setopt(client->curl, CURLOPT_URL, url);
    curl_easy_setopt(client->curl, CURLOPT_MAIL_FROM, mail_from);
    curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(client->curl, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(client->curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(client->curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(client->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) len);
    curl_easy_setopt(client->curl, CURLOPT_TIMEOUT, (long) timeout);
    curl_easy_setopt(client->curl, CURLOPT_CONNECTTIMEOUT, (long) (timeout < 10 ? timeout : 10));
    curl_easy_setopt(client->curl, CURLOPT_MAXAGE_CONN, (long) SMTP_IDLE_SECONDS);
    curl_easy_setopt(client->curl, CURLOPT_MAXLIFETIME_CONN, (long) SMTP_LIFE_SECONDS);
    curl_easy_setopt(client->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(client->curl, CURLOPT_DEBUGFUNCTION, reply_trace);
    curl_easy_setopt(client->curl, CURLOPT_DEBUGDATA, client);
    curl_easy_setopt(client->curl, CURLOPT_VERBOSE, 1L);
    code = curl_easy_perform(client->curl);
    if (code != CURLE_OK) {
	curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &reply);
	*permanent = reply >= 500 && reply < 600;
	if (reply >= 400 && client->reply->len > 0)
	    ret = tm_error(err, "SMTP to %s: %s (%s)", relay, client->reply->str,
			   *errbuf ? errbuf : curl_easy_strerror(code));
	else
	    ret = tm_error(err, "SMTP to %s: %s%s%s", relay, curl_easy_strerror(code),
			   *errbuf ? ": " : "", errbuf);
    }
    /* The handle keeps no pointer into this call's memory. */
    curl_easy_setopt(client->curl, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(client->curl, CURLOPT_READDATA, NULL);
    curl_slist_free_all(rcpts);
    g_free(url);
    g_free(mail_from);
    g_free(rcpt_to);
    return (ret);
}

/* smtp_submit - send one message on a connection of its own */

int     smtp_submit(const char *relay, int timeout, const char *from, const char *rcpt,
		            const char *data, size_t len, int *permanent, TM_ERROR *err)
{
    SMTP_CLIENT *client = smtp_client_new();
    int     ret = smtp_client_send(client, relay, timeout, from, rcpt, data, len, permanent, err);

    smtp_client_free(client);
    return (ret);
}
